import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import request from 'supertest';
import { UsersService } from '../../src/auth/users.service.js';
import { AppModule } from '../../src/app.module.js';
import { Clock } from '../../src/common/clock.js';
import { configureHttp } from '../../src/http.js';
import { createTestDatabase, type TestDatabase } from './databases.js';
import { FakeClock } from './fake-clock.js';

export interface TestApp {
  app: INestApplication;
  db: TestDatabase;
  clock: FakeClock;
  env: Record<string, string>;
  /** HTTP requests as an integration with an admin API token. */
  api: Api;
  close(): Promise<void>;
}

export type Api = ReturnType<typeof bearer>;

/** supertest with an Authorization header on every request. */
export function bearer(app: INestApplication, token: string) {
  const agent = request(app.getHttpServer() as Server);
  return {
    get: (url: string) => agent.get(url).set('Authorization', `Bearer ${token}`),
    post: (url: string) => agent.post(url).set('Authorization', `Bearer ${token}`),
    put: (url: string) => agent.put(url).set('Authorization', `Bearer ${token}`),
    delete: (url: string) => agent.delete(url).set('Authorization', `Bearer ${token}`),
  };
}

export interface TestAppOptions {
  env?: Record<string, string>;
  /** Share a database (and queue prefix) with another instance instead of making a fresh one. */
  db?: TestDatabase;
  now?: string;
}

/**
 * The whole service on a fresh database and its own queue prefix, configured as in production
 * except for a fixed clock and fast retries. The tick scheduler is set to an hour, so only the
 * test moves rounds forward.
 */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const db = options.db ?? (await createTestDatabase());
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    DATABASE_URL: db.url,
    REDIS_URL: 'redis://127.0.0.1:6379',
    // The run's name in the prefix lets the global teardown remove this run's queue keys, and only those.
    QUEUE_PREFIX: `{hp-test-${process.env.HANDLINGSPLAN_TEST_RUN ?? 'adhoc'}-${db.name.slice(-10)}}`,
    YEARLY_ROUND: 'false',
    ANNUAL_REPORT_AUTO: 'false',
    TICK_SECONDS: '3600',
    MAIL_BACKOFF_MS: '50',
    MAIL_ATTEMPTS: '3',
    SMTP_TIMEOUT_MS: '500',
    SMTP_RATE_PER_SECOND: '0',
    PUBLIC_URL: 'https://handlingsplan.test',
    MAIL_OUTBOX_DIR: `/tmp/handlingsplan-test-outbox-${randomBytes(4).toString('hex')}`,
    STORAGE_DIR: `/tmp/handlingsplan-test-storage-${randomBytes(4).toString('hex')}`,
    ...options.env,
  };
  const saved = { ...process.env };
  Object.assign(process.env, env);
  const clock = new FakeClock(new Date(options.now ?? '2026-11-29T10:00:00Z'));
  try {
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] })
      .overrideProvider(Clock)
      .useValue(clock)
      .compile();
    const app = configureHttp(moduleRef.createNestApplication({ logger: ['error'] }));
    await app.init();
    const token = await app.get(UsersService).createApiToken('tests', 'admin');
    return {
      app,
      db,
      clock,
      env,
      api: bearer(app, token),
      async close() {
        await app.close();
        if (!options.db) await db.drop();
      },
    };
  } finally {
    // The environment was read when the app was created; leave none of it behind for the next one.
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  }
}
