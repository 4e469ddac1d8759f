import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { cli } from '../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../support/databases.js';
import { sql, sqlOne } from '../support/sql.js';

const SMALL = new URL('../fixtures/small-plan.yaml', import.meta.url).pathname;
const small = readFileSync(SMALL, 'utf8');

/** Row counts of every plan table: "the database is unchanged" means these are equal. */
async function snapshot(url: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const tables = [
      'Plan',
      'Organisation',
      'Contact',
      'PlanOrganisation',
      'Priority',
      'Goal',
      'BudgetLine',
      'Intervention',
      'Contribution',
      'Milestone',
      'MilestoneUpdate',
    ];
    const counts: Record<string, number> = {};
    for (const table of tables) counts[table] = Number((await client.query(`SELECT count(*) FROM "${table}"`)).rows[0].count);
    const milestones = (await client.query(`SELECT key, state, text FROM "Milestone" ORDER BY key`)).rows;
    return { counts, milestones };
  } finally {
    await client.end();
  }
}

describe('plan import and export (CLI, real PostgreSQL)', () => {
  let db: TestDatabase;
  let env: Record<string, string>;
  const dir = mkdtempSync(join(tmpdir(), 'plan-import-'));
  const write = (name: string, content: string) => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };

  beforeEach(async () => {
    db = await createTestDatabase();
    env = { DATABASE_URL: db.url };
  });
  afterEach(() => db.drop());

  it('imports a plan and exports it in the documented shape', async () => {
    const imported = await cli(['plan', 'import', SMALL], env);
    expect(imported).toMatchObject({ code: 0, err: '' });
    expect(imported.out).toMatch(
      /Imported plan "small-plan" \(id \d+\): 3 organisations, 2 goals, 2 interventions, 4 contributions, 8 milestones/,
    );

    const exported = await cli(['plan', 'export'], env);
    expect(exported.code).toBe(0);
    const plan = JSON.parse(exported.out);
    expect(plan).toMatchObject({ title: 'Small test plan 2021-24', period: { from: 2021, to: 2024 } });
    expect(plan.organisations[0]).toMatchObject({ name: 'Kvarkenrådet', kind: 'border_committee', language: 'sv' });
    const goal = plan.priorities[0].goals[0];
    expect(goal.budget).toEqual({
      currency: 'DKK',
      lines: [
        { partner: 'Nordregio', amount: 12800000 },
        { partner: 'NORA', amount: 4800000 },
      ],
      total: 17600000,
    });
    expect(goal.contributions[0]).toMatchObject({
      organisation: 'Nordregio',
      milestones: [{ label: 'D:', kind: 'deliverable', dueFrom: 2024, dueTo: 2024 }],
    });
    const kvarken = goal.interventions[0].contributions[0];
    expect(kvarken.budget).toEqual({ currency: 'EUR', amount: 30000 });
    expect(kvarken.milestones[2]).toEqual(
      expect.objectContaining({
        label: 'M23/24',
        kind: 'milestone',
        dueFrom: 2023,
        dueTo: 2024,
        text: 'Slutseminarium',
        state: 'not_started',
      }),
    );
  });

  it('re-importing the same file changes nothing and duplicates nothing', async () => {
    await cli(['plan', 'import', SMALL], env);
    const before = await snapshot(db.url);
    const again = await cli(['plan', 'import', SMALL], env);
    expect(again.out).toMatch(/^Updated plan "small-plan"/);
    expect(await snapshot(db.url)).toEqual(before);
  });

  it('export → import → export gives the same JSON', async () => {
    await cli(['plan', 'import', SMALL], env);
    const first = (await cli(['plan', 'export'], env)).out;
    const other = await createTestDatabase();
    try {
      const path = write('exported.json', first);
      expect((await cli(['plan', 'import', path], { DATABASE_URL: other.url })).code).toBe(0);
      expect((await cli(['plan', 'export'], { DATABASE_URL: other.url })).out).toEqual(first);
      // …and importing the export over the original is a no-op too.
      const before = await snapshot(db.url);
      expect((await cli(['plan', 'import', path], env)).code).toBe(0);
      expect(await snapshot(db.url)).toEqual(before);
    } finally {
      await other.drop();
    }
  });

  it('an edited file updates in place and keeps recorded states and history', async () => {
    await cli(['plan', 'import', SMALL], env);
    const milestone = await sqlOne<{ id: number }>(db.url, `SELECT id FROM "Milestone" WHERE key = 'G.1.a/Kvarkenrådet/M2021'`);
    await sql(db.url, `UPDATE "Milestone" SET state = 'completed', progress = 100 WHERE id = $1`, [milestone.id]);
    await sql(
      db.url,
      `INSERT INTO "MilestoneUpdate" ("milestoneId", "fromState", "toState", progress, channel, actor) VALUES ($1, 'not_started', 'completed', 100, 'link_form', 'kvarken@example.org')`,
      [milestone.id],
    );

    const edited = write(
      'edited.yaml',
      small
        .replace('text: Kartläggning', 'text: Kartläggning av invasiva arter')
        .replace('title: Styrke forskning', 'title: Styrke forskning og udvikling'),
    );
    const result = await cli(['plan', 'import', edited], env);
    expect(result.code).toBe(0);

    const [after] = await sql(db.url, `SELECT id, text, state, progress FROM "Milestone" WHERE key = 'G.1.a/Kvarkenrådet/M2021'`);
    expect(after).toEqual({ id: milestone.id, text: 'Kartläggning av invasiva arter', state: 'completed', progress: 100 });
    // The import's starting state and the answer: re-importing adds nothing and removes nothing.
    expect(await sql(db.url, `SELECT count(*)::int AS n FROM "MilestoneUpdate" WHERE "milestoneId" = $1`, [milestone.id])).toEqual([
      { n: 2 },
    ]);
    expect(await sql(db.url, `SELECT title FROM "Goal" WHERE number = 1`)).toEqual([{ title: 'Styrke forskning og udvikling' }]);
    expect((await snapshot(db.url)).counts.Milestone).toBe(8);
  });

  it('refuses to drop a milestone that has reports, and writes nothing', async () => {
    await cli(['plan', 'import', SMALL], env);
    const milestone = await sqlOne<{ id: number }>(db.url, `SELECT id FROM "Milestone" WHERE key = 'G.1.a/Kvarkenrådet/M23/24'`);
    await sql(
      db.url,
      `INSERT INTO "MilestoneUpdate" ("milestoneId", "fromState", "toState", progress, channel, actor) VALUES ($1, 'not_started', 'delayed', 25, 'email_reply', 'kvarken@example.org')`,
      [milestone.id],
    );
    const before = await snapshot(db.url);

    const path = write(
      'dropped.yaml',
      small
        .replace('                  - { label: "M23/24", text: Slutseminarium }\n', '')
        .replace('title: Styrke forskning', 'title: Changed'),
    );
    const result = await cli(['plan', 'import', path], env);
    expect(result.code).toBe(2);
    expect(result.err).toContain('G.1.a/Kvarkenrådet/M23/24');
    expect(result.err).toContain('Nothing was written.');
    expect(await snapshot(db.url)).toEqual(before);
    expect(await sql(db.url, `SELECT title FROM "Goal" WHERE number = 1`)).toEqual([{ title: 'Styrke forskning' }]);
  });

  it('numbers milestones in plan order (goal, intervention code, contribution, position), and again after an edit', async () => {
    // The overdue list sorts by Milestone.planOrder, so it must follow the file's order.
    const order = () => sql<{ key: string; planOrder: number }>(db.url, `SELECT key, "planOrder" FROM "Milestone" ORDER BY "planOrder"`);
    await cli(['plan', 'import', SMALL], env);
    const first = await order();
    expect(first.map((m) => m.planOrder)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(first.map((m) => m.key)).toEqual([
      expect.stringMatching(/^goal-1\/Nordregio\//),
      ...Array.from({ length: 5 }, () => expect.stringMatching(/^G\.1\.a\/Kvarkenrådet\//)),
      expect.stringMatching(/^G\.1\.a\/Greater Copenhagen\//),
      expect.stringMatching(/^K\.6\.a\/Greater Copenhagen\//),
    ]);

    // Greater Copenhagen's contribution moves before Kvarkenrådet's, and one milestone goes.
    const gc =
      '              - organisation: Greater Copenhagen\n                summary: Grøn omstilling\n                milestones:\n                  - { label: MP2022, text: Undersøge CCS }\n';
    expect(small).toContain(gc);
    const kvarken = '              - organisation: Kvarkenrådet\n';
    const edited = small
      .replace(gc, '')
      .replace(kvarken, gc + kvarken)
      .replace('                  - { label: "M 5", text: Projektmånad fem }\n', '');
    expect((await cli(['plan', 'import', write('reordered.yaml', edited)], env)).code).toBe(0);
    const second = await order();
    expect(second.map((m) => m.planOrder)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(second.map((m) => m.key)).toEqual([
      first[0]!.key,
      first[6]!.key,
      first[1]!.key,
      first[2]!.key,
      first[3]!.key,
      first[5]!.key,
      first[7]!.key,
    ]);
  });

  it('removes what an edited file no longer lists when nothing was reported on it', async () => {
    await cli(['plan', 'import', SMALL], env);
    const path = write('smaller.yaml', small.replace('                  - { label: "M 5", text: Projektmånad fem }\n', ''));
    const result = await cli(['plan', 'import', path], env);
    expect(result.out).toContain('"milestones":1');
    expect((await snapshot(db.url)).counts.Milestone).toBe(7);
  });

  it.each([
    ['malformed YAML', 'title: [unclosed', /not valid YAML or JSON/],
    [
      'an unknown organisation',
      small.replace('organisation: Kvarkenrådet', 'organisation: Kvarkenradet'),
      /contributions\[0\]\.organisation: unknown organisation "Kvarkenradet"/,
    ],
    [
      'a duplicate intervention code',
      small.replace('code: K.6.a', 'code: G.1.a'),
      /interventions\[0\]\.code: duplicate intervention code "G\.1\.a"/,
    ],
    [
      'a due year outside the period',
      small.replace('label: MP2022', 'label: MP2025'),
      /milestones\[0\]\.dueFrom: due year 2025 is outside the plan period 2021-2024/,
    ],
    ['a negative budget', small.replace('amount: 30000', 'amount: -30000'), /contributions\[0\]\.budget\.amount: must not be negative/],
  ])('refuses %s, names the place, and leaves the database as it was', async (_case, content, message) => {
    await cli(['plan', 'import', SMALL], env);
    const before = await snapshot(db.url);
    const path = write('bad.yaml', content);
    const result = await cli(['plan', 'import', path], env);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(message);
    expect(result.err).toContain(`${path}:`);
    expect(result.err).toContain('Nothing was written.');
    expect(await snapshot(db.url)).toEqual(before);
  });

  it('says clearly when the file cannot be read or the call is wrong', async () => {
    expect(await cli(['plan', 'import', join(dir, 'missing.yaml')], env)).toMatchObject({
      code: 2,
      err: expect.stringContaining('cannot be read: ENOENT'),
    });
    expect(await cli(['plan', 'import'], env)).toMatchObject({
      code: 64,
      err: expect.stringContaining('plan import takes exactly one file'),
    });
    expect(await cli(['plan', 'export', '--plan', 'x'], env)).toMatchObject({
      code: 64,
      err: expect.stringContaining('--plan takes a plan id'),
    });
    expect(await cli(['plan', 'export', '--plan', '999'], env)).toMatchObject({
      code: 2,
      err: expect.stringContaining('There is no plan with id 999'),
    });
  });

  it('refuses to start with a configuration error that names the variable', async () => {
    const result = await cli(['plan', 'export'], { DATABASE_URL: 'mysql://nope' });
    expect(result).toMatchObject({
      code: 2,
      err: expect.stringContaining('DATABASE_URL: must be a URL starting with postgres:// or postgresql://'),
    });
  });
});
