-- Annual status reports: the request, the snapshot they are rendered from, and the rendered files.

-- CreateEnum
CREATE TYPE "AnnualReportStatus" AS ENUM ('queued', 'generating', 'ready', 'failed');

-- CreateEnum
CREATE TYPE "AnnualReportTrigger" AS ENUM ('requested', 'yearly', 'round_closed');

-- CreateEnum
CREATE TYPE "AnnualReportFormat" AS ENUM ('html', 'pdf', 'docx', 'xlsx');

-- CreateTable
CREATE TABLE "AnnualReport" (
    "id" SERIAL NOT NULL,
    "planId" INTEGER NOT NULL,
    "year" INTEGER NOT NULL,
    "language" "Language" NOT NULL DEFAULT 'da',
    "trigger" "AnnualReportTrigger" NOT NULL DEFAULT 'requested',
    "autoKey" TEXT,
    "status" "AnnualReportStatus" NOT NULL DEFAULT 'queued',
    "preliminary" BOOLEAN NOT NULL DEFAULT false,
    "error" TEXT,
    "snapshot" JSONB,
    "requestedBy" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "generatedAt" TIMESTAMP(3),

    CONSTRAINT "AnnualReport_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AnnualReportFile" (
    "reportId" INTEGER NOT NULL,
    "format" "AnnualReportFormat" NOT NULL,
    "content" BYTEA NOT NULL,

    CONSTRAINT "AnnualReportFile_pkey" PRIMARY KEY ("reportId","format")
);

-- CreateIndex
CREATE UNIQUE INDEX "AnnualReport_autoKey_key" ON "AnnualReport"("autoKey");

-- CreateIndex
CREATE INDEX "AnnualReport_planId_year_idx" ON "AnnualReport"("planId", "year");

-- AddForeignKey
ALTER TABLE "AnnualReport" ADD CONSTRAINT "AnnualReport_planId_fkey" FOREIGN KEY ("planId") REFERENCES "Plan"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AnnualReportFile" ADD CONSTRAINT "AnnualReportFile_reportId_fkey" FOREIGN KEY ("reportId") REFERENCES "AnnualReport"("id") ON DELETE CASCADE ON UPDATE CASCADE;
