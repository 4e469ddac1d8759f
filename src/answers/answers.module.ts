import { Module } from '@nestjs/common';
import { I18nModule } from '../i18n/i18n.module.js';
import { EvidenceModule } from '../evidence/evidence.module.js';
import { MailModule } from '../mail/mail.module.js';
import { ProgressModule } from '../progress/progress.module.js';
import { PageRenderer } from '../web/page-renderer.js';
import { AnswerFormController } from './answer-form.controller.js';
import { AnswersApiController } from './answers-api.controller.js';
import { AnswersRepository } from './answers.repository.js';
import { AnswersService } from './answers.service.js';

@Module({
  imports: [MailModule, I18nModule, ProgressModule, EvidenceModule],
  controllers: [AnswerFormController, AnswersApiController],
  providers: [AnswersRepository, AnswersService, PageRenderer],
  exports: [AnswersService, AnswersRepository],
})
export class AnswersModule {}
