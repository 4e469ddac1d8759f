-- The secretariat's foreword to a year's annual report, written before the year is approved.
CREATE TABLE "ReportForeword" (
    "planId" INTEGER NOT NULL,
    "year" INTEGER NOT NULL,
    "text" TEXT NOT NULL,
    "updatedBy" TEXT NOT NULL,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "ReportForeword_pkey" PRIMARY KEY ("planId","year")
);

ALTER TABLE "ReportForeword" ADD CONSTRAINT "ReportForeword_planId_fkey" FOREIGN KEY ("planId") REFERENCES "Plan"("id") ON DELETE CASCADE ON UPDATE CASCADE;
