import { Redis } from 'ioredis';
import { PlanImportService } from '../../src/plan/plan-import.service.js';
import { QueueService } from '../../src/queue/queue.service.js';
import { RoundScheduler } from '../../src/scheduler/round-scheduler.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/databases.js';
import { outboxSettled } from '../support/outbox.js';
import { settled } from '../support/settled.js';
import { sql } from '../support/sql.js';
import { TestSmtpServer } from '../support/smtp.js';

const SMALL = new URL('../fixtures/small-plan.yaml', import.meta.url).pathname;

/** Deletes every key of one queue prefix: what a FLUSHDB does to this service, without touching others. */
async function flushQueues(prefix: string): Promise<number> {
  const redis = new Redis('redis://127.0.0.1:6379');
  try {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    return keys.length;
  } finally {
    redis.disconnect();
  }
}

describe('several instances, and Redis losing its data', () => {
  let smtp: TestSmtpServer;
  let db: TestDatabase;

  beforeEach(async () => {
    smtp = await new TestSmtpServer().start();
    db = await createTestDatabase();
  });
  afterEach(async () => {
    await smtp.stop();
    await db.drop();
  });

  it('four instances started at once make one schedule and one email per organisation per step', async () => {
    const env = { SMTP_URL: smtp.url, SECRETARIAT_EMAIL: 'sek@norden.test' };
    const instances = await Promise.all([1, 2, 3, 4].map(() => startTestApp({ db, env, now: '2024-10-01T08:00:00Z' })));
    try {
      const schedulers = await instances[0]!.app.get(QueueService).queue('rounds').getJobSchedulers();
      expect(schedulers.map((s) => s.key)).toEqual(['tick']);

      await instances[0]!.app.get(PlanImportService).importFile(SMALL);
      const round = (
        await instances[0]!.api.post('/api/rounds').send({ year: 2024, opensAt: '2024-11-01', deadline: '2024-12-01' }).expect(201)
      ).body;
      expect(round.state).toBe('scheduled');

      const tickAll = async (at: string) => {
        for (const instance of instances) instance.clock.set(at);
        const results = await Promise.all(instances.map((instance) => instance.app.get(RoundScheduler).tick()));
        return results.flatMap((result) => result.steps.map((s) => s.step));
      };

      expect(await tickAll('2024-11-01T08:00:00Z')).toEqual(['open']);
      await outboxSettled(db.url);
      const requests = (await sql<{ n: number }>(db.url, `SELECT count(*)::int AS n FROM "ReportRequest" WHERE status = 'sent'`))[0]!.n;
      expect(requests).toBe(2); // Kvarkenrådet and Greater Copenhagen; Nordregio has no contact
      const afterOpen = smtp.received.length;
      expect(afterOpen).toBe(requests + 1); // + the no-contact notice to the secretariat

      expect(await tickAll('2024-11-24T08:00:00Z')).toEqual(['reminder:-7']);
      await outboxSettled(db.url);
      expect(smtp.received.length - afterOpen).toBe(requests);
      const ids = smtp.received.map((mail) => mail.messageId);
      expect(new Set(ids).size).toBe(ids.length);
    } finally {
      await Promise.all(instances.map((instance) => instance.close()));
    }
  });

  it('after Redis is flushed with mail and reminders pending, the reconciler sends every due message once', async () => {
    const env = { SMTP_URL: smtp.url, SECRETARIAT_EMAIL: 'sek@norden.test' };
    // An API-only instance decides and enqueues, but no worker runs to deliver.
    const api = await startTestApp({ db, env: { ...env, PROCESS_ROLE: 'api' }, now: '2024-11-01T08:00:00Z' });
    let worker: TestApp | undefined;
    try {
      await api.app.get(PlanImportService).importFile(SMALL);
      await api.api.post('/api/rounds').send({ year: 2024, deadline: '2024-12-01' }).expect(201);
      api.clock.set('2024-11-24T08:00:00Z');
      expect((await api.app.get(RoundScheduler).tick()).steps.map((s) => s.step)).toEqual(['reminder:-7']);
      const pending = (await sql<{ n: number }>(db.url, `SELECT count(*)::int AS n FROM "OutboxMessage" WHERE status = 'pending'`))[0]!.n;
      expect(pending).toBe(5); // 2 status requests, the no-contact notice, 2 reminders

      expect(await flushQueues(api.env.QUEUE_PREFIX!)).toBeGreaterThan(0);

      worker = await startTestApp({ db, env, now: '2024-11-24T08:05:00Z' });
      const { requeued } = await worker.app.get(RoundScheduler).tick();
      expect(requeued).toBe(5);
      await outboxSettled(db.url);
      await smtp.waitFor(5);
      await settled(worker, { smtp });
      expect(smtp.received).toHaveLength(5);
      expect(new Set(smtp.received.map((m) => m.messageId)).size).toBe(5);
      // A second reconciliation finds nothing left to do.
      worker.clock.set('2024-11-24T08:10:00Z');
      expect((await worker.app.get(RoundScheduler).tick()).requeued).toBe(0);
    } finally {
      await worker?.close();
      await api.close();
    }
  });
});
