import { Module } from '@nestjs/common';
import { ComposeThreads } from './compose/compose-threads.js';
import { MailController } from './mail.controller.js';
import { MailDeliveryService } from './mail-delivery.service.js';
import { MailTransport } from './mail-transport.js';
import { OutboxRepository } from './outbox.repository.js';
import { MailRenderer } from './templates/mail-renderer.js';

@Module({
  controllers: [MailController],
  providers: [OutboxRepository, MailTransport, ComposeThreads, MailDeliveryService, MailRenderer],
  exports: [OutboxRepository, MailDeliveryService, MailRenderer],
})
export class MailModule {}
