import { Module } from '@nestjs/common';
import { AnnualReportModule } from '../annual-report/annual-report.module.js';
import { MailModule } from '../mail/mail.module.js';
import { PlanModule } from '../plan/plan.module.js';
import { RoundScheduler } from './round-scheduler.js';
import { RoundsController } from './rounds.controller.js';
import { RoundsRepository } from './rounds.repository.js';
import { RoundsService } from './rounds.service.js';

@Module({
  imports: [PlanModule, MailModule, AnnualReportModule],
  controllers: [RoundsController],
  providers: [RoundsRepository, RoundsService, RoundScheduler],
  exports: [RoundsService, RoundScheduler],
})
export class ReportingModule {}
