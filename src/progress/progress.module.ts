import { Module } from '@nestjs/common';
import { PlanModule } from '../plan/plan.module.js';
import { AttainmentRepository } from './attainment.repository.js';
import { AttainmentService } from './attainment.service.js';
import { ProgressController } from './progress.controller.js';

@Module({
  imports: [PlanModule],
  controllers: [ProgressController],
  providers: [AttainmentRepository, AttainmentService],
  exports: [AttainmentService],
})
export class ProgressModule {}
