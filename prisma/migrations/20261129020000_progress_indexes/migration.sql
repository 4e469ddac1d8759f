-- CreateIndex
CREATE INDEX "Milestone_planId_contributionId_state_dueTo_progress_idx" ON "Milestone"("planId", "contributionId", "state", "dueTo", "progress");
