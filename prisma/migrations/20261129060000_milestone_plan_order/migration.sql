-- A milestone's place in its plan, as one integer: the order of goal number, intervention code
-- (byte order, a goal's own contributions first), contribution position, milestone position and
-- id, numbered 1… within each plan. The overdue list sorts by ("dueTo", "planOrder") instead of
-- joining four tables to sort; the plan import renumbers a plan after every import with the same
-- numbering (renumberPlan in src/plan/plan-writer.repository.ts).
ALTER TABLE "Milestone" ADD COLUMN "planOrder" INTEGER;

UPDATE "Milestone" m
SET "planOrder" = o.n
FROM (
  SELECT m.id,
         row_number() OVER (
           PARTITION BY m."planId"
           ORDER BY g.number, i.code COLLATE "C" NULLS FIRST, c.position, m.position, m.id
         )::int AS n
  FROM "Milestone" m
  JOIN "Contribution" c ON c.id = m."contributionId"
  JOIN "Goal" g ON g.id = c."goalId"
  LEFT JOIN "Intervention" i ON i.id = c."interventionId"
) o
WHERE o.id = m.id;

-- The overdue list: open milestones of a plan by due year, then plan order. Partial, so it holds
-- only the milestones that can be overdue, and its first entries for a plan are the first page.
-- The states are written out as the queries write them (src/progress/attainment.repository.ts),
-- so the planner can tell the index applies.
CREATE INDEX "Milestone_planId_dueTo_planOrder_id_idx" ON "Milestone"("planId", "dueTo", "planOrder", "id")
WHERE "state" IN ('not_started', 'in_progress', 'at_risk', 'delayed');
