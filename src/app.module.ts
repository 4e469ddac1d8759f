import { Module } from '@nestjs/common';
import { AnnualReportModule } from './annual-report/annual-report.module.js';
import { AuthModule } from './auth/auth.module.js';
import { AnswersModule } from './answers/answers.module.js';
import { CommonModule } from './common/common.module.js';
import { ConfigModule } from './config/config.module.js';
import { DashboardModule } from './dashboard/dashboard.module.js';
import { DatabaseModule } from './database/database.module.js';
import { EvidenceModule } from './evidence/evidence.module.js';
import { FollowingModule } from './following/following.module.js';
import { HealthModule } from './health/health.module.js';
import { InboundModule } from './inbound/inbound.module.js';
import { MailModule } from './mail/mail.module.js';
import { OperationsModule } from './operations/operations.module.js';
import { PlanModule } from './plan/plan.module.js';
import { ProgressModule } from './progress/progress.module.js';
import { QueueModule } from './queue/queue.module.js';
import { ReportingModule } from './reporting/reporting.module.js';
import { SchedulerModule } from './scheduler/scheduler.module.js';
import { WebModule } from './web/web.module.js';

/** The service: infrastructure first, then the capabilities, then the doors. */
@Module({
  // ProgressModule before PlanModule: Nest registers routes in module order, and GET
  // /api/milestones/overdue must be matched before PlanModule's GET /api/milestones/:id.
  imports: [
    ConfigModule.forRoot(),
    CommonModule,
    DatabaseModule,
    AuthModule,
    WebModule,
    QueueModule,
    ProgressModule,
    PlanModule,
    MailModule,
    EvidenceModule,
    ReportingModule,
    SchedulerModule,
    AnswersModule,
    FollowingModule,
    InboundModule,
    HealthModule,
    DashboardModule,
    OperationsModule,
    AnnualReportModule,
  ],
})
export class AppModule {}
