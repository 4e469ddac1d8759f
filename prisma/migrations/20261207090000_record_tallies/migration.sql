-- An approved year's figures of record, counted once when the year is approved: they cannot change
-- until the year is reopened, so reading them need not pick each milestone's state of record from
-- the history again. Approvals made before this migration have none ("tallied" false) and are
-- counted from the history when read, as before.
ALTER TABLE "YearApproval" ADD COLUMN "tallied" BOOLEAN NOT NULL DEFAULT false;

CREATE TABLE "RecordTally" (
    "id" SERIAL NOT NULL,
    "approvalId" INTEGER NOT NULL,
    "contributionId" INTEGER NOT NULL,
    "state" "MilestoneState" NOT NULL,
    "dueTo" INTEGER,
    "count" INTEGER NOT NULL,
    "progressSum" BIGINT NOT NULL,

    CONSTRAINT "RecordTally_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "RecordTally_approvalId_contributionId_idx" ON "RecordTally"("approvalId", "contributionId");

ALTER TABLE "RecordTally" ADD CONSTRAINT "RecordTally_approvalId_fkey" FOREIGN KEY ("approvalId") REFERENCES "YearApproval"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "RecordTally" ADD CONSTRAINT "RecordTally_contributionId_fkey" FOREIGN KEY ("contributionId") REFERENCES "Contribution"("id") ON DELETE CASCADE ON UPDATE CASCADE;
