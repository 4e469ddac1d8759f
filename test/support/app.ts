import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { AppModule } from '../../src/app.module.js';
import { configureHttp } from '../../src/http.js';
import { createTestDatabase, type TestDatabase } from './databases.js';

export interface TestApp {
  app: INestApplication;
  db: TestDatabase;
  close(): Promise<void>;
}

/** The whole service on a fresh database, configured the way production is, minus the listener. */
export async function startTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const db = await createTestDatabase();
  Object.assign(process.env, { NODE_ENV: 'test', DATABASE_URL: db.url, REDIS_URL: 'redis://127.0.0.1:6379', ...env });
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
  const app = configureHttp(moduleRef.createNestApplication({ logger: ['error', 'warn'] }));
  await app.init();
  return {
    app,
    db,
    async close() {
      await app.close();
      await db.drop();
    },
  };
}
