import 'reflect-metadata';
import { ConsoleLogger, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';
import { AppConfig } from './config/config.module.js';
import { ConfigurationError } from './config/configuration.js';
import { configureHttp } from './http.js';

async function main(): Promise<void> {
  // Structured (JSON) logs for log collectors when LOG_JSON is set; readable lines otherwise.
  const json = ['true', '1', 'yes'].includes(process.env.LOG_JSON ?? '');
  const app = configureHttp(await NestFactory.create(AppModule, { logger: new ConsoleLogger({ json, colors: !json }) }));
  const config = app.get(AppConfig);
  await app.listen(config.get('PORT'), '0.0.0.0');
  Logger.log(`handlingsplan listening on ${config.get('PUBLIC_URL')} (API docs at /api/docs)`, 'Main');
}

main().catch((error: unknown) => {
  // A configuration error is the operator's to fix: say what is wrong, without a stack trace.
  if (error instanceof ConfigurationError) console.error(error.message);
  else console.error(error);
  process.exit(1);
});
