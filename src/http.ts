import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

/** What every HTTP instance needs, shared by main.ts and the tests so they serve the same app. */
export function configureHttp(app: INestApplication): INestApplication {
  app.enableShutdownHooks();
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('handlingsplan')
      .setDescription('Progress reporting for multi-actor action plans: the plan, reporting rounds, answers, attainment.')
      .setVersion('0.1')
      .build(),
  );
  SwaggerModule.setup('api/docs', app, document);
  return app;
}
