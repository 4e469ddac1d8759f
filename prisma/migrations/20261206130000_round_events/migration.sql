-- Undo instead of traps: a round's history of closing, reopening and extending (who, when, why),
-- and when each request was last reminded, so a second reminder within the quiet period asks first.

-- CreateEnum
CREATE TYPE "RoundEventKind" AS ENUM ('closed', 'reopened', 'extended');

-- AlterTable
ALTER TABLE "ReportRequest" ADD COLUMN     "lastRemindedAt" TIMESTAMPTZ(3);

-- CreateTable
CREATE TABLE "RoundEvent" (
    "id" SERIAL NOT NULL,
    "roundId" INTEGER NOT NULL,
    "kind" "RoundEventKind" NOT NULL,
    "actor" TEXT NOT NULL,
    "reason" TEXT,
    "deadline" TIMESTAMPTZ(3),
    "graceUntil" TIMESTAMPTZ(3),
    "at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "RoundEvent_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "RoundEvent_roundId_idx" ON "RoundEvent"("roundId");

-- AddForeignKey
ALTER TABLE "RoundEvent" ADD CONSTRAINT "RoundEvent_roundId_fkey" FOREIGN KEY ("roundId") REFERENCES "ReportingRound"("id") ON DELETE CASCADE ON UPDATE CASCADE;
