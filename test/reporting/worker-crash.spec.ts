import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { PlanImportService } from '../../src/plan/plan-import.service.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { settled } from '../support/settled.js';
import { sql, sqlOne } from '../support/sql.js';
import { TestSmtpServer } from '../support/smtp.js';

const SMALL = new URL('../fixtures/small-plan.yaml', import.meta.url).pathname;
const MAIN = new URL('../../dist/main.js', import.meta.url).pathname;

/**
 * A worker process killed (SIGKILL) in the middle of a send. The job is left "active" in Redis;
 * another worker takes it over once it is seen to have stalled, and delivers it. A message can
 * arrive twice only when the SMTP server had accepted it and the acceptance was lost with the
 * worker — never more.
 */
describe('a worker killed in the middle of a send', () => {
  let smtp: TestSmtpServer;
  let t: TestApp;
  const workers: ChildProcess[] = [];

  const startWorker = () => {
    const child = spawn(process.execPath, [MAIN], {
      env: { ...process.env, ...t.env, PROCESS_ROLE: 'worker', PORT: '0', SMTP_URL: smtp.url, NODE_ENV: 'test' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    workers.push(child);
    return child;
  };

  beforeAll(async () => {
    if (!existsSync(MAIN))
      throw new Error('This test runs the built worker (dist/main.js): run `npm run build` first (npm run test:all does).');
    smtp = await new TestSmtpServer().start();
    t = await startTestApp({ env: { SMTP_URL: smtp.url, PROCESS_ROLE: 'api' }, now: '2024-11-01T08:00:00Z' });
    await t.app.get(PlanImportService).importFile(SMALL);
  });
  afterAll(async () => {
    for (const worker of workers) worker.kill('SIGKILL');
    await t.close();
    await smtp.stop();
  });

  it('delivers every message, with at most one duplicate of a message whose acceptance was lost', async () => {
    smtp.set({ holdMs: 4_000 });
    // A deadline in the real future: the worker processes run on the real clock.
    await t.api.post('/api/rounds').send({ year: 2024, deadline: '2031-12-01' }).expect(201);
    const total = (await sql<{ n: number }>(t.db.url, `SELECT count(*)::int AS n FROM "OutboxMessage"`))[0]!.n;
    expect(total).toBe(3); // two digests and the no-contact notice

    const first = startWorker();
    const until = Date.now() + 20_000;
    while (smtp.dataStarted === 0) {
      if (Date.now() > until) throw new Error('the first worker never started sending');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    first.kill('SIGKILL'); // mid-send: the server holds the message and has not answered yet
    const inFlight = smtp.dataStarted;
    smtp.set('accept');

    startWorker();
    const deadline = Date.now() + 60_000;
    for (;;) {
      const { n } = await sqlOne<{ n: number }>(t.db.url, `SELECT count(*)::int AS n FROM "OutboxMessage" WHERE status = 'sent'`);
      if (n === total) break;
      if (Date.now() > deadline) throw new Error(`only ${n} of ${total} messages were delivered`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    // Quiet before counting: no job left in the queues, and the message the killed worker had in
    // flight, if it reached the server, answered (it is held 4 s) or cut off.
    await settled(t, { smtp, ms: 20_000 });
    const copies = new Map<string, number>();
    for (const mail of smtp.received) copies.set(mail.messageId!, (copies.get(mail.messageId!) ?? 0) + 1);
    const ids = await sql<{ messageId: string }>(t.db.url, `SELECT "messageId" FROM "OutboxMessage"`);
    for (const { messageId } of ids) {
      expect(copies.get(messageId)).toBeGreaterThanOrEqual(1);
      expect(copies.get(messageId)).toBeLessThanOrEqual(2);
    }
    // Only messages that were in flight when the worker died can have arrived twice.
    expect(smtp.received.length).toBeLessThanOrEqual(total + inFlight);
    // And each that did is marked as possibly delivered twice (the round page counts them).
    const marked = await sql<{ messageId: string }>(t.db.url, `SELECT "messageId" FROM "OutboxMessage" WHERE "possiblyTwice"`);
    const twice = [...copies].filter(([, n]) => n === 2).map(([messageId]) => messageId);
    expect(marked.map((row) => row.messageId)).toEqual(expect.arrayContaining(twice));
    expect(marked.length).toBeGreaterThanOrEqual(1); // the one the server was holding when the worker died
  });
});
