import pg from 'pg';
import { PlanImportService } from '../../src/plan/plan-import.service.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { sql } from '../support/sql.js';

const SEED = new URL('../../seeds/nordic-regional-2021-24.yaml', import.meta.url).pathname;

/**
 * The roll-ups add up MilestoneTally, which triggers on Milestone keep. Whatever writes
 * milestones, and however (one row, a whole plan in one statement, concurrent transactions, a
 * cascade from a deleted contribution, a rollback), the kept rows must equal a recount.
 */
describe('the kept milestone tally', () => {
  let t: TestApp;
  let url: string;

  /** Differences between the kept rows and a recount of the milestones; [] when they agree. */
  const disagreement = () =>
    sql(
      url,
      `WITH recount AS (
         SELECT "contributionId", state::text AS state, "dueTo", count(*)::int AS count, sum(progress)::int AS "progressSum"
         FROM "Milestone" GROUP BY 1, 2, 3
       ), kept AS (
         SELECT "contributionId", state::text AS state, "dueTo", count, "progressSum"::int AS "progressSum"
         FROM "MilestoneTally" WHERE count <> 0 OR "progressSum" <> 0
       )
       (SELECT 'recount only' AS side, * FROM (SELECT * FROM recount EXCEPT SELECT * FROM kept) r)
       UNION ALL
       (SELECT 'kept only', * FROM (SELECT * FROM kept EXCEPT SELECT * FROM recount) k)`,
    );

  beforeAll(async () => {
    t = await startTestApp();
    url = t.db.url;
    await t.app.get(PlanImportService).importFile(SEED);
  });
  afterAll(async () => {
    await t.close();
  });

  it('counts the imported plan', async () => {
    const [{ milestones, kept }] = (await sql(
      url,
      `SELECT (SELECT count(*)::int FROM "Milestone") AS milestones, (SELECT sum(count)::int FROM "MilestoneTally") AS kept`,
    )) as [{ milestones: number; kept: number }];
    expect(milestones).toBe(109);
    expect(kept).toBe(109);
    expect(await disagreement()).toEqual([]);
  });

  it('follows updates of state, progress, due year and contribution, many rows to a statement', async () => {
    await sql(url, `UPDATE "Milestone" SET state = 'in_progress', progress = 40 WHERE id % 3 = 0`);
    await sql(url, `UPDATE "Milestone" SET state = 'completed', progress = 100 WHERE id % 5 = 0`);
    await sql(url, `UPDATE "Milestone" SET "dueTo" = NULL WHERE id % 7 = 0`);
    await sql(url, `UPDATE "Milestone" SET "dueTo" = 2031 WHERE id % 11 = 0`);
    await sql(url, `UPDATE "Milestone" SET "contributionId" = (SELECT min(id) FROM "Contribution") WHERE id % 13 = 0`);
    // Only a text changes: nothing to add up, and no row may move.
    await sql(url, `UPDATE "Milestone" SET text = text || ' (edited)' WHERE id % 2 = 0`);
    expect(await disagreement()).toEqual([]);
  });

  it('follows inserts and deletes, including a cascade from a deleted contribution', async () => {
    await sql(
      url,
      `INSERT INTO "Milestone" ("planId", "contributionId", position, key, kind, "dueTo", text, state, progress, "updatedAt")
       SELECT c."planId", c.id, 100 + g, 'extra-' || c.id || '-' || g, 'milestone', 2022 + g % 3, 'Extra', 'at_risk', g * 10, now()
       FROM "Contribution" c, generate_series(1, 4) g`,
    );
    await sql(url, `DELETE FROM "Milestone" WHERE id % 4 = 1`);
    const [{ id }] = (await sql(url, `SELECT id FROM "Contribution" ORDER BY id DESC LIMIT 1`)) as [{ id: number }];
    await sql(url, `DELETE FROM "RequestMilestone" WHERE "milestoneId" IN (SELECT id FROM "Milestone" WHERE "contributionId" = $1)`, [id]);
    await sql(url, `DELETE FROM "Contribution" WHERE id = $1`, [id]);
    expect(await sql(url, `SELECT count(*)::int AS n FROM "MilestoneTally" WHERE "contributionId" = $1`, [id])).toEqual([{ n: 0 }]);
    expect(await disagreement()).toEqual([]);
  });

  it('keeps nothing of a transaction rolled back', async () => {
    const before = await sql(url, `SELECT * FROM "MilestoneTally" ORDER BY id`);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query('BEGIN');
      await client.query(`UPDATE "Milestone" SET state = 'cancelled', progress = 0`);
      await client.query(`DELETE FROM "Milestone" WHERE id % 2 = 0`);
      await client.query('ROLLBACK');
    } finally {
      await client.end();
    }
    expect(await sql(url, `SELECT * FROM "MilestoneTally" ORDER BY id`)).toEqual(before);
  });

  it('stays exact under concurrent writers, without deadlocks', async () => {
    const ids = (await sql<{ id: number }>(url, `SELECT id FROM "Milestone" ORDER BY id`)).map((row) => row.id);
    const states = ['not_started', 'in_progress', 'at_risk', 'delayed', 'completed', 'cancelled'];
    // Eight writers, each changing a few milestones per transaction in its own random order: the
    // tally rows they share (same contribution, state and year) are locked in key order.
    const writer = async (seed: number) => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        for (let round = 0; round < 25; round++) {
          const pick = Array.from({ length: 4 }, (_, k) => ids[(seed * 31 + round * 17 + k * 7) % ids.length]!);
          await client.query('BEGIN');
          for (const id of pick) {
            const state = states[(seed + round + id) % states.length]!;
            await client.query(`UPDATE "Milestone" SET state = $2::"MilestoneState", progress = $3 WHERE id = $1`, [
              id,
              state,
              (seed * 13 + round) % 101,
            ]);
          }
          await client.query('COMMIT');
        }
      } finally {
        await client.end();
      }
    };
    await Promise.all(Array.from({ length: 8 }, (_, seed) => writer(seed)));
    expect(await disagreement()).toEqual([]);
  });

  it('agrees again after the plan is imported anew', async () => {
    await t.app.get(PlanImportService).importFile(SEED);
    expect(await disagreement()).toEqual([]);
    expect(await sql(url, `SELECT sum(count)::int AS n FROM "MilestoneTally"`)).toEqual([
      { n: (await sql<{ n: number }>(url, `SELECT count(*)::int AS n FROM "Milestone"`))[0]!.n },
    ]);
  });

  it('is emptied with the milestones by TRUNCATE, which fires no row triggers', async () => {
    await sql(url, `TRUNCATE "Milestone" CASCADE`);
    expect(await sql(url, `SELECT count(*)::int AS n FROM "MilestoneTally"`)).toEqual([{ n: 0 }]);
    expect(await disagreement()).toEqual([]);
  });
});
