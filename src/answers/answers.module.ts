import { Module } from '@nestjs/common';
import { MailModule } from '../mail/mail.module.js';
import { PageRenderer } from '../web/page-renderer.js';
import { AnswerFormController } from './answer-form.controller.js';
import { AnswersApiController } from './answers-api.controller.js';
import { AnswersRepository } from './answers.repository.js';
import { AnswersService } from './answers.service.js';

@Module({
  imports: [MailModule],
  controllers: [AnswerFormController, AnswersApiController],
  providers: [AnswersRepository, AnswersService, PageRenderer],
  exports: [AnswersService, AnswersRepository],
})
export class AnswersModule {}
