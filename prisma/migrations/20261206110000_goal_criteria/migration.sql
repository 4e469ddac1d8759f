-- A goal's attainment criteria as separate assessable items, and the secretariat's assessment of
-- each per year. The plan's own wording stays in "Goal"."attainmentCriteria"; an item says which
-- of those criteria it was split from. Assessments are appended, never updated: the latest one of
-- a criterion and year is the year's assessment, and the earlier ones are its history.
CREATE TYPE "CriterionVerdict" AS ENUM ('met', 'partly_met', 'not_met', 'not_assessed');

CREATE TABLE "GoalCriterion" (
    "id" SERIAL NOT NULL,
    "goalId" INTEGER NOT NULL,
    "position" INTEGER NOT NULL,
    "key" TEXT NOT NULL,
    "text" TEXT NOT NULL,
    "source" INTEGER NOT NULL,

    CONSTRAINT "GoalCriterion_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "GoalCriterion_goalId_key_key" ON "GoalCriterion"("goalId", "key");

ALTER TABLE "GoalCriterion" ADD CONSTRAINT "GoalCriterion_goalId_fkey" FOREIGN KEY ("goalId") REFERENCES "Goal"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE TABLE "CriterionAssessment" (
    "id" SERIAL NOT NULL,
    "criterionId" INTEGER NOT NULL,
    "year" INTEGER NOT NULL,
    "verdict" "CriterionVerdict" NOT NULL,
    "justification" TEXT NOT NULL,
    "evidenceUrl" TEXT,
    "assessedBy" TEXT NOT NULL,
    "assessedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "CriterionAssessment_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "CriterionAssessment_criterionId_year_assessedAt_idx" ON "CriterionAssessment"("criterionId", "year", "assessedAt");

ALTER TABLE "CriterionAssessment" ADD CONSTRAINT "CriterionAssessment_criterionId_fkey" FOREIGN KEY ("criterionId") REFERENCES "GoalCriterion"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Every goal already imported gets one item per criterion as written, keyed by its number.
INSERT INTO "GoalCriterion" ("goalId", "position", "key", "text", "source")
SELECT g.id, c.n - 1, c.n::text, c.text, c.n
FROM "Goal" g, unnest(g."attainmentCriteria") WITH ORDINALITY AS c(text, n);
