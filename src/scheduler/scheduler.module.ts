import { Module } from '@nestjs/common';
import { AnnualReportModule } from '../annual-report/annual-report.module.js';
import { MailModule } from '../mail/mail.module.js';
import { ReportingModule } from '../reporting/reporting.module.js';
import { RoundScheduler } from './round-scheduler.js';

/** The tick, which drives the workflows in turn: rounds, then annual reports, then stranded mail. */
@Module({
  imports: [ReportingModule, AnnualReportModule, MailModule],
  providers: [RoundScheduler],
  exports: [RoundScheduler],
})
export class SchedulerModule {}
