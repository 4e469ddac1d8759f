import { Module } from '@nestjs/common';
import { PlanController } from './plan.controller.js';
import { PlanExportService } from './plan-export.service.js';
import { PlanImportService } from './plan-import.service.js';
import { PlanWriterRepository } from './plan-writer.repository.js';
import { PlanRepository } from './plan.repository.js';
import { PlanService } from './plan.service.js';

@Module({
  controllers: [PlanController],
  providers: [PlanRepository, PlanWriterRepository, PlanService, PlanImportService, PlanExportService],
  exports: [PlanService, PlanRepository, PlanImportService, PlanExportService],
})
export class PlanModule {}
