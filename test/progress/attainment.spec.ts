import request from 'supertest';
import { PlanImportService } from '../../src/plan/plan-import.service.js';
import { PlanWriterRepository } from '../../src/plan/plan-writer.repository.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { sql } from '../support/sql.js';

/**
 * Roll-ups over the real plan 2021-24 with a known set of answers written straight into the
 * database. Every expected figure is worked out here, the slow and obvious way, from a plain
 * SELECT of all milestones: the API (which counts with GROUP BY in PostgreSQL) has to agree.
 */
const SEED = new URL('../../seeds/nordic-regional-2021-24.yaml', import.meta.url).pathname;

type State = 'not_started' | 'in_progress' | 'at_risk' | 'delayed' | 'completed' | 'cancelled';
const STATES: State[] = ['not_started', 'in_progress', 'at_risk', 'delayed', 'completed', 'cancelled'];

interface Step {
  state: State;
  progress: number;
  at: string;
  comment: string;
  evidenceUrl?: string;
  late?: boolean;
}

const actor = 'kontakt@example.org';
const step = (state: State, progress: number, at: string, comment: string, extra: Partial<Step> = {}): Step => ({
  state,
  progress,
  at,
  comment,
  ...extra,
});

/** The answers: milestone key → its updates in the order they were made. */
const ANSWERS: Record<string, Step[]> = {
  'G.1.a/Nordkalottrådet/M2021': [
    step('completed', 100, '2021-12-01T10:00:00Z', 'Kartläggningen är klar.', { evidenceUrl: 'https://example.org/kartlaggning.pdf' }),
  ],
  'G.1.a/Nordkalottrådet/M2021#2': [step('completed', 100, '2021-12-02T10:00:00Z', 'Mötet hölls i Tromsø.')],
  'G.1.a/Nordkalottrådet/M2021/2024': [step('in_progress', 60, '2022-11-20T09:00:00Z', 'Koordinering pågår.')],
  'G.1.a/Greater Copenhagen/unlabelled': [step('delayed', 25, '2022-11-21T09:00:00Z', 'Venter på finansiering.')],
  'G.1.b/Kvarkenrådet/M21': [step('completed', 100, '2021-11-30T09:00:00Z', 'Klart.')],
  'G.1.b/Kvarkenrådet/M22': [step('at_risk', 40, '2022-11-22T09:00:00Z', 'Resurser saknas.')],
  'G.1.e/Mittnordenkommittén/M12': [step('cancelled', 0, '2022-11-23T09:00:00Z', 'Projektet lades ned.')],
  'goal-6/Svinesundskommittén/M21-24': [step('completed', 100, '2024-11-20T09:00:00Z', 'Gränshinder rapporterade.')],
  'K.6.a/Svinesundskommittén/M21': [step('at_risk', 30, '2022-11-24T09:00:00Z', 'Försenat av pandemin.')],
  'K.6.c/Nordkalottrådet/M2021-2022': [step('cancelled', 0, '2022-11-25T09:00:00Z', 'Ersatt av K.6.d.')],
  'K.6.d/Tornedalsrådet/MP2021': [step('completed', 100, '2021-11-26T09:00:00Z', 'Genomfört.')],
  'K.6.d/Tornedalsrådet/D2021': [
    step('completed', 100, '2021-11-27T09:00:00Z', 'Rapport levererad.', { evidenceUrl: 'https://example.org/d2021' }),
  ],
  'K.6.d/MidtSkandia/MP2022': [step('delayed', 20, '2022-11-28T09:00:00Z', 'Utsatt till 2023.')],
  'K.6.d/Nordkalottrådet/M2021-2022': [step('in_progress', 70, '2022-11-29T09:00:00Z', 'Nästan klart.')],
  'goal-7/Svinesundskommittén/M 21-24': [step('in_progress', 35, '2022-11-30T09:00:00Z', 'Pågår.')],
  // Three updates; the middle one is written last, so only an order by time gets them right.
  'K.7.b/Greater Copenhagen/MP2021': [
    step('in_progress', 30, '2021-11-20T09:00:00Z', 'Kommet i gang.'),
    step('at_risk', 30, '2022-11-20T09:00:00Z', 'Partner er sprunget fra.'),
    step('delayed', 10, '2023-12-05T09:00:00Z', 'Udskudt et år.', { late: true, evidenceUrl: 'https://example.org/gc-brev' }),
  ],
  'K.7.b/Tornedalsrådet/MP2021': [step('completed', 100, '2021-12-03T09:00:00Z', 'Klart.')],
  'K.7.a/Innlandet-Dalarna/M22': [step('cancelled', 0, '2022-12-01T09:00:00Z', 'Trekkes.')],
  'S.9.a/MidtSkandia/MP2021': [step('completed', 100, '2021-12-04T09:00:00Z', 'Gjennomført.')],
  'S.9.b/Nordkalottrådet/M2022': [step('at_risk', 30, '2022-12-02T09:00:00Z', 'Osäkert.')],
  'S.10.e/Nordkalottrådet/M2021': [step('completed', 100, '2021-12-05T09:00:00Z', 'Klart.')],
  'S.10.f/Mittnordenkommittén/MP 2021': [step('in_progress', 50, '2022-12-03T09:00:00Z', 'Halvvägs.')],
};

