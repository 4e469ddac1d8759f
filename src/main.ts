import 'reflect-metadata';
import { ConsoleLogger, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';
import { AppConfig } from './config/config.module.js';
import { ConfigurationError } from './config/configuration.js';
import { pendingMigrations } from './database/migrator.js';
import { configureHttp } from './http.js';

async function main(): Promise<void> {
  // Structured (JSON) logs for log collectors when LOG_JSON is set; readable lines otherwise.
  const json = ['true', '1', 'yes'].includes(process.env.LOG_JSON ?? '');
  const app = configureHttp(await NestFactory.create(AppModule, { logger: new ConsoleLogger({ json, colors: !json }) }));
  const config = app.get(AppConfig);
  // A database behind the code would answer some pages with errors: say so and start nothing.
  const pending = await pendingMigrations(config.get('DATABASE_URL'));
  if (pending.length > 0)
    throw new ConfigurationError(
      `The database lacks ${pending.length} migration(s) (${pending.join(', ')}): run \`npm run cli -- db migrate\` first. Nothing was started.`,
    );
  await app.listen(config.get('PORT'), '0.0.0.0');
  Logger.log(`handlingsplan listening on ${config.get('PUBLIC_URL')} (API docs at /api/docs)`, 'Main');
}

main().catch((error: unknown) => {
  // A configuration error is the operator's to fix: say what is wrong, without a stack trace.
  if (error instanceof ConfigurationError) console.error(error.message);
  else console.error(error);
  process.exit(1);
});
