import { Module } from '@nestjs/common';
import { MailModule } from '../mail/mail.module.js';
import { PlanModule } from '../plan/plan.module.js';
import { FollowsController } from './follows.controller.js';
import { FollowsRepository } from './follows.repository.js';
import { FollowsService } from './follows.service.js';

/** Follows of goals and organisations, and the daily digest of their changes. */
@Module({
  imports: [PlanModule, MailModule],
  controllers: [FollowsController],
  providers: [FollowsRepository, FollowsService],
  exports: [FollowsService],
})
export class FollowingModule {}
