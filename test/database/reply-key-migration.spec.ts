import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate, MIGRATIONS_DIR } from '../../src/database/migrator.js';
import { admin, databaseUrl } from '../support/databases.js';
import { sql } from '../support/sql.js';

const REPLY_KEY_HASH = '20261206150000_reply_key_hash';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * Reply keys made before they were hashed: the migration keeps only their SHA-256 (so replies to
 * the mail that carried them still find their request) and scrubs them from mail already sent.
 */
describe('migrating reply keys to hashes', () => {
  const name = `handlingsplan_test_${process.env.HANDLINGSPLAN_TEST_RUN ?? 'adhoc'}_rk_${process.pid}`;
  const url = databaseUrl(name);

  beforeAll(() => admin((client) => client.query(`CREATE DATABASE "${name}"`)));
  afterAll(() => admin((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)));

  it('hashes the keys of existing requests and removes them from mail already sent', async () => {
    const before = mkdtempSync(join(tmpdir(), 'migrations-before-'));
    for (const folder of readdirSync(MIGRATIONS_DIR).filter((entry) => entry < REPLY_KEY_HASH && !entry.endsWith('.toml'))) {
      cpSync(join(MIGRATIONS_DIR, folder), join(before, folder), { recursive: true });
    }
    await migrate(url, before);
    await sql(
      url,
      `WITH p AS (INSERT INTO "Plan" (slug, title, "periodFrom", "periodTo", currency, "updatedAt") VALUES ('p', 'P', 2021, 2024, 'DKK', now()) RETURNING id),
            o AS (INSERT INTO "Organisation" (name, kind, language, "updatedAt") VALUES ('Kvarkenrådet', 'border_committee', 'sv', now()) RETURNING id),
            r AS (INSERT INTO "ReportingRound" ("planId", year, "opensAt", deadline, "graceUntil", "updatedAt")
                  SELECT id, 2024, now(), now() + interval '1 month', now() + interval '2 months', now() FROM p RETURNING id)
       INSERT INTO "ReportRequest" ("roundId", "organisationId", "tokenNonce", "tokenHash", "replyKey", "expiresAt", "updatedAt")
       SELECT r.id, o.id, 'nonce', 'hash', 'oldkey16chars000', now() + interval '2 months', now() FROM r, o`,
    );
    await sql(
      url,
      `INSERT INTO "OutboxMessage" ("dedupeKey", template, language, recipients, "replyTo", data, status, "messageId", "updatedAt")
       VALUES ('a', 'status-request', 'sv', '{k@example.org}', 'reports+oldkey16chars000@reports.example.org', '{"replyAddress": "reports+oldkey16chars000@reports.example.org", "x": 1}', 'sent', '<a@x>', now()),
              ('b', 'reminder', 'sv', '{k@example.org}', 'reports+oldkey16chars000@reports.example.org', '{"replyAddress": "reports+oldkey16chars000@reports.example.org"}', 'pending', '<b@x>', now())`,
    );

    expect((await migrate(url)).applied).toContain(REPLY_KEY_HASH);
    expect(await sql(url, `SELECT "replyKeyHash", "legacyReplyKeyHash" FROM "ReportRequest"`)).toEqual([
      { replyKeyHash: null, legacyReplyKeyHash: sha256('oldkey16chars000') },
    ]);
    // Mail waiting to be sent keeps the address it is sent with; sent mail no longer shows it.
    expect(await sql(url, `SELECT "dedupeKey", "replyTo", data FROM "OutboxMessage" ORDER BY "dedupeKey"`)).toEqual([
      { dedupeKey: 'a', replyTo: null, data: { x: 1 } },
      {
        dedupeKey: 'b',
        replyTo: 'reports+oldkey16chars000@reports.example.org',
        data: { replyAddress: 'reports+oldkey16chars000@reports.example.org' },
      },
    ]);
  });
});
