import { Module } from '@nestjs/common';
import { PlanModule } from '../plan/plan.module.js';
import { AttainmentRepository } from './attainment.repository.js';
import { AttainmentService } from './attainment.service.js';
import { CriteriaController } from './criteria.controller.js';
import { CriteriaRepository } from './criteria.repository.js';
import { CriteriaService } from './criteria.service.js';
import { ProgressController } from './progress.controller.js';

@Module({
  imports: [PlanModule],
  controllers: [ProgressController, CriteriaController],
  providers: [AttainmentRepository, AttainmentService, CriteriaRepository, CriteriaService],
  exports: [AttainmentService, CriteriaService],
})
export class ProgressModule {}
