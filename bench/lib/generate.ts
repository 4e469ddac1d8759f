import { withClient } from './db.js';

/**
 * The synthetic plan generator: a plan of any size written with a handful of
 * INSERT … SELECT generate_series statements (a million milestones in well under a minute),
 * with the same tables and columns as an imported plan. Everything is derived from row numbers
 * through hashint8, so the same shape always gives the same data.
 *
 * Two shapes:
 * - "round": every organisation has one contact and one contribution with `dueNow` open milestones
 *   due in `year` (asked about when a round for that year opens) and `later` due the year after
 *   (sent along as optional); a third of the second milestones carry an earlier comment, which the
 *   digest quotes.
 * - "spread": milestones spread over the due years 2021–2030 (one in twenty undated) with states
 *   that depend on whether they fall before `year`: older ones are mostly completed, some late;
 *   later ones mostly not started or in progress. Every milestone that has left not_started has
 *   one update (half of them an answer with a comment).
 */
export interface PlanShape {
  organisations: number;
  contributions: number;
  milestonesPerContribution: number;
  kind: 'round' | 'spread';
  /** The reporting year of a "round" plan; the reference year of a "spread" plan. */
  year: number;
  /** "round" plans: open milestones due in `year`, and due the year after, per organisation. */
  dueNow?: number;
  later?: number;
}

export interface Generated {
  planId: number;
  organisations: number;
  contributions: number;
  milestones: number;
  updates: number;
  ms: number;
}

const GOALS = 5;
const INTERVENTIONS_PER_GOAL = 5;
const LANGUAGES = ['da', 'sv', 'nb', 'fi', 'en'];
/**
 * Milestone.planOrder as the plan import numbers it (renumberPlan in src/plan/plan-writer.repository.ts):
 * goal number, intervention code, contribution and milestone position. Computed while inserting
 * (over `c`, `g`, `i` and the position `s`), so no second pass rewrites a million rows.
 */
const PLAN_ORDER = `row_number() OVER (ORDER BY g.number, i.code COLLATE "C" NULLS FIRST, c.position, s)::int`;

/** A plan for `milestones` spread milestones: the tree grows with the square root (see RESULTS.md). */
export function spreadShape(milestones: number, year: number): PlanShape {
  // About 2·√N contributions: the nearest count that divides N, so the plan has exactly N milestones.
  const wanted = Math.max(50, Math.round(2 * Math.sqrt(milestones)));
  let contributions = wanted;
  for (let step = 0; step < wanted; step++) {
    if (milestones % (wanted + step) === 0) {
      contributions = wanted + step;
      break;
    }
    if (wanted - step > 0 && milestones % (wanted - step) === 0) {
      contributions = wanted - step;
      break;
    }
  }
  return {
    kind: 'spread',
    year,
    contributions,
    organisations: Math.max(10, Math.round(contributions / 5)),
    milestonesPerContribution: Math.round(milestones / contributions),
  };
}

export function roundShape(organisations: number, year: number, dueNow = 3, later = 0): PlanShape {
  return { kind: 'round', year, organisations, contributions: organisations, milestonesPerContribution: dueNow + later, dueNow, later };
}

