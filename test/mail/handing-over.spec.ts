import { PlanImportService } from '../../src/plan/plan-import.service.js';
import { QueueService } from '../../src/queue/queue.service.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { settled, until } from '../support/settled.js';
import { sql, sqlOne } from '../support/sql.js';
import { TestSmtpServer } from '../support/smtp.js';

const SMALL = new URL('../fixtures/small-plan.yaml', import.meta.url).pathname;
/** The test app's SMTP_TIMEOUT_MS: a hand-off younger than twice that may still be in progress. */
const SMTP_TIMEOUT_MS = 500;

/**
 * A job whose lock ran out while its worker was still sending (a busy event loop misses a lock
 * renewal) is handed to a second worker. That worker must not send a copy beside the first: it
 * puts the job back without spending an attempt, and finds the message sent when it comes back.
 */
describe('a message another worker may still be handing over', () => {
  let smtp: TestSmtpServer;
  let t: TestApp;

  beforeAll(async () => {
    smtp = await new TestSmtpServer().start();
    t = await startTestApp({ env: { SMTP_URL: smtp.url, SMTP_TIMEOUT_MS: String(SMTP_TIMEOUT_MS) }, now: '2024-11-01T08:00:00Z' });
    await t.app.get(PlanImportService).importFile(SMALL);
    await t.api.post('/api/rounds').send({ year: 2024, deadline: '2024-12-01' }).expect(201);
    await settled(t, { smtp });
  });
  afterAll(async () => {
    await t.close();
    await smtp.stop();
  });

  const copies = (messageId: string) => smtp.received.filter((mail) => mail.messageId === messageId).length;
  const digest = async () =>
    sqlOne<{ id: number; messageId: string }>(
      t.db.url,
      `SELECT id, "messageId" FROM "OutboxMessage" WHERE template = 'status-request' ORDER BY id LIMIT 1`,
    );
  /** The row as another worker leaves it while it holds the message: pending and marked `heldMs` ago. */
  const heldByAnother = (id: number, heldMs: number) =>
    sql(t.db.url, `UPDATE "OutboxMessage" SET status = 'pending', "sentAt" = NULL, "handingAt" = $2 WHERE id = $1`, [
      id,
      new Date(t.clock.now().getTime() - heldMs),
    ]);

  it('waits without spending an attempt, and finds it sent by the other worker', async () => {
    const { id, messageId } = await digest();
    expect(copies(messageId)).toBe(1);
    await heldByAnother(id, 100);

    // The second worker gets the job (a new id: the first job's id is taken by the completed one).
    const queue = t.app.get(QueueService).queue('mail');
    await t.app.get(QueueService).add('mail.deliver', { outboxId: id }, { jobId: `handing-over-${id}`, attempts: 3 });
    await until(async () => (await queue.getJobState(`handing-over-${id}`)) === 'delayed', {
      describe: async () => `the job is ${await queue.getJobState(`handing-over-${id}`)}`,
    });
    const job = (await queue.getJob(`handing-over-${id}`))!;
    expect(job.attemptsMade).toBe(0);
    // It comes back once every time-out the first worker could meet has passed.
    expect(job.delay).toBeGreaterThan(0);
    expect(job.delay).toBeLessThanOrEqual(2 * SMTP_TIMEOUT_MS);
    expect(await sqlOne(t.db.url, `SELECT status::text, "possiblyTwice" FROM "OutboxMessage" WHERE id = $1`, [id])).toEqual({
      status: 'pending',
      possiblyTwice: false,
    });

    // The first worker records its send; the job comes back and has nothing left to do.
    await sql(t.db.url, `UPDATE "OutboxMessage" SET status = 'sent', "sentAt" = $2, "handingAt" = NULL WHERE id = $1`, [id, t.clock.now()]);
    await until(async () => (await queue.getJobState(`handing-over-${id}`)) === 'completed', {
      describe: async () => `the job is ${await queue.getJobState(`handing-over-${id}`)}`,
    });
    expect((await queue.getJob(`handing-over-${id}`))!.returnvalue).toBe('already-done');
    await settled(t, { smtp });
    expect(copies(messageId)).toBe(1);
  });

  it('sends once more, marked, when the other worker has been silent longer than any time-out', async () => {
    const { id, messageId } = await digest();
    const before = copies(messageId);
    await heldByAnother(id, 2 * SMTP_TIMEOUT_MS + 1);
    await t.app.get(QueueService).add('mail.deliver', { outboxId: id }, { jobId: `dead-holder-${id}`, attempts: 3 });
    await until(() => copies(messageId) === before + 1);
    await settled(t, { smtp });
    expect(await sqlOne(t.db.url, `SELECT status::text, "possiblyTwice" FROM "OutboxMessage" WHERE id = $1`, [id])).toEqual({
      status: 'sent',
      possiblyTwice: true,
    });
  });
});
