import { Module } from '@nestjs/common';
import { EvidenceModule } from '../evidence/evidence.module.js';
import { I18nModule } from '../i18n/i18n.module.js';
import { MailModule } from '../mail/mail.module.js';
import { PlanModule } from '../plan/plan.module.js';
import { ProgressModule } from '../progress/progress.module.js';
import { AnnualReportController, ForewordController } from './annual-report.controller.js';
import { AnnualReportRepository } from './annual-report.repository.js';
import { AnnualReportService } from './annual-report.service.js';
import { AnnualReportRenderer } from './render/annual-report.renderer.js';
import { ReportFilesController } from './report-files.controller.js';

/** The annual status report: content model, renderers (HTML, PDF, DOCX, XLSX), storage, job and API. */
@Module({
  imports: [PlanModule, ProgressModule, MailModule, I18nModule, EvidenceModule],
  controllers: [AnnualReportController, ForewordController, ReportFilesController],
  providers: [AnnualReportRepository, AnnualReportRenderer, AnnualReportService],
  exports: [AnnualReportService],
})
export class AnnualReportModule {}
