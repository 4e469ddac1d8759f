import { MailDeliveryService } from '../../src/mail/mail-delivery.service.js';
import { PlanImportService } from '../../src/plan/plan-import.service.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { sql, sqlOne } from '../support/sql.js';
import { TestSmtpServer } from '../support/smtp.js';

const TRICKY = new URL('../fixtures/tricky-plan.yaml', import.meta.url).pathname;

async function outbox(url: string, roundId: number) {
  return sql<{ template: string; status: string; attempts: number; lastError: string | null; recipients: string[] }>(
    url,
    `SELECT template, status::text, attempts, "lastError", recipients FROM "OutboxMessage" WHERE "roundId" = $1 ORDER BY id`,
    [roundId],
  );
}

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not reached: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('delivery faults, hostile input and missing contacts', () => {
  let smtp: TestSmtpServer;
  let t: TestApp;
  let http: TestApp['api'];

  beforeAll(async () => {
    smtp = await new TestSmtpServer().start();
    t = await startTestApp({ env: { SMTP_URL: smtp.url, SECRETARIAT_EMAIL: 'sek@norden.test' }, now: '2024-11-01T08:00:00Z' });
    await t.app.get(PlanImportService).importFile(TRICKY);
    http = t.api;
  });
  afterAll(async () => {
    await t.close();
    await smtp.stop();
  });
  beforeEach(() => {
    smtp.clear();
    smtp.set('accept');
  });

  const open = async (year: number) => (await http.post('/api/rounds').send({ year, deadline: '2024-12-01' }).expect(201)).body;

  it('marks an organisation without contacts "no contact", tells the secretariat, and escapes what it shows', async () => {
    const round = await open(2021);
    const messages = await until(
      () => outbox(t.db.url, round.id),
      (rows) => rows.every((row) => row.status !== 'pending'),
    );
    expect(messages.map((m) => [m.template, m.status, m.recipients])).toEqual([
      ['status-request', 'sent', ['evil@example.org']],
      ['status-request', 'sent', ['tornedalen@example.org']],
      ['pending-summary', 'sent', ['sek@norden.test']],
    ]);
    const detail = (await http.get(`/api/rounds/${round.id}`).expect(200)).body;
    expect(detail.requests.find((r: { organisation: { name: string } }) => r.organisation.name === 'Ingen Adress').state).toBe(
      'no_contact',
    );
    expect(detail.totals).toMatchObject({ expected: 3, noContact: 1 });

    const mails = await smtp.waitFor(3);
    const evil = mails.find((m) => m.envelopeTo.includes('evil@example.org'))!;
    // CR/LF in a name cannot make a header: one recipient, no Bcc, a one-line subject.
    expect(evil.envelopeTo).toEqual(['evil@example.org']);
    expect(evil.headers.has('bcc')).toBe(false);
    expect(evil.subject).not.toMatch(/[\r\n]/);
    expect(mails.flatMap((m) => m.envelopeTo)).not.toContain('victim@evil.test');
    // HTML in names and texts is escaped in the html part, and kept as text in the text part.
    expect(evil.html).not.toContain('<script>');
    expect(evil.html).not.toContain('<b>Evil</b>');
    expect(evil.html).toContain('&lt;script&gt;');
    expect(evil.text).toContain("<script>alert('x')</script>");
    const summary = mails.find((m) => m.envelopeTo.includes('sek@norden.test'))!;
    expect(summary.text).toContain('Ingen Adress');
  });

  it('retries a temporary refusal (451) and delivers', async () => {
    smtp.set({ reply: 451, times: 2 });
    const round = await open(2022);
    const messages = await until(
      () => outbox(t.db.url, round.id),
      (rows) => rows.every((row) => row.status !== 'pending'),
    );
    expect(messages.filter((m) => m.template === 'status-request').map((m) => m.status)).toEqual(['sent', 'sent']);
    expect(messages.reduce((sum, m) => sum + m.attempts, 0)).toBe(messages.length + 2);
    await smtp.waitFor(messages.length);
  });

  it('does not retry a permanent refusal (550): the message fails and the request is recorded as bounced', async () => {
    smtp.set({ reply: 550 });
    const round = await open(2023);
    const messages = await until(
      () => outbox(t.db.url, round.id),
      (rows) => rows.every((row) => row.status !== 'pending'),
    );
    const requests = messages.filter((m) => m.template === 'status-request');
    expect(requests.map((m) => [m.status, m.attempts])).toEqual([
      ['failed', 1],
      ['failed', 1],
    ]);
    expect(requests[0]!.lastError).toMatch(/^SMTP 550/);
    const detail = (await http.get(`/api/rounds/${round.id}`).expect(200)).body;
    expect(detail.requests.filter((r: { state: string }) => r.state === 'bounced')).toHaveLength(2);
    expect(detail.requests[0].deliveryError ?? detail.requests[1].deliveryError).toMatch(/SMTP 550/);
    expect(smtp.received).toHaveLength(0);
  });

  it('retries a message that cannot be composed, then records it as failed with the reason instead of leaving it pending', async () => {
    // Stored data a template cannot render (no round): what a hand edit or a bug in an older version could leave behind.
    const { id } = await sqlOne<{ id: number }>(
      t.db.url,
      `INSERT INTO "OutboxMessage" ("dedupeKey", template, language, recipients, data, "messageId", "updatedAt")
       VALUES ('broken-data', 'status-request', 'da', '{somebody@example.org}', '{"organisation": {"name": "X"}}', '<broken-data@example.org>', now())
       RETURNING id`,
    );
    await t.app.get(MailDeliveryService).enqueue([id]);
    const [row] = await until(
      () =>
        sql<{ status: string; attempts: number; lastError: string | null }>(
          t.db.url,
          `SELECT status::text, attempts, "lastError" FROM "OutboxMessage" WHERE id = $1`,
          [id],
        ),
      (rows) => rows[0]!.status !== 'pending',
    );
    expect(row).toMatchObject({ status: 'failed', attempts: 3 });
    expect(row!.lastError).toMatch(/^gave up after 3 attempts: could not compose the message: /);
    expect(smtp.received).toHaveLength(0);
  });

  it('gives up on a server that accepts the connection and never answers, in bounded time, and flags it', async () => {
    smtp.set('silent');
    const started = Date.now();
    const round = await open(2024);
    const messages = await until(
      () => outbox(t.db.url, round.id),
      (rows) => rows.every((row) => row.status !== 'pending'),
      30_000,
    );
    expect(Date.now() - started).toBeLessThan(30_000);
    const requests = messages.filter((m) => m.template === 'status-request');
    expect(requests.map((m) => [m.status, m.attempts])).toEqual([
      ['failed', 3],
      ['failed', 3],
    ]);
    expect(requests[0]!.lastError).toMatch(/gave up after 3 attempts: timed out/);
    const listed = (await http.get(`/api/mail?round=${round.id}&status=failed`).expect(200)).body;
    expect(listed.total).toBe(messages.length);
  });
});
