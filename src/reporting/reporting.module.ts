import { Module } from '@nestjs/common';
import { MailModule } from '../mail/mail.module.js';
import { PlanModule } from '../plan/plan.module.js';
import { RoundsController } from './rounds.controller.js';
import { RoundsRepository } from './rounds.repository.js';
import { RoundsService } from './rounds.service.js';

@Module({
  imports: [PlanModule, MailModule],
  controllers: [RoundsController],
  providers: [RoundsRepository, RoundsService],
  exports: [RoundsService],
})
export class ReportingModule {}
