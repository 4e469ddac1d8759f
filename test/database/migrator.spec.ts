import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate, MigrationError, pendingMigrations } from '../../src/database/migrator.js';
import { admin, databaseUrl } from '../support/databases.js';
import { sql } from '../support/sql.js';

describe('the migrator', () => {
  const name = `handlingsplan_test_${process.env.HANDLINGSPLAN_TEST_RUN ?? 'adhoc'}_migrator_${process.pid}`;
  const url = databaseUrl(name);
  const dir = mkdtempSync(join(tmpdir(), 'migrations-'));
  const add = (folder: string, body: string) => {
    mkdirSync(join(dir, folder), { recursive: true });
    writeFileSync(join(dir, folder, 'migration.sql'), body);
  };

  beforeAll(() => admin((client) => client.query(`CREATE DATABASE "${name}"`)));
  afterAll(() => admin((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)));

  it('applies in name order, records in _prisma_migrations, and a second run is a no-op', async () => {
    add('20260101000000_first', 'CREATE TABLE a (id INT);');
    add('20260102000000_second', 'ALTER TABLE a ADD COLUMN b TEXT;');
    expect(await pendingMigrations(url, dir)).toEqual(['20260101000000_first', '20260102000000_second']);
    expect(await migrate(url, dir)).toEqual({ applied: ['20260101000000_first', '20260102000000_second'], alreadyApplied: [] });
    expect(await migrate(url, dir)).toEqual({ applied: [], alreadyApplied: ['20260101000000_first', '20260102000000_second'] });
    expect(await pendingMigrations(url, dir)).toEqual([]);
    expect(await sql(url, `SELECT migration_name FROM "_prisma_migrations" ORDER BY migration_name`)).toEqual([
      { migration_name: '20260101000000_first' },
      { migration_name: '20260102000000_second' },
    ]);
  });

  it('rolls a failing migration back whole and says which one failed', async () => {
    add('20260103000000_broken', 'CREATE TABLE c (id INT); ALTER TABLE nowhere ADD COLUMN x INT;');
    await expect(migrate(url, dir)).rejects.toThrow(
      /Migration 20260103000000_broken failed and was rolled back: relation "nowhere" does not exist/,
    );
    expect(await sql(url, `SELECT to_regclass('c') AS c`)).toEqual([{ c: null }]);
  });

  it('refuses to run when an applied migration was edited', async () => {
    add('20260103000000_broken', 'SELECT 1;');
    add('20260101000000_first', 'CREATE TABLE a (id INT, edited INT);');
    await expect(migrate(url, dir)).rejects.toThrow(MigrationError);
    await expect(migrate(url, dir)).rejects.toThrow(/20260101000000_first was changed after it was applied/);
  });

  it('lets concurrent starts migrate once', async () => {
    const other = `${name}_concurrent`;
    await admin((client) => client.query(`CREATE DATABASE "${other}"`));
    try {
      const results = await Promise.all(
        [1, 2, 3].map(() => migrate(databaseUrl(other), join(import.meta.dirname, '../../prisma/migrations'))),
      );
      expect(results.map((r) => r.applied.length).sort()).toEqual([0, 0, results.find((r) => r.applied.length)!.applied.length]);
    } finally {
      await admin((client) => client.query(`DROP DATABASE IF EXISTS "${other}" WITH (FORCE)`));
    }
  });
});
