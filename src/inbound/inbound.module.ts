import { Module } from '@nestjs/common';
import { AnswersModule } from '../answers/answers.module.js';
import { EvidenceModule } from '../evidence/evidence.module.js';
import { I18nModule } from '../i18n/i18n.module.js';
import { MailModule } from '../mail/mail.module.js';
import { ProgressModule } from '../progress/progress.module.js';
import { PageRenderer } from '../web/page-renderer.js';
import { InboundSmtpListener } from './inbound-smtp.listener.js';
import { InboundController } from './inbound.controller.js';
import { InboundRepository } from './inbound.repository.js';
import { InboundService } from './inbound.service.js';
import { ReplyRevertController } from './reply-revert.controller.js';
import { ReplyRevertRepository } from './reply-revert.repository.js';
import { ReplyRevertService } from './reply-revert.service.js';

@Module({
  imports: [AnswersModule, EvidenceModule, MailModule, I18nModule, ProgressModule],
  controllers: [InboundController, ReplyRevertController],
  providers: [InboundRepository, InboundService, InboundSmtpListener, ReplyRevertRepository, ReplyRevertService, PageRenderer],
  exports: [InboundService, InboundRepository],
})
export class InboundModule {}
