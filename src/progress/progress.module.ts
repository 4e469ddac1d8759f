import { Module } from '@nestjs/common';
import { PlanModule } from '../plan/plan.module.js';
import { AttainmentRepository } from './attainment.repository.js';
import { AttainmentService } from './attainment.service.js';
import { ProgressController } from './progress.controller.js';
import { RecordsController } from './records.controller.js';
import { RecordsRepository } from './records.repository.js';
import { RecordsService } from './records.service.js';

@Module({
  imports: [PlanModule],
  controllers: [ProgressController, RecordsController],
  providers: [AttainmentRepository, AttainmentService, RecordsRepository, RecordsService],
  exports: [AttainmentService, RecordsRepository, RecordsService],
})
export class ProgressModule {}
