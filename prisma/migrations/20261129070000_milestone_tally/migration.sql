-- The roll-ups' figures, kept up to date by PostgreSQL itself: how many milestones each
-- contribution has in each state and due year, and the sum of their progress. Attainment at any
-- level, for any reference year, is a sum over these rows (a few per contribution) instead of a
-- pass over every milestone of the plan: at 1,000,000 milestones that pass alone took 175–250 ms
-- (bench/RESULTS.md). The triggers below keep the rows exact whoever writes milestones (the plan
-- import, answers, replies, the demo, a hand-written UPDATE), in the writer's own transaction.
CREATE TABLE "MilestoneTally" (
    "id" SERIAL NOT NULL,
    "contributionId" INTEGER NOT NULL,
    "state" "MilestoneState" NOT NULL,
    "dueTo" INTEGER,
    "count" INTEGER NOT NULL,
    "progressSum" BIGINT NOT NULL,

    CONSTRAINT "MilestoneTally_pkey" PRIMARY KEY ("id")
);

-- One row per (contribution, state, due year); milestones without a due year share one row.
CREATE UNIQUE INDEX "MilestoneTally_contributionId_state_dueTo_key" ON "MilestoneTally"("contributionId", "state", "dueTo") NULLS NOT DISTINCT;

ALTER TABLE "MilestoneTally" ADD CONSTRAINT "MilestoneTally_contributionId_fkey" FOREIGN KEY ("contributionId") REFERENCES "Contribution"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Adds what a statement changed, per group, in one upsert: statement-level triggers see all the
-- statement's rows at once (transition tables), so importing 1,000,000 milestones is one
-- aggregate, not a million upserts. Groups are written in key order, so concurrent writers lock
-- tally rows in the same order and cannot deadlock on them. Groups of a contribution deleted by
-- the same statement (ON DELETE CASCADE from a contribution or plan) are skipped: their tally
-- rows go with the contribution.
CREATE FUNCTION "milestone_tally_apply"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO "MilestoneTally" ("contributionId", "state", "dueTo", "count", "progressSum")
    SELECT "contributionId", "state", "dueTo", count(*), sum("progress")
    FROM new_rows GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT ("contributionId", "state", "dueTo") DO UPDATE
      SET "count" = "MilestoneTally"."count" + EXCLUDED."count", "progressSum" = "MilestoneTally"."progressSum" + EXCLUDED."progressSum";
  ELSIF TG_OP = 'DELETE' THEN
    UPDATE "MilestoneTally" t SET "count" = t."count" - d.n, "progressSum" = t."progressSum" - d.p
    FROM (SELECT "contributionId", "state", "dueTo", count(*) AS n, sum("progress") AS p FROM old_rows GROUP BY 1, 2, 3) d
    WHERE t."contributionId" = d."contributionId" AND t."state" = d."state" AND t."dueTo" IS NOT DISTINCT FROM d."dueTo";
  ELSE
    INSERT INTO "MilestoneTally" ("contributionId", "state", "dueTo", "count", "progressSum")
    SELECT "contributionId", "state", "dueTo", sum(n), sum(p)
    FROM (
      SELECT "contributionId", "state", "dueTo", 1 AS n, "progress"::bigint AS p FROM new_rows
      UNION ALL
      SELECT "contributionId", "state", "dueTo", -1, -"progress"::bigint FROM old_rows
    ) delta
    WHERE EXISTS (SELECT 1 FROM "Contribution" c WHERE c.id = delta."contributionId")
    GROUP BY 1, 2, 3
    HAVING sum(n) <> 0 OR sum(p) <> 0
    ORDER BY 1, 2, 3
    ON CONFLICT ("contributionId", "state", "dueTo") DO UPDATE
      SET "count" = "MilestoneTally"."count" + EXCLUDED."count", "progressSum" = "MilestoneTally"."progressSum" + EXCLUDED."progressSum";
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER "milestone_tally_insert" AFTER INSERT ON "Milestone"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "milestone_tally_apply"();
CREATE TRIGGER "milestone_tally_update" AFTER UPDATE ON "Milestone"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "milestone_tally_apply"();
CREATE TRIGGER "milestone_tally_delete" AFTER DELETE ON "Milestone"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "milestone_tally_apply"();

-- TRUNCATE fires no row or transition-table triggers: a truncated Milestone leaves no tally.
CREATE FUNCTION "milestone_tally_clear"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM "MilestoneTally";
  RETURN NULL;
END
$$;
CREATE TRIGGER "milestone_tally_truncate" AFTER TRUNCATE ON "Milestone" FOR EACH STATEMENT EXECUTE FUNCTION "milestone_tally_clear"();

-- The milestones there are now.
INSERT INTO "MilestoneTally" ("contributionId", "state", "dueTo", "count", "progressSum")
SELECT "contributionId", "state", "dueTo", count(*), sum("progress") FROM "Milestone" GROUP BY 1, 2, 3;

-- The roll-ups no longer read milestones: the index that made their pass index-only only costs
-- writes now (every answer changes its state and progress columns).
DROP INDEX "Milestone_planId_contributionId_state_dueTo_progress_idx";
