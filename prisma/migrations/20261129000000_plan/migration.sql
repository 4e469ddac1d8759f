-- The plan tree: plans, organisations and their contacts, priorities, goals with budgets,
-- interventions, contributions, milestones and the history of their states.

-- CreateEnum
CREATE TYPE "OrganisationKind" AS ENUM ('border_committee', 'institution', 'thematic_group', 'secretariat');

-- CreateEnum
CREATE TYPE "Language" AS ENUM ('da', 'sv', 'nb', 'fi', 'en');

-- CreateEnum
CREATE TYPE "MilestoneKind" AS ENUM ('milestone', 'deliverable');

-- CreateEnum
CREATE TYPE "MilestoneState" AS ENUM ('not_started', 'in_progress', 'at_risk', 'delayed', 'completed', 'cancelled');

-- CreateEnum
CREATE TYPE "UpdateChannel" AS ENUM ('import', 'link_form', 'email_reply', 'api', 'secretariat');

-- CreateTable
CREATE TABLE "Plan" (
    "id" SERIAL NOT NULL,
    "slug" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "periodFrom" INTEGER NOT NULL,
    "periodTo" INTEGER NOT NULL,
    "currency" TEXT NOT NULL,
    "source" TEXT,
    "notes" TEXT[],
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Plan_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Organisation" (
    "id" SERIAL NOT NULL,
    "name" TEXT NOT NULL,
    "kind" "OrganisationKind" NOT NULL,
    "language" "Language" NOT NULL,
    "notes" TEXT[],
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Organisation_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Contact" (
    "id" SERIAL NOT NULL,
    "organisationId" INTEGER NOT NULL,
    "email" TEXT NOT NULL,
    "name" TEXT,
    "placeholder" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Contact_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "PlanOrganisation" (
    "planId" INTEGER NOT NULL,
    "organisationId" INTEGER NOT NULL,
    "position" INTEGER NOT NULL,

    CONSTRAINT "PlanOrganisation_pkey" PRIMARY KEY ("planId","organisationId")
);

-- CreateTable
CREATE TABLE "Priority" (
    "id" SERIAL NOT NULL,
    "planId" INTEGER NOT NULL,
    "position" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "notes" TEXT[],

    CONSTRAINT "Priority_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Goal" (
    "id" SERIAL NOT NULL,
    "planId" INTEGER NOT NULL,
    "priorityId" INTEGER NOT NULL,
    "position" INTEGER NOT NULL,
    "number" INTEGER NOT NULL,
    "title" TEXT NOT NULL,
    "attainmentCriteria" TEXT[],
    "budgetCurrency" TEXT,
    "budgetTotal" BIGINT,
    "notes" TEXT[],

    CONSTRAINT "Goal_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "BudgetLine" (
    "id" SERIAL NOT NULL,
    "goalId" INTEGER NOT NULL,
    "position" INTEGER NOT NULL,
    "partner" TEXT NOT NULL,
    "amount" BIGINT NOT NULL,

    CONSTRAINT "BudgetLine_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Intervention" (
    "id" SERIAL NOT NULL,
    "planId" INTEGER NOT NULL,
    "goalId" INTEGER NOT NULL,
    "position" INTEGER NOT NULL,
    "code" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "partners" TEXT[],
    "notes" TEXT[],

    CONSTRAINT "Intervention_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Contribution" (
    "id" SERIAL NOT NULL,
    "planId" INTEGER NOT NULL,
    "goalId" INTEGER NOT NULL,
    "interventionId" INTEGER,
    "organisationId" INTEGER NOT NULL,
    "position" INTEGER NOT NULL,
    "key" TEXT NOT NULL,
    "summary" TEXT NOT NULL,
    "text" TEXT NOT NULL,
    "budgetAmount" BIGINT,
    "budgetCurrency" TEXT,
    "notes" TEXT[],

    CONSTRAINT "Contribution_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Milestone" (
    "id" SERIAL NOT NULL,
    "planId" INTEGER NOT NULL,
    "contributionId" INTEGER NOT NULL,
    "position" INTEGER NOT NULL,
    "key" TEXT NOT NULL,
    "label" TEXT,
    "kind" "MilestoneKind" NOT NULL,
    "dueFrom" INTEGER,
    "dueTo" INTEGER,
    "dueMonth" INTEGER,
    "text" TEXT NOT NULL,
    "notes" TEXT[],
    "state" "MilestoneState" NOT NULL DEFAULT 'not_started',
    "progress" INTEGER NOT NULL DEFAULT 0,
    "stateChangedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Milestone_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "MilestoneUpdate" (
    "id" SERIAL NOT NULL,
    "milestoneId" INTEGER NOT NULL,
    "fromState" "MilestoneState",
    "toState" "MilestoneState" NOT NULL,
    "progress" INTEGER NOT NULL,
    "comment" TEXT,
    "evidenceUrl" TEXT,
    "channel" "UpdateChannel" NOT NULL,
    "actor" TEXT NOT NULL,
    "late" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "MilestoneUpdate_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Plan_slug_key" ON "Plan"("slug");

-- CreateIndex
CREATE UNIQUE INDEX "Organisation_name_key" ON "Organisation"("name");

-- CreateIndex
CREATE UNIQUE INDEX "Contact_organisationId_email_key" ON "Contact"("organisationId", "email");

-- CreateIndex
CREATE UNIQUE INDEX "Priority_planId_name_key" ON "Priority"("planId", "name");

-- CreateIndex
CREATE UNIQUE INDEX "Goal_planId_number_key" ON "Goal"("planId", "number");

-- CreateIndex
CREATE UNIQUE INDEX "BudgetLine_goalId_partner_key" ON "BudgetLine"("goalId", "partner");

-- CreateIndex
CREATE UNIQUE INDEX "Intervention_planId_code_key" ON "Intervention"("planId", "code");

-- CreateIndex
CREATE INDEX "Contribution_organisationId_idx" ON "Contribution"("organisationId");

-- CreateIndex
CREATE INDEX "Contribution_goalId_idx" ON "Contribution"("goalId");

-- CreateIndex
CREATE INDEX "Contribution_interventionId_idx" ON "Contribution"("interventionId");

-- CreateIndex
CREATE UNIQUE INDEX "Contribution_planId_key_key" ON "Contribution"("planId", "key");

-- CreateIndex
CREATE INDEX "Milestone_contributionId_idx" ON "Milestone"("contributionId");

-- CreateIndex
CREATE INDEX "Milestone_planId_state_dueTo_idx" ON "Milestone"("planId", "state", "dueTo");

-- CreateIndex
CREATE UNIQUE INDEX "Milestone_planId_key_key" ON "Milestone"("planId", "key");

-- CreateIndex
CREATE INDEX "MilestoneUpdate_milestoneId_createdAt_idx" ON "MilestoneUpdate"("milestoneId", "createdAt");

-- AddForeignKey
ALTER TABLE "Contact" ADD CONSTRAINT "Contact_organisationId_fkey" FOREIGN KEY ("organisationId") REFERENCES "Organisation"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "PlanOrganisation" ADD CONSTRAINT "PlanOrganisation_planId_fkey" FOREIGN KEY ("planId") REFERENCES "Plan"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "PlanOrganisation" ADD CONSTRAINT "PlanOrganisation_organisationId_fkey" FOREIGN KEY ("organisationId") REFERENCES "Organisation"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Priority" ADD CONSTRAINT "Priority_planId_fkey" FOREIGN KEY ("planId") REFERENCES "Plan"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Goal" ADD CONSTRAINT "Goal_planId_fkey" FOREIGN KEY ("planId") REFERENCES "Plan"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Goal" ADD CONSTRAINT "Goal_priorityId_fkey" FOREIGN KEY ("priorityId") REFERENCES "Priority"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "BudgetLine" ADD CONSTRAINT "BudgetLine_goalId_fkey" FOREIGN KEY ("goalId") REFERENCES "Goal"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Intervention" ADD CONSTRAINT "Intervention_planId_fkey" FOREIGN KEY ("planId") REFERENCES "Plan"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Intervention" ADD CONSTRAINT "Intervention_goalId_fkey" FOREIGN KEY ("goalId") REFERENCES "Goal"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Contribution" ADD CONSTRAINT "Contribution_planId_fkey" FOREIGN KEY ("planId") REFERENCES "Plan"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Contribution" ADD CONSTRAINT "Contribution_goalId_fkey" FOREIGN KEY ("goalId") REFERENCES "Goal"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Contribution" ADD CONSTRAINT "Contribution_interventionId_fkey" FOREIGN KEY ("interventionId") REFERENCES "Intervention"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Contribution" ADD CONSTRAINT "Contribution_organisationId_fkey" FOREIGN KEY ("organisationId") REFERENCES "Organisation"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Milestone" ADD CONSTRAINT "Milestone_planId_fkey" FOREIGN KEY ("planId") REFERENCES "Plan"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Milestone" ADD CONSTRAINT "Milestone_contributionId_fkey" FOREIGN KEY ("contributionId") REFERENCES "Contribution"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "MilestoneUpdate" ADD CONSTRAINT "MilestoneUpdate_milestoneId_fkey" FOREIGN KEY ("milestoneId") REFERENCES "Milestone"("id") ON DELETE CASCADE ON UPDATE CASCADE;
