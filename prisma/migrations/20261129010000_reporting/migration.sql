-- Reporting rounds, report requests with their scope, and the mail outbox.

-- CreateEnum
CREATE TYPE "RoundState" AS ENUM ('scheduled', 'open', 'closed');

-- CreateEnum
CREATE TYPE "RequestStatus" AS ENUM ('sent', 'answered', 'no_contact', 'bounced');

-- CreateEnum
CREATE TYPE "OutboxStatus" AS ENUM ('pending', 'sent', 'failed', 'skipped');

-- AlterTable
ALTER TABLE "MilestoneUpdate" ADD COLUMN "requestId" INTEGER;

-- CreateTable
CREATE TABLE "ReportingRound" (
    "id" SERIAL NOT NULL,
    "planId" INTEGER NOT NULL,
    "year" INTEGER NOT NULL,
    "opensAt" TIMESTAMP(3) NOT NULL,
    "deadline" TIMESTAMP(3) NOT NULL,
    "graceUntil" TIMESTAMP(3) NOT NULL,
    "state" "RoundState" NOT NULL DEFAULT 'scheduled',
    "openedAt" TIMESTAMP(3),
    "closedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ReportingRound_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RoundStep" (
    "id" SERIAL NOT NULL,
    "roundId" INTEGER NOT NULL,
    "step" TEXT NOT NULL,
    "doneAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "RoundStep_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ReportRequest" (
    "id" SERIAL NOT NULL,
    "roundId" INTEGER NOT NULL,
    "organisationId" INTEGER NOT NULL,
    "tokenNonce" TEXT NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "replyKey" TEXT NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "status" "RequestStatus" NOT NULL DEFAULT 'sent',
    "answeredAt" TIMESTAMP(3),
    "late" BOOLEAN NOT NULL DEFAULT false,
    "deliveryError" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ReportRequest_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RequestMilestone" (
    "requestId" INTEGER NOT NULL,
    "milestoneId" INTEGER NOT NULL,
    "number" INTEGER NOT NULL,
    "optional" BOOLEAN NOT NULL DEFAULT false,
    "answeredAt" TIMESTAMP(3),

    CONSTRAINT "RequestMilestone_pkey" PRIMARY KEY ("requestId","milestoneId")
);

-- CreateTable
CREATE TABLE "OutboxMessage" (
    "id" SERIAL NOT NULL,
    "dedupeKey" TEXT NOT NULL,
    "template" TEXT NOT NULL,
    "language" "Language" NOT NULL,
    "recipients" TEXT[],
    "replyTo" TEXT,
    "data" JSONB NOT NULL,
    "requestId" INTEGER,
    "roundId" INTEGER,
    "messageId" TEXT NOT NULL,
    "status" "OutboxStatus" NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "lastError" TEXT,
    "subject" TEXT,
    "sentAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "OutboxMessage_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "MilestoneUpdate_requestId_idx" ON "MilestoneUpdate"("requestId");

-- CreateIndex
CREATE INDEX "ReportingRound_state_idx" ON "ReportingRound"("state");

-- CreateIndex
CREATE UNIQUE INDEX "ReportingRound_planId_year_key" ON "ReportingRound"("planId", "year");

-- CreateIndex
CREATE UNIQUE INDEX "RoundStep_roundId_step_key" ON "RoundStep"("roundId", "step");

-- CreateIndex
CREATE UNIQUE INDEX "ReportRequest_tokenHash_key" ON "ReportRequest"("tokenHash");

-- CreateIndex
CREATE UNIQUE INDEX "ReportRequest_replyKey_key" ON "ReportRequest"("replyKey");

-- CreateIndex
CREATE INDEX "ReportRequest_organisationId_idx" ON "ReportRequest"("organisationId");

-- CreateIndex
CREATE UNIQUE INDEX "ReportRequest_roundId_organisationId_key" ON "ReportRequest"("roundId", "organisationId");

-- CreateIndex
CREATE INDEX "RequestMilestone_milestoneId_idx" ON "RequestMilestone"("milestoneId");

-- CreateIndex
CREATE UNIQUE INDEX "RequestMilestone_requestId_number_key" ON "RequestMilestone"("requestId", "number");

-- CreateIndex
CREATE UNIQUE INDEX "OutboxMessage_dedupeKey_key" ON "OutboxMessage"("dedupeKey");

-- CreateIndex
CREATE UNIQUE INDEX "OutboxMessage_messageId_key" ON "OutboxMessage"("messageId");

-- CreateIndex
CREATE INDEX "OutboxMessage_status_createdAt_idx" ON "OutboxMessage"("status", "createdAt");

-- CreateIndex
CREATE INDEX "OutboxMessage_roundId_idx" ON "OutboxMessage"("roundId");

-- CreateIndex
CREATE INDEX "OutboxMessage_requestId_idx" ON "OutboxMessage"("requestId");

-- AddForeignKey
ALTER TABLE "MilestoneUpdate" ADD CONSTRAINT "MilestoneUpdate_requestId_fkey" FOREIGN KEY ("requestId") REFERENCES "ReportRequest"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ReportingRound" ADD CONSTRAINT "ReportingRound_planId_fkey" FOREIGN KEY ("planId") REFERENCES "Plan"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RoundStep" ADD CONSTRAINT "RoundStep_roundId_fkey" FOREIGN KEY ("roundId") REFERENCES "ReportingRound"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ReportRequest" ADD CONSTRAINT "ReportRequest_roundId_fkey" FOREIGN KEY ("roundId") REFERENCES "ReportingRound"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ReportRequest" ADD CONSTRAINT "ReportRequest_organisationId_fkey" FOREIGN KEY ("organisationId") REFERENCES "Organisation"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RequestMilestone" ADD CONSTRAINT "RequestMilestone_requestId_fkey" FOREIGN KEY ("requestId") REFERENCES "ReportRequest"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RequestMilestone" ADD CONSTRAINT "RequestMilestone_milestoneId_fkey" FOREIGN KEY ("milestoneId") REFERENCES "Milestone"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "OutboxMessage" ADD CONSTRAINT "OutboxMessage_requestId_fkey" FOREIGN KEY ("requestId") REFERENCES "ReportRequest"("id") ON DELETE SET NULL ON UPDATE CASCADE;