/** Milestones added to the two contributions with a budget (in EUR), which the plan gives none. */
const EXTRA_MILESTONES: { contribution: string; key: string; dueTo: number; state: State; progress: number }[] = [
  { contribution: 'K.6.b/Kvarkenrådet', key: 'K.6.b/Kvarkenrådet/test-1', dueTo: 2021, state: 'completed', progress: 100 },
  { contribution: 'K.6.b/Kvarkenrådet', key: 'K.6.b/Kvarkenrådet/test-2', dueTo: 2022, state: 'in_progress', progress: 50 },
  { contribution: 'K.6.b/Kvarkenrådet', key: 'K.6.b/Kvarkenrådet/test-3', dueTo: 2024, state: 'not_started', progress: 0 },
  { contribution: 'K.6.d/Kvarkenrådet', key: 'K.6.d/Kvarkenrådet/test-1', dueTo: 2021, state: 'completed', progress: 100 },
  { contribution: 'K.6.d/Kvarkenrådet', key: 'K.6.d/Kvarkenrådet/test-2', dueTo: 2022, state: 'cancelled', progress: 0 },
];

interface MilestoneRow {
  id: number;
  key: string;
  label: string | null;
  text: string;
  dueFrom: number | null;
  dueTo: number | null;
  state: State;
  progress: number;
  position: number;
  contributionId: number;
  contributionKey: string;
  contributionPosition: number;
  organisationId: number;
  organisationName: string;
  goalId: number;
  goalNumber: number;
  priorityId: number;
  interventionId: number | null;
  interventionCode: string | null;
}

interface UpdateRow {
  id: number;
  milestoneId: number;
  toState: string;
  comment: string | null;
  channel: string;
  actor: string;
  createdAt: Date;
}

interface World {
  milestones: MilestoneRow[];
  updates: UpdateRow[];
  priorities: { id: number; name: string }[];
  goals: { id: number; number: number; priorityId: number; budgetTotal: string | null; budgetCurrency: string | null }[];
  interventions: { id: number; code: string; goalId: number }[];
  contributions: { id: number; key: string; goalId: number; budgetAmount: string | null; budgetCurrency: string | null }[];
  organisations: { id: number; name: string }[];
  currency: string;
}

/** The figures, worked out one milestone at a time. */
function naiveFigures(milestones: MilestoneRow[], year: number) {
  const counts = Object.fromEntries(STATES.map((state) => [state, milestones.filter((m) => m.state === state).length])) as Record<
    State,
    number
  >;
  const total = milestones.length;
  const notCancelled = milestones.filter((m) => m.state !== 'cancelled');
  const denominator = total - counts.cancelled;
  return {
    counts: { ...counts, total },
    completion: { value: denominator === 0 ? null : counts.completed / denominator, completed: counts.completed, denominator },
    overdue: milestones.filter((m) => m.dueTo !== null && m.dueTo < year && m.state !== 'completed' && m.state !== 'cancelled').length,
    atRisk: counts.at_risk + counts.delayed,
    averageProgress: notCancelled.length === 0 ? null : notCancelled.reduce((sum, m) => sum + m.progress, 0) / notCancelled.length,
  };
}

/** Σ(completion × budget) / Σ budget over the parts that have a budget and a completion. */
function naiveWeighted(parts: { completion: number | null; budget: number | null }[]): number | null {
  const used = parts.filter((part) => part.budget !== null && part.completion !== null) as { completion: number; budget: number }[];
  const weight = used.reduce((sum, part) => sum + part.budget, 0);
  return weight === 0 ? null : used.reduce((sum, part) => sum + part.completion * part.budget, 0) / weight;
}

interface ApiFigures {
  counts: Record<State | 'total', number> & { formula: string };
  completion: { value: number | null; completed: number; denominator: number; formula: string };
  budgetWeighted: { value: number | null; currency: string; formula: string; leftOut: string[] } | null;
  overdue: { count: number; referenceYear: number; formula: string };
  atRisk: { count: number; atRisk: number; delayed: number; formula: string };
  averageProgress: { value: number | null; formula: string };
}

