import { Module } from '@nestjs/common';
import { PlanModule } from '../plan/plan.module.js';
import { AttainmentRepository } from './attainment.repository.js';
import { AttainmentService } from './attainment.service.js';
import { CriteriaController } from './criteria.controller.js';
import { CriteriaRepository } from './criteria.repository.js';
import { CriteriaService } from './criteria.service.js';
import { ProgressController } from './progress.controller.js';
import { RecordsController } from './records.controller.js';
import { RecordsRepository } from './records.repository.js';
import { RecordsService } from './records.service.js';
import { ReviewsRepository } from './reviews.repository.js';

@Module({
  imports: [PlanModule],
  controllers: [ProgressController, CriteriaController, RecordsController],
  providers: [
    AttainmentRepository,
    AttainmentService,
    CriteriaRepository,
    CriteriaService,
    RecordsRepository,
    RecordsService,
    ReviewsRepository,
  ],
  exports: [AttainmentService, CriteriaService, RecordsRepository, RecordsService, ReviewsRepository],
})
export class ProgressModule {}
