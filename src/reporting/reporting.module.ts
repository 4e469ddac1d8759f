import { Module } from '@nestjs/common';
import { MailModule } from '../mail/mail.module.js';
import { PlanModule } from '../plan/plan.module.js';
import { ProgressModule } from '../progress/progress.module.js';
import { ReviewsController } from './reviews.controller.js';
import { ReviewsService } from './reviews.service.js';
import { RoundsController } from './rounds.controller.js';
import { RoundsRepository } from './rounds.repository.js';
import { RoundsService } from './rounds.service.js';

@Module({
  imports: [PlanModule, MailModule, ProgressModule],
  controllers: [RoundsController, ReviewsController],
  providers: [RoundsRepository, RoundsService, ReviewsService],
  exports: [RoundsService, ReviewsService],
})
export class ReportingModule {}