const closeTo = (value: number | null) => (value === null ? null : expect.closeTo(value, 10));

function expectFigures(actual: ApiFigures, milestones: MilestoneRow[], year: number, where: string) {
  const expected = naiveFigures(milestones, year);
  const { formula: _counts, ...counts } = actual.counts;
  expect({ where, counts }).toEqual({ where, counts: expected.counts });
  expect({ where, completion: actual.completion }).toEqual({
    where,
    completion: {
      value: closeTo(expected.completion.value),
      completed: expected.completion.completed,
      denominator: expected.completion.denominator,
      formula: expect.any(String),
    },
  });
  expect({ where, overdue: actual.overdue.count, atRisk: actual.atRisk.count, averageProgress: actual.averageProgress.value }).toEqual({
    where,
    overdue: expected.overdue,
    atRisk: expected.atRisk,
    averageProgress: closeTo(expected.averageProgress),
  });
  // The formulas carry the actual numbers.
  const { total, cancelled, completed } = expected.counts;
  expect(actual.completion.formula).toContain(`= ${completed} / (${total} − ${cancelled}) = `);
  if (expected.completion.value !== null) expect(actual.completion.formula).toContain(`${(expected.completion.value * 100).toFixed(1)} %`);
  expect(actual.counts.formula).toContain(`= ${total}`);
  expect(actual.overdue.formula).toContain(`= ${expected.overdue}`);
  expect(actual.atRisk.formula).toContain(`${expected.counts.at_risk} + ${expected.counts.delayed} = ${expected.atRisk}`);
}

