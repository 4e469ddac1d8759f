import { Module } from '@nestjs/common';
import { AnswersModule } from '../answers/answers.module.js';
import { EvidenceModule } from '../evidence/evidence.module.js';
import { InboundSmtpListener } from './inbound-smtp.listener.js';
import { InboundController } from './inbound.controller.js';
import { InboundRepository } from './inbound.repository.js';
import { InboundService } from './inbound.service.js';

@Module({
  imports: [AnswersModule, EvidenceModule],
  controllers: [InboundController],
  providers: [InboundRepository, InboundService, InboundSmtpListener],
  exports: [InboundService, InboundRepository],
})
export class InboundModule {}
