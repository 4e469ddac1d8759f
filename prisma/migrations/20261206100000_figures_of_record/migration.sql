-- Figures of record: every figure can be computed as of a moment, or for a reporting year, from
-- the milestone history alone. For that an update says which year's round it answered
-- ("reportingYear"), a secretariat correction says why ("reason"), every milestone's history
-- starts with the state it was created in, and a year can be approved (its figures frozen) and
-- reopened with a reason, kept as events.

ALTER TABLE "MilestoneUpdate" ADD COLUMN "reportingYear" INTEGER;
ALTER TABLE "MilestoneUpdate" ADD COLUMN "reason" TEXT;

-- Backfill 1: answers that came through a round count for that round's year.
UPDATE "MilestoneUpdate" u SET "reportingYear" = rr."year"
FROM "ReportRequest" r JOIN "ReportingRound" rr ON rr.id = r."roundId"
WHERE r.id = u."requestId";

-- Backfill 2 (assumption): an answer by link, email or API whose request is gone (its round was
-- deleted) answered the round of the calendar year it came in, in Copenhagen time.
UPDATE "MilestoneUpdate" SET "reportingYear" = EXTRACT(YEAR FROM "createdAt" AT TIME ZONE 'Europe/Copenhagen')::int
WHERE "reportingYear" IS NULL AND "channel" IN ('link_form', 'email_reply', 'api');

-- Backfill 3 (assumption): the plan import wrote no history for milestones it created as not
-- started. Each milestone whose history does not begin with an import gets one, at the moment
-- the milestone was created: the state before its first recorded change, or its current state
-- when nothing was ever recorded, with that state's default progress unless it is the current one.
INSERT INTO "MilestoneUpdate" ("milestoneId", "fromState", "toState", "progress", "comment", "channel", "actor", "createdAt")
SELECT m.id, NULL, COALESCE(f."fromState", m."state"),
       CASE WHEN f.id IS NULL THEN m."progress"
            ELSE CASE COALESCE(f."fromState", m."state")
                   WHEN 'completed' THEN 100 WHEN 'in_progress' THEN 50 WHEN 'at_risk' THEN 50 WHEN 'delayed' THEN 25 ELSE 0 END
       END,
       'Backfilled: the state the milestone was created in (no history was written for it then).',
       'import', 'import',
       -- Before the first recorded change, even where that change is dated before the milestone row.
       CASE WHEN f.id IS NOT NULL AND f."createdAt" <= m."createdAt" THEN f."createdAt" - INTERVAL '1 millisecond' ELSE m."createdAt" END
FROM "Milestone" m
LEFT JOIN LATERAL (
  SELECT u.id, u."fromState", u."channel", u."createdAt" FROM "MilestoneUpdate" u
  WHERE u."milestoneId" = m.id ORDER BY u."createdAt", u.id LIMIT 1
) f ON true
WHERE f.id IS NULL OR f."channel" <> 'import';

-- The history is append-only: rows are added, never changed (only the link to a request may be
-- cleared, which ON DELETE SET NULL does when a round is deleted) and deleted only with their milestone.
CREATE FUNCTION "milestone_update_append_only"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (NEW."requestId" IS NULL OR NEW."requestId" = OLD."requestId")
     AND (NEW.id, NEW."milestoneId", NEW."fromState", NEW."toState", NEW."progress", NEW."comment", NEW."evidenceUrl", NEW."channel",
          NEW."actor", NEW."late", NEW."createdAt", NEW."reportingYear", NEW."reason")
     IS NOT DISTINCT FROM
         (OLD.id, OLD."milestoneId", OLD."fromState", OLD."toState", OLD."progress", OLD."comment", OLD."evidenceUrl", OLD."channel",
          OLD."actor", OLD."late", OLD."createdAt", OLD."reportingYear", OLD."reason") THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'MilestoneUpdate is append-only: update % cannot be changed', OLD.id;
END
$$;
CREATE TRIGGER "milestone_update_append_only" BEFORE UPDATE ON "MilestoneUpdate"
FOR EACH ROW EXECUTE FUNCTION "milestone_update_append_only"();

CREATE TYPE "YearApprovalAction" AS ENUM ('approved', 'reopened');

-- Approvals and reopenings of a plan's year, kept forever; the latest one says whether the year is locked.
CREATE TABLE "YearApproval" (
    "id" SERIAL NOT NULL,
    "planId" INTEGER NOT NULL,
    "year" INTEGER NOT NULL,
    "action" "YearApprovalAction" NOT NULL,
    "actor" TEXT NOT NULL,
    "actorName" TEXT NOT NULL,
    "reason" TEXT,
    "at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "YearApproval_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "YearApproval_planId_year_at_idx" ON "YearApproval"("planId", "year", "at");

ALTER TABLE "YearApproval" ADD CONSTRAINT "YearApproval_planId_fkey" FOREIGN KEY ("planId") REFERENCES "Plan"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- The one check that a plan's year is still open (not approved), for every writer of a year's
-- figures, inside the writer's own statement or transaction: it waits for an approval of the same
-- year in progress (approvals take the same advisory lock exclusively), then reads the year's
-- latest event with a fresh snapshot, and refuses with SQLSTATE HP423 when the year is approved.
CREATE FUNCTION "assert_year_open"(plan_id INTEGER, reporting_year INTEGER) RETURNS BOOLEAN LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  latest "YearApprovalAction";
BEGIN
  PERFORM pg_advisory_xact_lock_shared(hashtextextended('year-of-record:' || plan_id || ':' || reporting_year, 0));
  SELECT a."action" INTO latest FROM "YearApproval" a
  WHERE a."planId" = plan_id AND a."year" = reporting_year ORDER BY a."at" DESC, a.id DESC LIMIT 1;
  IF latest = 'approved' THEN
    RAISE EXCEPTION USING ERRCODE = 'HP423', MESSAGE = format('year %s of plan %s is approved', reporting_year, plan_id);
  END IF;
  RETURN TRUE;
END
$$;
