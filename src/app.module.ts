import { Module } from '@nestjs/common';
import { AnswersModule } from './answers/answers.module.js';
import { CommonModule } from './common/common.module.js';
import { ConfigModule } from './config/config.module.js';
import { DatabaseModule } from './database/database.module.js';
import { HealthModule } from './health/health.module.js';
import { MailModule } from './mail/mail.module.js';
import { PlanModule } from './plan/plan.module.js';
import { QueueModule } from './queue/queue.module.js';
import { ReportingModule } from './reporting/reporting.module.js';

/** The service: infrastructure first, then the capabilities, then the doors. */
@Module({
  imports: [ConfigModule.forRoot(), CommonModule, DatabaseModule, QueueModule, PlanModule, MailModule, ReportingModule, AnswersModule, HealthModule],
})
export class AppModule {}
