import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from '../support/cli.js';
import { admin, createTestDatabase, databaseUrl } from '../support/databases.js';
import { sql } from '../support/sql.js';

describe('npm run cli -- demo', () => {
  it('fills its own database with the real plan and a generated year, and never the real one', async () => {
    const real = await createTestDatabase();
    const demoName = `handlingsplan_test_${process.env.HANDLINGSPLAN_TEST_RUN ?? 'adhoc'}_demo_${process.pid}`;
    const env = {
      DATABASE_URL: real.url,
      DEMO_DATABASE_URL: databaseUrl(demoName),
      DEMO_OUTBOX_DIR: mkdtempSync(join(tmpdir(), 'demo-outbox-')),
    };
    try {
      const refused = await cli(['demo'], { ...env, DEMO_DATABASE_URL: real.url });
      expect(refused).toMatchObject({ code: 1, err: expect.stringContaining('DEMO_DATABASE_URL is the real database') });

      const result = await cli(['demo'], env);
      expect(result.code).toBe(0);
      expect(result.out).toMatch(/round 2022: \d+ organisations asked/);
      expect(result.out).toMatch(/demo@example\.org \/ demo-/);

      const demo = databaseUrl(demoName);
      expect(await sql(demo, `SELECT year, state::text FROM "ReportingRound" ORDER BY year`)).toEqual([
        { year: 2022, state: 'closed' },
        { year: 2023, state: 'closed' },
      ]);
      const [counts] = await sql<Record<string, number>>(
        demo,
        `SELECT (SELECT count(*)::int FROM "Milestone") AS milestones,
                (SELECT count(*)::int FROM "MilestoneUpdate" WHERE channel = 'link_form') AS form,
                (SELECT count(*)::int FROM "MilestoneUpdate" WHERE channel = 'email_reply') AS email,
                (SELECT count(*)::int FROM "MilestoneUpdate" WHERE late) AS late,
                (SELECT count(*)::int FROM "OutboxMessage" WHERE template = 'reminder' AND status = 'sent') AS reminders,
                (SELECT count(*)::int FROM "OutboxMessage" WHERE status = 'pending') AS pending`,
      );
      expect(counts).toMatchObject({ milestones: 109, pending: 0 });
      expect(counts!.form).toBeGreaterThan(0);
      expect(counts!.email).toBeGreaterThan(0);
      expect(counts!.late).toBeGreaterThan(0);
      expect(counts!.reminders).toBeGreaterThan(0);
      expect((await sql<{ notes: string[] }>(demo, `SELECT notes FROM "Plan"`))[0]!.notes.join(' ')).toContain('DEMO DATA');
      // The real database was never written to.
      expect(await sql(real.url, `SELECT count(*)::int AS n FROM "Plan"`)).toEqual([{ n: 0 }]);
    } finally {
      await admin((client) => client.query(`DROP DATABASE IF EXISTS "${demoName}" WITH (FORCE)`));
      await real.drop();
    }
  });
});