describe('attainment and the overdue list', () => {
  let t: TestApp;
  let http: TestApp['api'];
  let world: World;

  beforeAll(async () => {
    // The plan is imported before the answers below were given, as it would be.
    t = await startTestApp({ now: '2021-01-04T08:00:00Z' });
    await t.app.get(PlanImportService).importFile(SEED);
    t.clock.set('2026-11-29T10:00:00Z');
    http = t.api;
    const url = t.db.url;

    for (const extra of EXTRA_MILESTONES) {
      await sql(
        url,
        `INSERT INTO "Milestone" ("planId", "contributionId", position, key, label, kind, "dueFrom", "dueTo", text, notes, state, progress, "updatedAt")
         SELECT c."planId", c.id, 100 + (SELECT count(*) FROM "Milestone" WHERE "contributionId" = c.id), $2, 'M' || $3::text, 'milestone', $3::int, $3::int, 'Test milestone', '{}', $4::"MilestoneState", $5, now()
         FROM "Contribution" c WHERE c.key = $1`,
        [extra.contribution, extra.key, extra.dueTo, extra.state, extra.progress],
      );
    }
    // Milestones written by hand are numbered in plan order as an import numbers them (the
    // overdue list sorts by that number).
    const [{ id: planId }] = (await sql<{ id: number }>(url, `SELECT id FROM "Plan"`)) as [{ id: number }];
    expect(await t.app.get(PlanWriterRepository).renumber(planId)).toBeGreaterThan(0);
    // Goal 9 loses its budget total: the plan and priority figures must leave it out.
    await sql(url, `UPDATE "Goal" SET "budgetTotal" = NULL WHERE number = 9`);

    // The updates are written last step first, so ids run against time for the milestone with several.
    for (const [key, steps] of Object.entries(ANSWERS)) {
      const [milestone] = await sql<{ id: number }>(url, `SELECT id FROM "Milestone" WHERE key = $1`, [key]);
      expect(milestone).toBeDefined();
      const ordered = steps.map((s, index) => ({ ...s, fromState: index === 0 ? 'not_started' : steps[index - 1]!.state }));
      for (const s of [...ordered.slice(-1), ...ordered.slice(0, -1)]) {
        await sql(
          url,
          `INSERT INTO "MilestoneUpdate" ("milestoneId", "fromState", "toState", progress, comment, "evidenceUrl", channel, actor, late, "createdAt")
           VALUES ($1, $2::"MilestoneState", $3::"MilestoneState", $4, $5, $6, 'link_form', $7, $8, $9)`,
          [milestone!.id, s.fromState, s.state, s.progress, s.comment, s.evidenceUrl ?? null, actor, s.late ?? false, s.at],
        );
      }
      const last = steps[steps.length - 1]!;
      await sql(url, `UPDATE "Milestone" SET state = $2::"MilestoneState", progress = $3, "stateChangedAt" = $4 WHERE id = $1`, [
        milestone!.id,
        last.state,
        last.progress,
        last.at,
      ]);
    }

    world = {
      milestones: await sql<MilestoneRow>(
        url,
        `SELECT m.id, m.key, m.label, m.text, m."dueFrom", m."dueTo", m.state::text AS state, m.progress, m.position,
                c.id AS "contributionId", c.key AS "contributionKey", c.position AS "contributionPosition",
                o.id AS "organisationId", o.name AS "organisationName",
                g.id AS "goalId", g.number AS "goalNumber", g."priorityId", i.id AS "interventionId", i.code AS "interventionCode"
         FROM "Milestone" m
         JOIN "Contribution" c ON c.id = m."contributionId"
         JOIN "Organisation" o ON o.id = c."organisationId"
         JOIN "Goal" g ON g.id = c."goalId"
         LEFT JOIN "Intervention" i ON i.id = c."interventionId"`,
      ),
      updates: await sql<UpdateRow>(
        url,
        `SELECT id, "milestoneId", "toState"::text AS "toState", comment, channel::text AS channel, actor, "createdAt" AT TIME ZONE 'UTC' AS "createdAt" FROM "MilestoneUpdate"`,
      ),
      priorities: await sql(url, `SELECT id, name FROM "Priority"`),
      goals: await sql(url, `SELECT id, number, "priorityId", "budgetTotal"::text AS "budgetTotal", "budgetCurrency" FROM "Goal"`),
      interventions: await sql(url, `SELECT id, code, "goalId" FROM "Intervention"`),
      contributions: await sql(
        url,
        `SELECT id, key, "goalId", "budgetAmount"::text AS "budgetAmount", "budgetCurrency" FROM "Contribution"`,
      ),
      organisations: await sql(url, `SELECT o.id, o.name FROM "Organisation" o JOIN "PlanOrganisation" po ON po."organisationId" = o.id`),
      currency: (await sql<{ currency: string }>(url, `SELECT currency FROM "Plan"`))[0]!.currency,
    };
  });
  afterAll(() => t.close());

  const goalCompletion = (goalId: number) =>
    naiveFigures(
      world.milestones.filter((m) => m.goalId === goalId),
      2023,
    ).completion.value;
  const goalWeighted = (goals: World['goals']) =>
    naiveWeighted(
      goals.map((goal) => ({
        completion: goalCompletion(goal.id),
        budget: goal.budgetTotal === null || goal.budgetCurrency !== world.currency ? null : Number(goal.budgetTotal),
      })),
    );

  it('counts the plan, every priority, goal, intervention, contribution and organisation as a naive count does', async () => {
    const body = (await http.get('/api/attainment?asOf=2023-06-30').expect(200)).body;
    expect(body).toMatchObject({ asOf: '2023-06-30', referenceYear: 2023, plan: { currency: world.currency } });
    const year = 2023;
    expect(body.figures.counts.total).toBe(109 + EXTRA_MILESTONES.length);
    expectFigures(body.figures, world.milestones, year, 'plan');
    const { completed, total, cancelled } = naiveFigures(world.milestones, year).counts;
    expect(body.figures.completion.formula).toBe(
      `completion = completed / (all − cancelled) = ${completed} / (${total} − ${cancelled}) = ${((completed / (total - cancelled)) * 100).toFixed(1)} %`,
    );

    expect(body.priorities.map((p: { name: string }) => p.name)).toEqual([
      'Grönt Norden',
      'Konkurrenskraftigt Norden',
      'Socialt hållbart Norden',
    ]);
    let interventionsSeen = 0;
    let contributionsSeen = 0;
    for (const priority of body.priorities) {
      const { id } = world.priorities.find((p) => p.name === priority.name)!;
      expectFigures(
        priority.figures,
        world.milestones.filter((m) => m.priorityId === id),
        year,
        priority.name,
      );
      for (const goal of priority.goals) {
        const { id: goalId } = world.goals.find((g) => g.number === goal.number)!;
        expectFigures(
          goal.figures,
          world.milestones.filter((m) => m.goalId === goalId),
          year,
          `goal ${goal.number}`,
        );
        for (const intervention of goal.interventions) {
          const { id: interventionId } = world.interventions.find((i) => i.code === intervention.code)!;
          expectFigures(
            intervention.figures,
            world.milestones.filter((m) => m.interventionId === interventionId),
            year,
            intervention.code,
          );
          interventionsSeen++;
          for (const contribution of intervention.contributions) {
            expectFigures(
              contribution.figures,
              world.milestones.filter((m) => m.contributionKey === contribution.key),
              year,
              contribution.key,
            );
            contributionsSeen++;
          }
        }
        for (const contribution of goal.contributions) {
          expectFigures(
            contribution.figures,
            world.milestones.filter((m) => m.contributionKey === contribution.key),
            year,
            contribution.key,
          );
          contributionsSeen++;
        }
      }
    }
    expect(body.priorities.flatMap((p: { goals: { number: number }[] }) => p.goals.map((g) => g.number))).toEqual([1, 6, 7, 9, 10]);
    expect(interventionsSeen).toBe(world.interventions.length);
    expect(contributionsSeen).toBe(world.contributions.length);

    expect(body.organisations.map((o: { name: string }) => o.name).sort()).toEqual(world.organisations.map((o) => o.name).sort());
    for (const organisation of body.organisations) {
      expectFigures(
        organisation.figures,
        world.milestones.filter((m) => m.organisationId === organisation.id),
        year,
        organisation.name,
      );
    }
  });

  it('spot-checks figures that are easy to see by hand', async () => {
    const body = (await http.get('/api/attainment?asOf=2023-06-30').expect(200)).body;
    const goal7 = body.priorities[1].goals.find((g: { number: number }) => g.number === 7);
    // Innlandet-Dalarna's only milestone on K.7.a is cancelled: nothing is left to complete.
    const innlandet = goal7.interventions
      .find((i: { code: string }) => i.code === 'K.7.a')
      .contributions.find((c: { organisation: string }) => c.organisation === 'Innlandet-Dalarna');
    expect(innlandet.figures.completion).toMatchObject({ value: null, completed: 0, denominator: 0 });
    expect(innlandet.figures.averageProgress.value).toBeNull();
    // An intervention without contributions has all-zero counts.
    const interventions = body.priorities.flatMap((p: { goals: { interventions: unknown[] }[] }) =>
      p.goals.flatMap((g) => g.interventions),
    );
    const empty = interventions.find((i: { contributions: unknown[] }) => i.contributions.length === 0);
    expect(empty.figures.counts).toMatchObject({ total: 0, not_started: 0, completed: 0, cancelled: 0 });
    // The unlabelled, delayed Greater Copenhagen milestone has no due year: at risk, never overdue.
    const g1a = body.priorities[0].goals[0].interventions.find((i: { code: string }) => i.code === 'G.1.a');
    const gc = g1a.contributions.find((c: { organisation: string }) => c.organisation === 'Greater Copenhagen');
    expect(gc.figures.atRisk).toMatchObject({ count: 1, atRisk: 0, delayed: 1 });
    expect(gc.figures.overdue.count).toBe(0);
  });

  it('weights completion by goal budget totals at plan and priority level, leaving out the goal without one', async () => {
    const body = (await http.get('/api/attainment?asOf=2023-06-30').expect(200)).body;
    expect(body.figures.budgetWeighted).toMatchObject({ value: closeTo(goalWeighted(world.goals)), currency: world.currency });
    expect(body.figures.budgetWeighted.leftOut).toEqual(['goal 9 (no budget)']);
    expect(body.figures.budgetWeighted.formula).toContain('goal 9');
    for (const priority of body.priorities) {
      const { id } = world.priorities.find((p) => p.name === priority.name)!;
      const goals = world.goals.filter((g) => g.priorityId === id);
      const expected = goals.some((g) => g.budgetTotal !== null) ? { value: closeTo(goalWeighted(goals)) } : null;
      if (expected === null) expect(priority.figures.budgetWeighted).toBeNull();
      else expect(priority.figures.budgetWeighted).toMatchObject(expected);
    }
    // A priority whose only budgeted goal is weighted gets exactly that goal's completion.
    const goal1 = world.goals.find((g) => g.number === 1)!;
    expect(body.priorities[0].figures.budgetWeighted.value).toBeCloseTo(goalCompletion(goal1.id)!, 10);
  });

  it('weights a goal by its contributions’ budgets only where contributions have one', async () => {
    const body = (await http.get('/api/attainment?asOf=2023-06-30').expect(200)).body;
    for (const goal of body.priorities.flatMap((p: { goals: unknown[] }) => p.goals) as { number: number; figures: ApiFigures }[]) {
      const { id } = world.goals.find((g) => g.number === goal.number)!;
      const budgeted = world.contributions.filter((c) => c.goalId === id && c.budgetAmount !== null);
      if (budgeted.length === 0) {
        expect({ goal: goal.number, budgetWeighted: goal.figures.budgetWeighted }).toEqual({ goal: goal.number, budgetWeighted: null });
        continue;
      }
      const expected = naiveWeighted(
        budgeted.map((c) => ({
          completion: naiveFigures(
            world.milestones.filter((m) => m.contributionId === c.id),
            2023,
          ).completion.value,
          budget: Number(c.budgetAmount),
        })),
      );
      expect(goal.figures.budgetWeighted).toMatchObject({ value: closeTo(expected), currency: budgeted[0]!.budgetCurrency });
    }
    // Goal 6: Kvarkenrådet 30 000 EUR at 1/3 completed, 20 000 EUR at 1/1 (one of two cancelled).
    const goal6 = body.priorities[1].goals.find((g: { number: number }) => g.number === 6);
    expect(goal6.figures.budgetWeighted.value).toBeCloseTo((30_000 / 3 + 20_000) / 50_000, 10);
    expect(goal6.figures.budgetWeighted.formula).toContain('50 000 EUR = 60.0 %');
  });

  it('serves one goal’s subtree, the same as in the whole plan', async () => {
    const whole = (await http.get('/api/attainment?asOf=2023-06-30').expect(200)).body;
    const goal6 = whole.priorities[1].goals.find((g: { number: number }) => g.number === 6);
    const { criteria, ...body } = (await http.get('/api/goals/6/attainment?asOf=2023-06-30').expect(200)).body;
    expect(body).toEqual({
      asOf: '2023-06-30',
      referenceYear: 2023,
      figuresOf: whole.figuresOf,
      priority: 'Konkurrenskraftigt Norden',
      ...goal6,
    });
    // Beside the milestone figures, the goal's own criteria as assessed for the reference year.
    expect(criteria).toMatchObject({ goal: 6, year: 2023, summary: { text: '0 of 2 criteria met, 2 not assessed' } });
    const { id } = world.goals.find((g) => g.number === 6)!;
    expectFigures(
      body.figures,
      world.milestones.filter((m) => m.goalId === id),
      2023,
      'goal 6 alone',
    );
  });

  it('cuts the tree at the depth asked for, with the same figures, and the organisations only when wanted', async () => {
    const whole = (await http.get('/api/attainment?asOf=2023-06-30').expect(200)).body;
    type Node = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON of the tree, checked by expect
    /** The whole answer cut by hand at a depth (plan 0 … contributions 4): what the service should give. */
    const cut = (depth: number, organisations: boolean): Node => {
      const { priorities, organisations: everyOrganisation, ...top } = whole as Node;
      const goal = ({ interventions, contributions, ...rest }: Node): Node => ({
        ...rest,
        ...(depth >= 3 && {
          interventions: interventions.map(({ contributions: own, ...intervention }: Node) =>
            depth >= 4 ? { ...intervention, contributions: own } : intervention,
          ),
        }),
        ...(depth >= 4 && { contributions }),
      });
      return {
        ...top,
        ...(depth >= 1 && {
          priorities: priorities.map(({ goals, ...priority }: Node) => ({ ...priority, ...(depth >= 2 && { goals: goals.map(goal) }) })),
        }),
        ...(organisations && { organisations: everyOrganisation }),
      };
    };
    const depths = ['plan', 'priorities', 'goals', 'interventions', 'contributions'];
    for (const [level, depth] of depths.entries()) {
      const body = (await http.get(`/api/attainment?asOf=2023-06-30&depth=${depth}`).expect(200)).body;
      expect(body).toEqual(cut(level, depth === 'contributions'));
      const withOrganisations = (await http.get(`/api/attainment?asOf=2023-06-30&depth=${depth}&organisations=true`).expect(200)).body;
      expect(withOrganisations).toEqual(cut(level, true));
    }
    expect((await http.get('/api/attainment?asOf=2023-06-30&depth=goals').expect(200)).body.priorities[1].goals[0]).toEqual(
      expect.objectContaining({ number: whole.priorities[1].goals[0].number, figures: whole.priorities[1].goals[0].figures }),
    );
    expect((await http.get('/api/attainment?asOf=2023-06-30&organisations=false').expect(200)).body).toEqual(cut(4, false));
    const small = JSON.stringify((await http.get('/api/attainment?asOf=2023-06-30&depth=goals').expect(200)).body).length;
    expect(small).toBeLessThan(JSON.stringify(whole).length / 2);
    for (const url of ['/api/attainment?depth=milestones', '/api/attainment?organisations=yes']) {
      const message = JSON.stringify((await http.get(url).expect(400)).body.message);
      expect(message).toMatch(
        /depth: must be one of plan, priorities, goals, interventions, contributions|organisations: must be true or false/,
      );
    }
  });

  it('takes the reference year from today when asOf is left out', async () => {
    const body = (await http.get('/api/attainment').expect(200)).body;
    // The test clock stands at 2026-11-29.
    expect(body).toMatchObject({ asOf: '2026-11-29', referenceYear: 2026 });
    expectFigures(body.figures, world.milestones, 2026, 'plan in 2026');
  });

  /** The overdue list, worked out by filtering and sorting every milestone. */
  function naiveOverdue(year: number, keep: (m: MilestoneRow) => boolean = () => true) {
    const lastUpdate = (milestoneId: number) => {
      const [last] = world.updates
        .filter((u) => u.milestoneId === milestoneId)
        .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || b.id - a.id);
      return last
        ? { state: last.toState, comment: last.comment, channel: last.channel, actor: last.actor, createdAt: last.createdAt.toISOString() }
        : null;
    };
    const code = (m: MilestoneRow) => m.interventionCode ?? '';
    return world.milestones
      .filter((m) => m.dueTo !== null && m.dueTo < year && !['completed', 'cancelled'].includes(m.state) && keep(m))
      .sort(
        (a, b) =>
          a.dueTo! - b.dueTo! ||
          a.goalNumber - b.goalNumber ||
          (code(a) < code(b) ? -1 : code(a) > code(b) ? 1 : 0) ||
          a.contributionPosition - b.contributionPosition ||
          a.position - b.position ||
          a.id - b.id,
      )
      .map((m) => ({
        id: m.id,
        key: m.key,
        owner: { id: m.organisationId, name: m.organisationName },
        goal: m.goalNumber,
        intervention: m.interventionCode,
        contribution: m.contributionKey,
        label: m.label,
        text: m.text,
        dueFrom: m.dueFrom,
        dueTo: m.dueTo,
        state: m.state,
        progress: m.progress,
        yearsLate: year - m.dueTo!,
        lastUpdate: lastUpdate(m.id),
      }));
  }

  it('lists overdue milestones as of 2023-06-30 in the same order as a naive sort', async () => {
    const expected = naiveOverdue(2023);
    expect(expected.length).toBeGreaterThan(20);
    const body = (await http.get('/api/milestones/overdue?asOf=2023-06-30&pageSize=500').expect(200)).body;
    expect(body).toMatchObject({ asOf: '2023-06-30', referenceYear: 2023, page: 1, pageSize: 500, total: expected.length });
    expect(body.items).toEqual(expected);
    // The latest of three updates, though it was written first.
    const gc = body.items.find((item: { key: string }) => item.key === 'K.7.b/Greater Copenhagen/MP2021');
    expect(gc).toMatchObject({
      state: 'delayed',
      yearsLate: 2,
      lastUpdate: { state: 'delayed', comment: 'Udskudt et år.', channel: 'link_form', actor },
    });
    expect(body.items.find((item: { key: string }) => item.key === 'K.6.c/Nordkalottrådet/M2021-2022')).toBeUndefined();
  });

  it('pages and filters the overdue list by organisation, goal and intervention', async () => {
    const all = naiveOverdue(2023);
    const page2 = (await http.get('/api/milestones/overdue?asOf=2023-06-30&pageSize=7&page=2').expect(200)).body;
    expect(page2).toMatchObject({ page: 2, pageSize: 7, total: all.length });
    expect(page2.items).toEqual(all.slice(7, 14));

    const nordkalotten = world.organisations.find((o) => o.name === 'Nordkalottrådet')!;
    const byOrganisation = (
      await http.get(`/api/milestones/overdue?asOf=2023-06-30&pageSize=500&organisation=${nordkalotten.id}`).expect(200)
    ).body;
    expect(byOrganisation.items).toEqual(naiveOverdue(2023, (m) => m.organisationId === nordkalotten.id));
    expect(byOrganisation.total).toBeGreaterThan(0);
    expect(byOrganisation.total).toBe(byOrganisation.items.length);

    const byGoal = (await http.get('/api/milestones/overdue?asOf=2023-06-30&pageSize=500&goal=6').expect(200)).body;
    expect(byGoal.items).toEqual(naiveOverdue(2023, (m) => m.goalNumber === 6));
    expect(byGoal.total).toBe(byGoal.items.length);

    const byIntervention = (await http.get('/api/milestones/overdue?asOf=2023-06-30&pageSize=500&intervention=K.6.d').expect(200)).body;
    expect(byIntervention.items).toEqual(naiveOverdue(2023, (m) => m.interventionCode === 'K.6.d'));
    expect(byIntervention.total).toBe(byIntervention.items.length);

    const in2022 = (await http.get('/api/milestones/overdue?asOf=2022-01-01&pageSize=500').expect(200)).body;
    expect(in2022.items).toEqual(naiveOverdue(2022));
    expect(in2022.total).toBe(in2022.items.length);
  });

  it('routes /api/milestones/overdue to the list and /api/milestones/:id still to one milestone', async () => {
    await http.get('/api/milestones/overdue').expect(200);
    const [milestone] = world.milestones.filter((m) => m.key === 'G.1.a/Nordkalottrådet/M2021');
    const one = (await http.get(`/api/milestones/${milestone!.id}`).expect(200)).body;
    expect(one).toMatchObject({ id: milestone!.id, key: 'G.1.a/Nordkalottrådet/M2021', goal: 1, intervention: 'G.1.a' });
    await http.get('/api/milestones/999999').expect(404);
  });

  it('shows the history of a milestone, oldest first', async () => {
    const [milestone] = world.milestones.filter((m) => m.key === 'K.7.b/Greater Copenhagen/MP2021');
    const body = (await http.get(`/api/milestones/${milestone!.id}/history`).expect(200)).body;
    expect(body.milestone).toMatchObject({
      id: milestone!.id,
      key: 'K.7.b/Greater Copenhagen/MP2021',
      state: 'delayed',
      progress: 10,
      owner: { name: 'Greater Copenhagen' },
    });
    // The import's starting state comes first; the answers (written straight into the table) have no round year.
    expect(body.updates[0]).toMatchObject({ channel: 'import', toState: 'not_started', createdAt: '2021-01-04T08:00:00.000Z' });
    expect(
      body.updates
        .slice(1)
        .map(({ id: _id, requestId: _r, reason: _why, reportingYear: _year, ...update }: Record<string, unknown>) => update),
    ).toEqual([
      {
        createdAt: '2021-11-20T09:00:00.000Z',
        actor,
        channel: 'link_form',
        fromState: 'not_started',
        toState: 'in_progress',
        progress: 30,
        comment: 'Kommet i gang.',
        evidenceUrl: null,
        late: false,
      },
      {
        createdAt: '2022-11-20T09:00:00.000Z',
        actor,
        channel: 'link_form',
        fromState: 'in_progress',
        toState: 'at_risk',
        progress: 30,
        comment: 'Partner er sprunget fra.',
        evidenceUrl: null,
        late: false,
      },
      {
        createdAt: '2023-12-05T09:00:00.000Z',
        actor,
        channel: 'link_form',
        fromState: 'at_risk',
        toState: 'delayed',
        progress: 10,
        comment: 'Udskudt et år.',
        evidenceUrl: 'https://example.org/gc-brev',
        late: true,
      },
    ]);
    const untouched = world.milestones.find((m) => !(m.key in ANSWERS))!;
    // Only the state the import created it in.
    expect(
      (await http.get(`/api/milestones/${untouched.id}/history`).expect(200)).body.updates.map((u: { channel: string }) => u.channel),
    ).toEqual(['import']);
  });

  it('answers 400 naming the field for a bad asOf, and 404 for what does not exist', async () => {
    for (const url of [
      '/api/milestones/overdue?asOf=2023-13-01',
      '/api/milestones/overdue?asOf=yesterday',
      '/api/attainment?asOf=2023-02-30',
      '/api/goals/1/attainment?asOf=30.06.2023',
    ]) {
      const response = await http.get(url).expect(400);
      expect(JSON.stringify(response.body.message)).toContain('asOf: must be');
    }
    expect(JSON.stringify((await http.get('/api/milestones/overdue?intervention=K6d').expect(400)).body.message)).toContain('intervention');
    await http.get('/api/milestones/abc/history').expect(400);
    expect((await http.get('/api/goals/99/attainment').expect(404)).body.message).toBe('The plan has no goal 99.');
    expect((await http.get('/api/milestones/999999/history').expect(404)).body.message).toBe('There is no milestone with id 999999.');
    await http.get('/api/attainment?plan=999').expect(404);
  });

  it('publishes the figures, and keeps who said what to signed-in viewers', async () => {
    const anonymous = request(t.app.getHttpServer());
    await anonymous.get('/api/attainment?asOf=2023-06-30').expect(200);
    await anonymous.get('/api/goals/6/attainment').expect(200);
    await anonymous.get('/api/milestones/overdue').expect(401);
    await anonymous.get(`/api/milestones/${world.milestones[0]!.id}/history`).expect(401);
  });

  it('documents the endpoints', async () => {
    const docs = (await http.get('/api/docs-json').expect(200)).body;
    expect(Object.keys(docs.paths)).toEqual(
      expect.arrayContaining([
        '/api/attainment',
        '/api/goals/{number}/attainment',
        '/api/milestones/overdue',
        '/api/milestones/{id}/history',
      ]),
    );
  });
});
