import { Logger } from '@nestjs/common';
import request from 'supertest';
import { UsersService } from '../../src/auth/users.service.js';
import { MailDeliveryService } from '../../src/mail/mail-delivery.service.js';
import { PlanImportService } from '../../src/plan/plan-import.service.js';
import { STALLED_JOBS } from '../../src/queue/jobs.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { until } from '../support/settled.js';
import { sql, sqlOne } from '../support/sql.js';
import { TestSmtpServer } from '../support/smtp.js';

const SMALL = new URL('../fixtures/small-plan.yaml', import.meta.url).pathname;
const PASSWORD = 'a long enough password';

/**
 * The SMTP window: a worker that dies after handing a message to the SMTP server and before the
 * server answers cannot know whether it arrived. The message is marked before DATA, so the next
 * worker knows; it sends it once more (never a third time), says so in the log, and the round
 * page counts it. (test/reporting/worker-crash.spec.ts kills a real worker process in that window.)
 */
describe('a message caught in the SMTP window by a crash', () => {
  let smtp: TestSmtpServer;
  let t: TestApp;
  let delivery: MailDeliveryService;

  beforeAll(async () => {
    smtp = await new TestSmtpServer().start();
    // No worker in this process: the test delivers by hand, as a worker would.
    t = await startTestApp({ env: { SMTP_URL: smtp.url, PROCESS_ROLE: 'api', SMTP_TIMEOUT_MS: '20000' }, now: '2024-11-01T08:00:00Z' });
    await t.app.get(PlanImportService).importFile(SMALL);
    await t.app.get(UsersService).createUser({ email: 'sek@norden.test', password: PASSWORD, role: 'secretariat', language: 'en' });
    delivery = t.app.get(MailDeliveryService);
  });
  afterAll(async () => {
    await t.close();
    await smtp.stop();
  });

  it('marks a message before DATA, sends it once more after a crash with a log line, never a third time, and counts it', async () => {
    const round = (await t.api.post('/api/rounds').send({ year: 2024, deadline: '2024-12-01' }).expect(201)).body as { id: number };
    const [digest] = await sql<{ id: number; messageId: string }>(
      t.db.url,
      `SELECT id, "messageId" FROM "OutboxMessage" WHERE template = 'status-request' ORDER BY id LIMIT 1`,
    );
    const row = () =>
      sqlOne<{ status: string; handing: boolean; possiblyTwice: boolean; lastError: string | null }>(
        t.db.url,
        `SELECT status::text, "handingAt" IS NOT NULL AS handing, "possiblyTwice", "lastError" FROM "OutboxMessage" WHERE id = $1`,
        [digest!.id],
      );
    const copies = () => smtp.received.filter((mail) => mail.messageId === digest!.messageId).length;

    // While the server holds the message after DATA, the row says it is being handed over.
    smtp.set({ holdMs: 1_500 });
    const sending = delivery.deliver(digest!.id);
    await until(() => smtp.dataStarted >= 1, { describe: () => 'the SMTP server never saw DATA' });
    expect(await row()).toMatchObject({ status: 'pending', handing: true, possiblyTwice: false });
    expect(await sending).toBe('sent');
    await until(() => copies() === 1);
    smtp.set('accept');

    // A worker killed there leaves the row pending and marked: the server had the message, the record did not.
    // Its mark is older than twice SMTP_TIMEOUT_MS (20 s here): a worker still at work would have given up by now.
    const crashed = () =>
      sql(t.db.url, `UPDATE "OutboxMessage" SET status = 'pending', "sentAt" = NULL, "handingAt" = $2 WHERE id = $1`, [
        digest!.id,
        new Date(t.clock.now().getTime() - 41_000),
      ]);
    await crashed();
    // The log line, as the service's logger writes it.
    const warnings: string[] = [];
    const logger = Object.getOwnPropertyDescriptor(Logger.prototype, 'warn')!;
    Logger.prototype.warn = (message: unknown) => void warnings.push(String(message));
    try {
      expect(await delivery.deliver(digest!.id)).toBe('sent');
    } finally {
      Object.defineProperty(Logger.prototype, 'warn', logger);
    }
    expect(warnings).toEqual([expect.stringContaining(`${digest!.messageId} was being handed to the SMTP server`)]);
    await until(() => copies() === 2);
    expect(await row()).toMatchObject({ status: 'sent', possiblyTwice: true });

    // A second crash in the window: not sent a third time.
    await crashed();
    expect(await delivery.deliver(digest!.id)).toBe('skipped');
    expect(await row()).toMatchObject({ status: 'failed', lastError: expect.stringContaining('probably arrived') });
    expect(copies()).toBe(2);

    // Every other message went once, unmarked.
    const others = await sql<{ id: number }>(t.db.url, `SELECT id FROM "OutboxMessage" WHERE id <> $1`, [digest!.id]);
    for (const { id } of others) expect(await delivery.deliver(id)).toBe('sent');
    expect(await sql(t.db.url, `SELECT count(*)::int AS n FROM "OutboxMessage" WHERE "possiblyTwice"`)).toEqual([{ n: 1 }]);

    const http = request(t.app.getHttpServer());
    const login = await http.post('/login').type('form').send({ email: 'sek@norden.test', password: PASSWORD }).expect(303);
    const cookie = (login.headers['set-cookie'] as unknown as string[])[0]!.split(';')[0]!;
    const page = await http.get(`/rounds/${round.id}`).set('Cookie', cookie).expect(200);
    expect(page.text).toMatch(/id="possibly-twice">Possibly delivered twice: 1 /);
  });

  it("has a dead worker's job taken over within 15 s", () => {
    // The lock runs out after lockDuration; the next stalled check comes within stalledInterval.
    expect(STALLED_JOBS.lockDuration + STALLED_JOBS.stalledInterval).toBeLessThanOrEqual(15_000);
  });
});
