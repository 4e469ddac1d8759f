import { Module } from '@nestjs/common';
import { AnnualReportModule } from '../annual-report/annual-report.module.js';
import { EvidenceModule } from '../evidence/evidence.module.js';
import { FollowingModule } from '../following/following.module.js';
import { I18nModule } from '../i18n/i18n.module.js';
import { InboundModule } from '../inbound/inbound.module.js';
import { MailModule } from '../mail/mail.module.js';
import { PlanModule } from '../plan/plan.module.js';
import { ProgressModule } from '../progress/progress.module.js';
import { ReportingModule } from '../reporting/reporting.module.js';
import { PageRenderer } from '../web/page-renderer.js';
import { DashboardController } from './dashboard.controller.js';
import { DashboardRepository } from './dashboard.repository.js';
import { ExportsController } from './exports.controller.js';

@Module({
  imports: [
    AnnualReportModule,
    PlanModule,
    ProgressModule,
    ReportingModule,
    MailModule,
    InboundModule,
    I18nModule,
    EvidenceModule,
    FollowingModule,
  ],
  controllers: [DashboardController, ExportsController],
  providers: [DashboardRepository, PageRenderer],
})
export class DashboardModule {}
