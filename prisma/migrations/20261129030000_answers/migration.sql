-- Drafts in the answer form, and replies that come back by email.

-- CreateEnum
CREATE TYPE "InboundStatus" AS ENUM ('applied', 'in_review', 'accepted', 'rejected', 'dropped');

-- AlterTable
ALTER TABLE "RequestMilestone" ADD COLUMN     "draftComment" TEXT,
ADD COLUMN     "draftEvidenceUrl" TEXT,
ADD COLUMN     "draftProgress" INTEGER,
ADD COLUMN     "draftSavedAt" TIMESTAMP(3),
ADD COLUMN     "draftState" "MilestoneState";

-- CreateTable
CREATE TABLE "InboundMessage" (
    "id" SERIAL NOT NULL,
    "messageId" TEXT NOT NULL,
    "fromAddress" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "requestId" INTEGER,
    "status" "InboundStatus" NOT NULL,
    "reason" TEXT,
    "body" TEXT NOT NULL,
    "parsed" JSONB NOT NULL,
    "applied" INTEGER NOT NULL DEFAULT 0,
    "receivedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "reviewedAt" TIMESTAMP(3),
    "reviewedBy" TEXT,

    CONSTRAINT "InboundMessage_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "InboundMessage_messageId_key" ON "InboundMessage"("messageId");

-- CreateIndex
CREATE INDEX "InboundMessage_status_receivedAt_idx" ON "InboundMessage"("status", "receivedAt");

-- CreateIndex
CREATE INDEX "InboundMessage_requestId_idx" ON "InboundMessage"("requestId");

-- AddForeignKey
ALTER TABLE "InboundMessage" ADD CONSTRAINT "InboundMessage_requestId_fkey" FOREIGN KEY ("requestId") REFERENCES "ReportRequest"("id") ON DELETE SET NULL ON UPDATE CASCADE;
