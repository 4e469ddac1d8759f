import { sql } from 'kysely';
import { Database, PreparedStatement, type Db } from '../../src/database/database.js';
import type { AppConfig } from '../../src/config/config.module.js';
import { createTestDatabase, type TestDatabase } from '../support/databases.js';

/**
 * Statements compiled once: the values are filled in on every run, the constants the builder
 * wrote stay, and PostgreSQL runs them with their generic plan while other statements on the same
 * connection keep the plan PostgreSQL chooses for their values.
 */
describe('a statement compiled once', () => {
  let db: TestDatabase;
  let database: Database;

  beforeAll(async () => {
    db = await createTestDatabase();
    database = new Database({ get: () => db.url } as unknown as AppConfig);
  });
  afterAll(async () => {
    await database.onApplicationShutdown();
    await db.drop();
  });

  const numbered = new PreparedStatement((kdb: Db, v: { from: number; words: string[] }) =>
    kdb
      .selectFrom(sql<{ n: number; word: string }>`unnest(${v.words}::text[]) WITH ORDINALITY`.as<'w'>(sql`w(word, n)`))
      .select([sql<number>`(w.n + ${v.from})::int`.as('n'), 'w.word', sql<string>`${'constant'}::text`.as('kept')]),
  );
  const planMode = () => sql<{ mode: string }>`SELECT current_setting('plan_cache_mode') AS mode, ${1}::int AS one`;

  it('runs with the values of each call and keeps its constants', async () => {
    expect(await numbered.execute(database.db, { from: 10, words: ['a', 'b'] })).toEqual([
      { n: 11, word: 'a', kept: 'constant' },
      { n: 12, word: 'b', kept: 'constant' },
    ]);
    expect(await numbered.execute(database.db, { from: 0, words: ['c'] })).toEqual([{ n: 1, word: 'c', kept: 'constant' }]);
  });

  it('uses the generic plan, and other statements the mode PostgreSQL chooses, on one connection', async () => {
    await database.transaction(async (tx) => {
      await numbered.execute(tx, { from: 0, words: ['x'] });
      const [compiledOnce] = (
        await sql<{ generic: string; custom: string }>`SELECT generic_plans::text AS generic, custom_plans::text AS custom
          FROM pg_prepared_statements WHERE statement LIKE '%unnest(%WITH ORDINALITY%' AND statement NOT LIKE '%pg_prepared_statements%'`.execute(
          tx,
        )
      ).rows;
      expect(compiledOnce!.custom).toBe('0');
      expect(Number(compiledOnce!.generic)).toBeGreaterThanOrEqual(1);
      expect((await planMode().execute(tx)).rows[0]!.mode).toBe('auto');
      await numbered.execute(tx, { from: 0, words: ['y'] });
    });
  });

  it('knows the mode again after a rollback undid a switch', async () => {
    await expect(
      database.transaction(async (tx) => {
        await planMode().execute(tx); // switches to auto inside the transaction
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    // One connection serves these in turn: whatever the rollback undid, each statement runs in its mode.
    expect((await planMode().execute(database.db)).rows[0]!.mode).toBe('auto');
    await numbered.execute(database.db, { from: 0, words: ['z'] });
    expect((await planMode().execute(database.db)).rows[0]!.mode).toBe('auto');
  });
});
