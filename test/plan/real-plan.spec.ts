import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from '../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../support/databases.js';
import { sql } from '../support/sql.js';

/**
 * The real action plan 2021-24 (seeds/nordic-regional-2021-24.yaml, transcribed from
 * shared/seeds/000_858c36fb5e7406e6.txt): counts from seeds/README.md, and samples checked
 * against the document by hand.
 */
const SEED = new URL('../../seeds/nordic-regional-2021-24.yaml', import.meta.url).pathname;

describe('the real action plan 2021-24', () => {
  let db: TestDatabase;
  let env: Record<string, string>;
  const count = async (table: string) => (await sql<{ n: number }>(db.url, `SELECT count(*)::int AS n FROM "${table}"`))[0]!.n;

  beforeAll(async () => {
    db = await createTestDatabase();
    env = { DATABASE_URL: db.url };
    const result = await cli(['plan', 'import', SEED], env);
    expect(result).toMatchObject({ code: 0, err: '' });
    expect(result.out).toContain('18 organisations, 5 goals, 23 interventions, 46 contributions, 109 milestones');
  });
  afterAll(() => db.drop());

  it('has every priority, goal, intervention, contribution and milestone of the document', async () => {
    expect(await sql(db.url, `SELECT name FROM "Priority" ORDER BY position`)).toEqual([
      { name: 'Grönt Norden' },
      { name: 'Konkurrenskraftigt Norden' },
      { name: 'Socialt hållbart Norden' },
    ]);
    expect((await sql<{ number: number }>(db.url, `SELECT number FROM "Goal" ORDER BY number`)).map((g) => g.number)).toEqual([
      1, 6, 7, 9, 10,
    ]);
    expect(await count('Intervention')).toBe(23);
    expect(await count('Contribution')).toBe(46);
    expect(await sql(db.url, `SELECT kind::text, count(*)::int AS n FROM "Milestone" GROUP BY kind ORDER BY kind::text`)).toEqual([
      { kind: 'deliverable', n: 21 },
      { kind: 'milestone', n: 88 },
    ]);
    expect(await sql(db.url, `SELECT count(*)::int AS n FROM "Milestone" WHERE "dueTo" IS NULL`)).toEqual([{ n: 13 }]);
    expect(await sql(db.url, `SELECT count(*)::int AS n FROM "Milestone" WHERE label IS NULL`)).toEqual([{ n: 6 }]);
  });

  it('has the budget of goal 1 per partner as the document gives it (12,8 / 4,8 / 2,4 / 10 / 30 MDKK)', async () => {
    expect(
      await sql(
        db.url,
        `SELECT b.partner, b.amount::int AS amount FROM "BudgetLine" b JOIN "Goal" g ON g.id = b."goalId" WHERE g.number = 1 ORDER BY b.position`,
      ),
    ).toEqual([
      { partner: 'Nordregio', amount: 12_800_000 },
      { partner: 'NORA', amount: 4_800_000 },
      { partner: 'GK', amount: 2_400_000 },
      { partner: 'TG', amount: 10_000_000 },
    ]);
    expect(await sql(db.url, `SELECT "budgetTotal"::int AS total FROM "Goal" WHERE number = 1`)).toEqual([{ total: 30_000_000 }]);
  });

  it("has Nordkalottrådet's milestones on G.1.a with their labels as written and the years they mean", async () => {
    const rows = await sql(
      db.url,
      `SELECT m.label, m.kind::text, m."dueFrom", m."dueTo", left(m.text, 40) AS text
       FROM "Milestone" m JOIN "Contribution" c ON c.id = m."contributionId" JOIN "Organisation" o ON o.id = c."organisationId"
       JOIN "Intervention" i ON i.id = c."interventionId" WHERE i.code = 'G.1.a' AND o.name = 'Nordkalottrådet' ORDER BY m.position`,
    );
    expect(rows).toEqual([
      { label: 'M2021/2024', kind: 'milestone', dueFrom: 2021, dueTo: 2024, text: 'Koordinering av arbetet i Nordkalottens ' },
      { label: 'M2021', kind: 'milestone', dueFrom: 2021, dueTo: 2021, text: 'Kartläggning och informationsutbyte mell' },
      { label: 'M2021', kind: 'milestone', dueFrom: 2021, dueTo: 2021, text: 'Regionala miljömyndigheternas möte om ci' },
      { label: 'M2022/2023', kind: 'milestone', dueFrom: 2022, dueTo: 2023, text: 'Arrangera seminarier för att diskutera m' },
      { label: 'D:', kind: 'deliverable', dueFrom: 2024, dueTo: 2024, text: 'Lägesrapporter med förslag till gemensam' },
    ]);
  });

  it('gives project-month labels no year, and keeps the notes on ambiguities', async () => {
    const [m5] = await sql<{ dueFrom: number | null; notes: string[] }>(
      db.url,
      `SELECT "dueFrom", notes FROM "Milestone" WHERE label = 'M 5' ORDER BY id LIMIT 1`,
    );
    expect(m5).toMatchObject({ dueFrom: null, notes: [expect.stringContaining('project months')] });
    const [month] = await sql(db.url, `SELECT "dueFrom", "dueMonth" FROM "Milestone" WHERE label = '11/2021'`);
    expect(month).toEqual({ dueFrom: 2021, dueMonth: 11 });
    const [bothnian] = await sql<{ notes: string[] }>(db.url, `SELECT notes FROM "Organisation" WHERE name = 'Bothnian Arch?'`);
    expect(bothnian!.notes.join(' ')).toMatch(/placeholder|\?/i);
    const [kvarken] = await sql(
      db.url,
      `SELECT c."budgetAmount"::int AS amount, c."budgetCurrency" AS currency FROM "Contribution" c JOIN "Intervention" i ON i.id = c."interventionId" WHERE i.code = 'K.6.b' AND c.key LIKE '%Kvarkenrådet%'`,
    );
    expect(kvarken).toEqual({ amount: 30_000, currency: 'EUR' });
  });

  it('marks every contact address as a placeholder on an example domain, and gives each organisation a language', async () => {
    expect(await sql(db.url, `SELECT count(*)::int AS n FROM "Contact" WHERE NOT placeholder OR email !~ '@example\\.(org|com)$'`)).toEqual(
      [{ n: 0 }],
    );
    expect(
      await sql(
        db.url,
        `SELECT name, language::text FROM "Organisation" WHERE name IN ('Greater Copenhagen', 'Kvarkenrådet', 'Nordregio') ORDER BY name`,
      ),
    ).toEqual([
      { name: 'Greater Copenhagen', language: 'da' },
      { name: 'Kvarkenrådet', language: 'sv' },
      { name: 'Nordregio', language: 'en' },
    ]);
  });

  it('re-imports without change, and survives export → import → export', async () => {
    const before = await sql(db.url, `SELECT id, key, state::text, text FROM "Milestone" ORDER BY id`);
    expect((await cli(['plan', 'import', SEED], env)).code).toBe(0);
    expect(await sql(db.url, `SELECT id, key, state::text, text FROM "Milestone" ORDER BY id`)).toEqual(before);

    const exported = (await cli(['plan', 'export'], env)).out;
    const other = await createTestDatabase();
    try {
      const file = join(mkdtempSync(join(tmpdir(), 'real-plan-')), 'export.json');
      writeFileSync(file, exported);
      expect((await cli(['plan', 'import', file], { DATABASE_URL: other.url })).code).toBe(0);
      expect((await cli(['plan', 'export'], { DATABASE_URL: other.url })).out).toEqual(exported);
    } finally {
      await other.drop();
    }
  });
});
