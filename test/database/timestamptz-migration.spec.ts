import { cpSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate, MIGRATIONS_DIR } from '../../src/database/migrator.js';
import { admin, databaseUrl } from '../support/databases.js';
import { sql } from '../support/sql.js';

const TIMESTAMPTZ = '20261206000000_timestamptz';

/**
 * The move to timestamptz keeps every instant of an existing database: before it, the columns
 * held UTC without a zone (as Prisma wrote them). The sessions here default to UTC+14, so a
 * conversion that read the old values in the session's zone would be 14 hours off.
 */
describe('migrating an existing database to timestamptz', () => {
  const name = `handlingsplan_test_${process.env.HANDLINGSPLAN_TEST_RUN ?? 'adhoc'}_tz_${process.pid}`;
  const url = databaseUrl(name);

  beforeAll(async () => {
    await admin((client) => client.query(`CREATE DATABASE "${name}"`));
    await sql(url, `ALTER DATABASE "${name}" SET timezone TO 'Pacific/Kiritimati'`);
  });
  afterAll(() => admin((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)));

  it('keeps the instants of rows written before it', async () => {
    const before = mkdtempSync(join(tmpdir(), 'migrations-before-'));
    for (const folder of readdirSync(MIGRATIONS_DIR).filter((entry) => entry < TIMESTAMPTZ && !entry.endsWith('.toml'))) {
      cpSync(join(MIGRATIONS_DIR, folder), join(before, folder), { recursive: true });
    }
    await migrate(url, before);
    expect(
      await sql<{ type: string }>(
        url,
        `SELECT data_type AS type FROM information_schema.columns WHERE table_name = 'User' AND column_name = 'createdAt'`,
      ),
    ).toEqual([{ type: 'timestamp without time zone' }]);
    // As Prisma wrote them: the UTC wall-clock time, without a zone.
    await sql(
      url,
      `INSERT INTO "User" (email, role, "passwordHash", "createdAt", "lastLoginAt")
       VALUES ('a@example.org', 'admin', 'x', '2024-03-31 00:30:00.123', '2024-10-27 01:15:00'), ('b@example.org', 'viewer', 'x', '2026-12-06 23:59:59.999', NULL)`,
    );

    const result = await migrate(url);
    expect(result.applied).toContain(TIMESTAMPTZ);

    const rows = await sql<{ email: string; created: string; login: string | null; type: string }>(
      url,
      `SELECT email, to_char("createdAt" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS') AS created,
              to_char("lastLoginAt" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS') AS login,
              pg_typeof("createdAt")::text AS type
       FROM "User" ORDER BY email`,
    );
    expect(rows).toEqual([
      { email: 'a@example.org', created: '2024-03-31T00:30:00.123', login: '2024-10-27T01:15:00.000', type: 'timestamp with time zone' },
      { email: 'b@example.org', created: '2026-12-06T23:59:59.999', login: null, type: 'timestamp with time zone' },
    ]);
    const left = await sql<{ column: string }>(
      url,
      `SELECT table_name || '.' || column_name AS column FROM information_schema.columns
       WHERE table_schema = 'public' AND data_type = 'timestamp without time zone' AND table_name <> '_prisma_migrations'`,
    );
    expect(left).toEqual([]);
  });
});
