import { Module } from '@nestjs/common';
import { StorageModule } from '../storage/storage.module.js';
import { EvidenceController } from './evidence.controller.js';
import { EvidenceRepository } from './evidence.repository.js';
import { EvidenceService } from './evidence.service.js';

/** Files kept as evidence: checked by content, stored, linked to replies, requests and milestones. */
@Module({
  imports: [StorageModule],
  controllers: [EvidenceController],
  providers: [EvidenceRepository, EvidenceService],
  exports: [EvidenceService],
})
export class EvidenceModule {}
