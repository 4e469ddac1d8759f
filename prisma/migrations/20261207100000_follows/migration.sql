-- Follows and their daily digest: a user follows a goal or an organisation and gets, once a day at
-- most, one mail of the milestone state changes there since the last one (FollowDigest: one row per
-- user and local day, written with the digest's outbox row, so a second run that day sends nothing).
-- Replies to a question: a committee's free-text reply to a question's mail, kept in the
-- milestone's thread under the question (MilestoneReply).

-- CreateTable
CREATE TABLE "Follow" (
    "id" SERIAL NOT NULL,
    "userId" INTEGER NOT NULL,
    "goalId" INTEGER,
    "organisationId" INTEGER,
    "createdAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "Follow_pkey" PRIMARY KEY ("id"),
    -- A follow is of a goal or of an organisation, never both nor neither.
    CONSTRAINT "Follow_target_check" CHECK (("goalId" IS NULL) <> ("organisationId" IS NULL))
);

-- CreateIndex
CREATE UNIQUE INDEX "Follow_userId_goalId_key" ON "Follow"("userId", "goalId");

-- CreateIndex
CREATE UNIQUE INDEX "Follow_userId_organisationId_key" ON "Follow"("userId", "organisationId");

-- CreateIndex
CREATE INDEX "Follow_goalId_idx" ON "Follow"("goalId");

-- CreateIndex
CREATE INDEX "Follow_organisationId_idx" ON "Follow"("organisationId");

-- AddForeignKey
ALTER TABLE "Follow" ADD CONSTRAINT "Follow_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Follow" ADD CONSTRAINT "Follow_goalId_fkey" FOREIGN KEY ("goalId") REFERENCES "Goal"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Follow" ADD CONSTRAINT "Follow_organisationId_fkey" FOREIGN KEY ("organisationId") REFERENCES "Organisation"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- CreateTable
CREATE TABLE "FollowDigest" (
    "id" SERIAL NOT NULL,
    "userId" INTEGER NOT NULL,
    "day" TEXT NOT NULL,
    "since" TIMESTAMPTZ(3) NOT NULL,
    "until" TIMESTAMPTZ(3) NOT NULL,
    "changes" INTEGER NOT NULL,
    "outboxId" INTEGER,

    CONSTRAINT "FollowDigest_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "FollowDigest_userId_day_key" ON "FollowDigest"("userId", "day");

-- AddForeignKey
ALTER TABLE "FollowDigest" ADD CONSTRAINT "FollowDigest_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- CreateTable
CREATE TABLE "MilestoneReply" (
    "id" SERIAL NOT NULL,
    "milestoneId" INTEGER NOT NULL,
    "reviewId" INTEGER NOT NULL,
    "inboundMessageId" INTEGER,
    "fromAddress" TEXT NOT NULL,
    "text" TEXT NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "MilestoneReply_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "MilestoneReply_milestoneId_at_idx" ON "MilestoneReply"("milestoneId", "at");

-- CreateIndex
CREATE INDEX "MilestoneReply_reviewId_idx" ON "MilestoneReply"("reviewId");

-- AddForeignKey
ALTER TABLE "MilestoneReply" ADD CONSTRAINT "MilestoneReply_milestoneId_fkey" FOREIGN KEY ("milestoneId") REFERENCES "Milestone"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "MilestoneReply" ADD CONSTRAINT "MilestoneReply_reviewId_fkey" FOREIGN KEY ("reviewId") REFERENCES "MilestoneReview"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "MilestoneReply" ADD CONSTRAINT "MilestoneReply_inboundMessageId_fkey" FOREIGN KEY ("inboundMessageId") REFERENCES "InboundMessage"("id") ON DELETE SET NULL ON UPDATE CASCADE;
