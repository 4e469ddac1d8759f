import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';
import { AppConfig } from './config/config.module.js';
import { ConfigurationError } from './config/configuration.js';
import { configureHttp } from './http.js';

async function main(): Promise<void> {
  const app = configureHttp(await NestFactory.create(AppModule, { bufferLogs: false }));
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
