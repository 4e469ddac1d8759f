import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import express from 'express';
import helmet from 'helmet';
import { AppConfig } from './config/config.module.js';
import { QUEUE_BOARD_PATH, QueueBoard } from './operations/queue-board.js';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

/** What every HTTP instance needs, shared by main.ts and the tests so they serve the same app. */
export function configureHttp(app: INestApplication): INestApplication {
  app.enableShutdownHooks();
  const http = app as NestExpressApplication;
  http.disable('x-powered-by');
  // Behind a proxy, the client's address (for the per-address limits) and https come from X-Forwarded-*.
  http.set('trust proxy', app.get(AppConfig).get('TRUST_PROXY'));
  // Every response: nosniff, no framing (DENY), no referrer (answer links carry their token in the
  // URL), HSTS and the rest of helmet's defaults. The Content-Security-Policy is each HTML page's
  // own (answer form, dashboard, annual report); Swagger UI and bull-board need their own scripts.
  http.use(helmet({ contentSecurityPolicy: false, frameguard: { action: 'deny' } }));
  // Raw messages for the inbound-mail webhook; larger than INBOUND_MAX_BYTES is a 413.
  http.use('/api/inbound/email', express.raw({ type: 'message/rfc822', limit: app.get(AppConfig).get('INBOUND_MAX_BYTES') }));
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('handlingsplan')
      .setDescription('Progress reporting for multi-actor action plans: the plan, reporting rounds, answers, attainment.')
      .setVersion('0.1')
      .build(),
  );
  SwaggerModule.setup('api/docs', app, document);
  const board = app.get(QueueBoard);
  http.use(QUEUE_BOARD_PATH, board.adminsOnly, board.router());
  return app;
}