export async function generatePlan(url: string, shape: PlanShape): Promise<Generated> {
  const started = performance.now();
  return withClient(url, async (client) => {
    const q = (text: string, values: unknown[] = []) => client.query(text, values);
    await q('SET synchronous_commit = off');
    await q('BEGIN');
    const tag = `${shape.kind}-${shape.contributions * shape.milestonesPerContribution}`;
    const plan = await q(
      `INSERT INTO "Plan" (slug, title, "periodFrom", "periodTo", currency, notes, "updatedAt")
       VALUES ($1, $2, 2021, 2030, 'DKK', '{}', now()) RETURNING id`,
      [`bench-${tag}`, `Synthetic action plan (${tag})`],
    );
    const [{ id: planId }] = plan.rows as [{ id: number }];

    await q(
      `INSERT INTO "Priority" ("planId", position, name, notes) SELECT $1, p, 'Strategic priority ' || p, '{}' FROM generate_series(1, 3) p`,
      [planId],
    );
    await q(
      `INSERT INTO "Goal" ("planId", "priorityId", position, number, title, "attainmentCriteria", "budgetCurrency", "budgetTotal", notes)
       SELECT $1, pr.id, g, g, 'Goal ' || g || ': a goal of the synthetic plan', ARRAY['Criterion A of goal ' || g, 'Criterion B of goal ' || g], 'DKK', 1000000 * g, '{}'
       FROM generate_series(1, ${GOALS}) g JOIN "Priority" pr ON pr."planId" = $1 AND pr.position = (g - 1) % 3 + 1`,
      [planId],
    );
    await q(
      `INSERT INTO "Intervention" ("planId", "goalId", position, code, title, partners, notes)
       SELECT $1, go.id, i, (ARRAY['G','K','S','N','T'])[go.number] || '.' || go.number || '.' || chr(96 + i), 'Intervention ' || chr(96 + i) || ' of goal ' || go.number, ARRAY['NR', 'GK'], '{}'
       FROM "Goal" go CROSS JOIN generate_series(1, ${INTERVENTIONS_PER_GOAL}) i WHERE go."planId" = $1`,
      [planId],
    );
    await q(
      `INSERT INTO "Organisation" (name, kind, language, notes, "updatedAt")
       SELECT 'Bench organisation ' || lpad(o::text, 6, '0'), (ARRAY['border_committee','institution','thematic_group'])[o % 3 + 1]::"OrganisationKind",
              ($2::text[])[o % 5 + 1]::"Language", '{}', now()
       FROM generate_series(1, $1::int) o`,
      [shape.organisations, LANGUAGES],
    );
    await q(
      `INSERT INTO "Contact" ("organisationId", email, name) SELECT id, 'contact-' || id || '@bench.example.org', 'Contact ' || id FROM "Organisation"`,
    );
    await q(
      `INSERT INTO "PlanOrganisation" ("planId", "organisationId", position) SELECT $1, id, row_number() OVER (ORDER BY id) FROM "Organisation"`,
      [planId],
    );
    // Contribution j: goal j mod 5, intervention (j / 5) mod 5 of that goal, every tenth a goal-level one; owner j mod O.
    await q(
      `WITH first AS (SELECT min(id) AS id FROM "Organisation")
       INSERT INTO "Contribution" ("planId", "goalId", "interventionId", "organisationId", position, key, summary, text, "budgetAmount", "budgetCurrency", notes)
       SELECT $1, go.id, CASE WHEN j % 10 = 9 THEN NULL ELSE iv.id END, first.id + j % $2, j + 1, 'C' || j,
              'Contribution ' || j, 'What organisation ' || (j % $2 + 1) || ' does for goal ' || go.number || ', in a sentence or two as the plan writes it.',
              100000 + (j % 7) * 50000, 'DKK', '{}'
       FROM generate_series(0, $3::int - 1) j
       CROSS JOIN first
       JOIN "Goal" go ON go."planId" = $1 AND go.number = j % ${GOALS} + 1
       JOIN "Intervention" iv ON iv."goalId" = go.id AND iv.position = (j / ${GOALS}) % ${INTERVENTIONS_PER_GOAL} + 1`,
      [planId, shape.organisations, shape.contributions],
    );

    if (shape.kind === 'round') {
      // Open milestones due in the year (asked about), then those due the year after (optional).
      await q(
        `INSERT INTO "Milestone" ("planId", "contributionId", position, key, label, kind, "dueFrom", "dueTo", text, notes, state, progress, "planOrder", "updatedAt")
         SELECT $1, c.id, s, c.key || '-M' || s, 'M' || s, 'milestone', d.due, d.due,
                'Milestone ' || s || ' of ' || c.key || ': a result due by the end of the year, described as the plan describes it.', '{}',
                (CASE WHEN s > $3::int THEN 'not_started' ELSE (ARRAY['not_started','in_progress','at_risk'])[s % 3 + 1] END)::"MilestoneState",
                CASE WHEN s > $3::int THEN 0 ELSE (ARRAY[0, 50, 40])[s % 3 + 1] END,
                ${PLAN_ORDER}, now()
         FROM "Contribution" c CROSS JOIN generate_series(1, $3::int + $4::int) s
         JOIN "Goal" g ON g.id = c."goalId" LEFT JOIN "Intervention" i ON i.id = c."interventionId"
         CROSS JOIN LATERAL (SELECT CASE WHEN s > $3::int THEN $2::int + 1 ELSE $2::int END AS due) d
         WHERE c."planId" = $1`,
        [planId, shape.year, shape.dueNow ?? 3, shape.later ?? 0],
      );
      await q(
        `INSERT INTO "MilestoneUpdate" ("milestoneId", "fromState", "toState", progress, comment, channel, actor, "createdAt")
         SELECT m.id, 'not_started', m.state, m.progress, 'Started in the spring; the steering group meets again in the autumn.', 'link_form', 'link:bench', make_timestamp($2::int - 1, 11, 20, 10, 0, 0)
         FROM "Milestone" m WHERE m."planId" = $1 AND m.position = 2 AND m."contributionId" % 3 = 0`,
        [planId, shape.year],
      );
    } else {
      await q(
        `INSERT INTO "Milestone" ("planId", "contributionId", position, key, label, kind, "dueFrom", "dueTo", text, notes, state, progress, "stateChangedAt", "planOrder", "updatedAt")
         SELECT $1, r.cid, r.s, r.ckey || '-M' || r.s,
                CASE WHEN r.s % 4 = 0 THEN 'D ' || coalesce(d.due::text, '') ELSE 'M' || coalesce((d.due % 100)::text, '') END,
                (CASE WHEN r.s % 4 = 0 THEN 'deliverable' ELSE 'milestone' END)::"MilestoneKind",
                d.due - (r.h / 7) % 2, d.due,
                'Milestone ' || r.s || ' of ' || r.ckey || ': a result described in about a sentence, as plans describe them.', '{}',
                st.state::"MilestoneState",
                CASE st.state WHEN 'completed' THEN 100 WHEN 'not_started' THEN 0 WHEN 'cancelled' THEN 0 ELSE 10 + (r.h / 20000) % 81 END,
                CASE WHEN st.state <> 'not_started' THEN timestamp '2021-01-01' + ((r.h / 3) % 1800) * interval '1 day' END,
                r.plan_order, now()
         FROM (
           SELECT c.id AS cid, c.key AS ckey, s, hashint8(c.id::bigint * 1000003 + s) & 2147483647 AS h, ${PLAN_ORDER} AS plan_order
           FROM "Contribution" c CROSS JOIN generate_series(1, $2::int) s
           JOIN "Goal" g ON g.id = c."goalId" LEFT JOIN "Intervention" i ON i.id = c."interventionId"
           WHERE c."planId" = $1
         ) r
         CROSS JOIN LATERAL (SELECT CASE WHEN r.h % 20 = 0 THEN NULL ELSE 2021 + (r.h / 20) % 10 END AS due) d
         CROSS JOIN LATERAL (
           SELECT CASE
             WHEN d.due IS NOT NULL AND d.due < $3::int THEN
               CASE WHEN (r.h / 200) % 100 < 55 THEN 'completed' WHEN (r.h / 200) % 100 < 60 THEN 'cancelled'
                    WHEN (r.h / 200) % 100 < 75 THEN 'in_progress' WHEN (r.h / 200) % 100 < 85 THEN 'delayed'
                    WHEN (r.h / 200) % 100 < 90 THEN 'at_risk' ELSE 'not_started' END
             ELSE
               CASE WHEN (r.h / 200) % 100 < 10 THEN 'completed' WHEN (r.h / 200) % 100 < 13 THEN 'cancelled'
                    WHEN (r.h / 200) % 100 < 48 THEN 'in_progress' WHEN (r.h / 200) % 100 < 88 THEN 'not_started'
                    WHEN (r.h / 200) % 100 < 95 THEN 'at_risk' ELSE 'delayed' END
           END AS state
         ) st`,
        [planId, shape.milestonesPerContribution, shape.year],
      );
      // A history of about three rows per milestone, as after a few rounds: the import's starting
      // state, an answer "in progress" in the round before the last change, and the last change,
      // each answer with the year of the round it answered (the figures of record read these).
      await q(
        `INSERT INTO "MilestoneUpdate" ("milestoneId", "fromState", "toState", progress, comment, channel, actor, "createdAt", "reportingYear")
         SELECT m.id, 'not_started', 'not_started', 0, NULL, 'import', 'import', timestamptz '2021-01-01 00:00:00+00', NULL
         FROM "Milestone" m WHERE m."planId" = $1`,
        [planId],
      );
      await q(
        `INSERT INTO "MilestoneUpdate" ("milestoneId", "fromState", "toState", progress, comment, channel, actor, "createdAt", "reportingYear")
         SELECT m.id, 'not_started', 'in_progress', 30, 'Under way; the partners have met.', 'link_form', 'link:bench',
                m."stateChangedAt" - interval '1 year', EXTRACT(YEAR FROM m."stateChangedAt" - interval '1 year')::int
         FROM "Milestone" m WHERE m."planId" = $1 AND m.state NOT IN ('not_started', 'in_progress')`,
        [planId],
      );
      await q(
        `INSERT INTO "MilestoneUpdate" ("milestoneId", "fromState", "toState", progress, comment, channel, actor, "createdAt", "reportingYear")
         SELECT m.id, CASE WHEN m.state IN ('not_started', 'in_progress') THEN 'not_started' ELSE 'in_progress' END::"MilestoneState",
                m.state, m.progress,
                CASE WHEN m.id % 2 = 0 THEN 'As reported by the committee: see the minutes of the last meeting.' END,
                'link_form', 'link:bench', m."stateChangedAt", EXTRACT(YEAR FROM m."stateChangedAt")::int
         FROM "Milestone" m WHERE m."planId" = $1 AND m.state <> 'not_started'`,
        [planId],
      );
    }
    await q('COMMIT');
    // A steady-state database has been vacuumed and analysed; a fresh bulk load has not.
    await q('VACUUM ANALYZE');
    const counts = await q(
      `SELECT (SELECT count(*) FROM "Organisation")::int AS organisations, (SELECT count(*) FROM "Contribution")::int AS contributions,
              (SELECT count(*) FROM "Milestone")::int AS milestones, (SELECT count(*) FROM "MilestoneUpdate")::int AS updates`,
    );
    return { planId, ...(counts.rows[0] as Omit<Generated, 'planId' | 'ms'>), ms: performance.now() - started };
  });
}
