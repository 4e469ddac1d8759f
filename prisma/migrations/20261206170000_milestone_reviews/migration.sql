-- Review of answers and questions per milestone: the secretariat marks an answer reviewed, returns
-- it to the committee with a question, or asks a question about a milestone. Rows are appended,
-- never changed: an answer's review state is its latest row, a milestone's thread its questions.

-- CreateEnum
CREATE TYPE "ReviewAction" AS ENUM ('reviewed', 'returned', 'asked');

-- CreateTable
CREATE TABLE "MilestoneReview" (
    "id" SERIAL NOT NULL,
    "milestoneId" INTEGER NOT NULL,
    "updateId" INTEGER,
    "requestId" INTEGER,
    "action" "ReviewAction" NOT NULL,
    "question" TEXT,
    "actor" TEXT NOT NULL,
    "actorName" TEXT NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "MilestoneReview_pkey" PRIMARY KEY ("id"),
    -- A returned answer and a question carry the question; a review of an answer names the answer.
    CONSTRAINT "MilestoneReview_question_check" CHECK ("action" = 'reviewed' OR "question" IS NOT NULL),
    CONSTRAINT "MilestoneReview_answer_check" CHECK ("action" = 'asked' OR "updateId" IS NOT NULL)
);

-- CreateIndex
CREATE INDEX "MilestoneReview_milestoneId_at_idx" ON "MilestoneReview"("milestoneId", "at");

-- CreateIndex
CREATE INDEX "MilestoneReview_updateId_idx" ON "MilestoneReview"("updateId");

-- AddForeignKey
ALTER TABLE "MilestoneReview" ADD CONSTRAINT "MilestoneReview_milestoneId_fkey" FOREIGN KEY ("milestoneId") REFERENCES "Milestone"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "MilestoneReview" ADD CONSTRAINT "MilestoneReview_updateId_fkey" FOREIGN KEY ("updateId") REFERENCES "MilestoneUpdate"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "MilestoneReview" ADD CONSTRAINT "MilestoneReview_requestId_fkey" FOREIGN KEY ("requestId") REFERENCES "ReportRequest"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- Append-only: a review is history. Only a deleted request's id may become null (ON DELETE SET NULL).
CREATE FUNCTION "milestone_review_append_only"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (NEW."requestId" IS NULL OR NEW."requestId" = OLD."requestId")
     AND (NEW.id, NEW."milestoneId", NEW."updateId", NEW."action", NEW."question", NEW."actor", NEW."actorName", NEW."at")
     IS NOT DISTINCT FROM
         (OLD.id, OLD."milestoneId", OLD."updateId", OLD."action", OLD."question", OLD."actor", OLD."actorName", OLD."at") THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'MilestoneReview rows are never changed (id %)', OLD.id;
END;
$$;

CREATE TRIGGER "milestone_review_append_only" BEFORE UPDATE ON "MilestoneReview"
FOR EACH ROW EXECUTE FUNCTION "milestone_review_append_only"();
