import nodemailer from 'nodemailer';
import { InboundSmtpListener } from '../../src/inbound/inbound-smtp.listener.js';
import { PlanImportService } from '../../src/plan/plan-import.service.js';
import { RoundsService } from '../../src/reporting/rounds.service.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { dnsZone } from '../support/dns-zone.js';
import { sql } from '../support/sql.js';
import { TestSmtpServer } from '../support/smtp.js';

const SMALL = new URL('../fixtures/small-plan.yaml', import.meta.url).pathname;

let sequence = 0;
function rfc822(options: { from: string; to: string; body: string; messageId?: string; headers?: string[] }): string {
  return [
    `From: ${options.from}`,
    `To: ${options.to}`,
    'Subject: SV: Lägesrapport 2024',
    `Message-ID: ${options.messageId ?? `<forged-${++sequence}-${Date.now()}@committee.example.org>`}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    ...(options.headers ?? []),
    '',
    options.body.replace(/\n/g, '\r\n'),
  ].join('\r\n');
}

const kvarkenStates = (url: string) =>
  sql<{ state: string }>(url, `SELECT state::text FROM "Milestone" WHERE key LIKE 'G.1.a/Kvarkenrådet/%' ORDER BY position`).then((rows) =>
    rows.map((row) => row.state),
  );

/**
 * The attacks of issue 16: a reply address and a contact's address used to be all it took to
 * answer for a committee, by the webhook or the SMTP listener. Each of these must now fail.
 */
describe('forged and faulty replies', () => {
  let smtp: TestSmtpServer;
  let t: TestApp;
  let reply: string;
  let roundId: number;

  const post = (raw: string | Buffer) =>
    t.api
      .post('/api/inbound/email')
      .set('Content-Type', 'message/rfc822')
      .send(Buffer.isBuffer(raw) ? raw : Buffer.from(raw));

  beforeAll(async () => {
    smtp = await new TestSmtpServer().start();
    t = await startTestApp({
      env: { SMTP_URL: smtp.url, INBOUND_SMTP_PORT: '0', INBOUND_SMTP_HOST: '127.0.0.1', INBOUND_TRUSTED_RELAYS: 'mx.relay.test' },
      now: '2024-11-01T08:00:00Z',
    });
    await t.app.get(PlanImportService).importFile(SMALL);
    roundId = (await t.api.post('/api/rounds').send({ year: 2024, deadline: '2024-12-01' }).expect(201)).body.id;
    const mails = await smtp.waitFor(3);
    reply = mails.find((m) => m.envelopeTo.includes('kvarken@example.org'))!.replyTo!.value[0]!.address!;
    smtp.clear();
  });
  afterAll(async () => {
    await t.close();
    await smtp.stop();
  });

  it('gives reply addresses a 128-bit key, stores only its hash, and shows it nowhere', async () => {
    expect(reply).toMatch(/^reports\+[a-z2-7]{26}@reports\.example\.org$/);
    const key = /^reports\+([a-z2-7]+)@/.exec(reply)![1]!;
    const dump =
      JSON.stringify(await sql(t.db.url, `SELECT * FROM "ReportRequest"`)) +
      JSON.stringify(await sql(t.db.url, `SELECT * FROM "OutboxMessage"`));
    expect(dump).not.toContain(key);
    for (const path of [`/api/rounds/${roundId}`, '/api/mail', '/api/organisations']) {
      const response = await t.api.get(path);
      expect(response.status).toBeLessThan(500);
      expect(response.text).not.toContain('reports+');
    }
    const round = (await t.api.get(`/api/rounds/${roundId}`).expect(200)).body;
    expect(round.requests.every((request: { replyAddress: unknown }) => request.replyAddress === true)).toBe(true);
  });

  it('derives the keys of requests made before keys were hashed, and still finds them by their old key', async () => {
    const [before] = await sql<{ id: number; replyKeyHash: string }>(
      t.db.url,
      `SELECT id, "replyKeyHash" FROM "ReportRequest" ORDER BY id LIMIT 1`,
    );
    // As the migration leaves a request of an older round: its old key's hash, no derived one yet.
    await sql(
      t.db.url,
      `UPDATE "ReportRequest" SET "replyKeyHash" = NULL, "legacyReplyKeyHash" = encode(sha256('oldkey'), 'hex') WHERE id = $1`,
      [before!.id],
    );
    await t.app.get(RoundsService).onApplicationBootstrap();
    expect(await sql(t.db.url, `SELECT "replyKeyHash" FROM "ReportRequest" WHERE id = $1`, [before!.id])).toEqual([
      { replyKeyHash: before!.replyKeyHash },
    ]);
    const old = (await post(rfc822({ from: 'x@elsewhere.test', to: 'reports+oldkey@reports.example.org', body: 'hello' })).expect(202))
      .body;
    expect(old).toMatchObject({ status: 'in_review' });
    expect(old.reason).toContain('is not a contact of');
    await sql(t.db.url, `UPDATE "InboundMessage" SET status = 'rejected' WHERE id = $1`, [old.inboundId]);
  });

  it('sends a webhook reply from a contact without a trusted relay’s authentication to review', async () => {
    const before = await kvarkenStates(t.db.url);
    // No Authentication-Results at all, as in the probe: once "applied".
    const bare = (await post(rfc822({ from: 'kvarken@example.org', to: reply, body: '1: cancelled - forged' })).expect(202)).body;
    expect(bare).toMatchObject({ status: 'in_review', applied: 0 });
    expect(bare.reason).toContain('could not be authenticated: no Authentication-Results from a trusted relay (mx.relay.test)');
    // A pass stamped by a host that is not trusted, and one hidden below the trusted relay's fail.
    const untrusted = rfc822({
      from: 'kvarken@example.org',
      to: reply,
      body: '1: cancelled - forged',
      headers: ['Authentication-Results: evil.test; dmarc=pass header.from=example.org'],
    });
    expect((await post(untrusted).expect(202)).body).toMatchObject({ status: 'in_review' });
    const hidden = rfc822({
      from: 'kvarken@example.org',
      to: reply,
      body: '1: cancelled - forged',
      headers: [
        'Authentication-Results: mx.relay.test; spf=fail smtp.mailfrom=example.org; dmarc=fail header.from=example.org',
        'Authentication-Results: mx.relay.test; dmarc=pass header.from=example.org',
      ],
    });
    const outcome = (await post(hidden).expect(202)).body;
    expect(outcome).toMatchObject({ status: 'in_review' });
    expect(outcome.reason).toContain('dmarc=fail');
    // A pass for another domain than the sender's does not vouch for the sender.
    const otherDomain = rfc822({
      from: 'kvarken@example.org',
      to: reply,
      body: '1: cancelled - forged',
      headers: ['Authentication-Results: mx.relay.test; dkim=pass header.d=evil.test; dmarc=none'],
    });
    expect((await post(otherDomain).expect(202)).body).toMatchObject({ status: 'in_review' });
    expect(await kvarkenStates(t.db.url)).toEqual(before);
  });

  it('sends an SMTP reply whose sender fails SPF and DMARC to review', async () => {
    const listener = t.app.get(InboundSmtpListener);
    // example.org sends only from 192.0.2.1 and asks for rejection of anything else.
    listener.resolver = dnsZone({ 'TXT example.org': ['v=spf1 ip4:192.0.2.1 -all'], 'TXT _dmarc.example.org': ['v=DMARC1; p=reject'] });
    const before = await kvarkenStates(t.db.url);
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: listener.port!, secure: false, ignoreTLS: true });
    await transport.sendMail({ from: 'kvarken@example.org', to: reply, subject: 'SV: Lägesrapport', text: '1: cancelled - forged' });
    transport.close();
    expect(await kvarkenStates(t.db.url)).toEqual(before);
    const [stored] = await sql<{ status: string; reason: string }>(
      t.db.url,
      `SELECT status::text, reason FROM "InboundMessage" ORDER BY id DESC LIMIT 1`,
    );
    expect(stored!.status).toBe('in_review');
    expect(stored!.reason).toMatch(/could not be authenticated: spf=fail, dkim=none, dmarc=fail/);
  });

  it('stores an email with NUL bytes for review, cleaned, by webhook and by SMTP', async () => {
    const withNul = Buffer.concat([
      Buffer.from(
        rfc822({
          from: 'kvarken@example.org',
          to: reply,
          body: '1: completed - done',
          headers: ['Authentication-Results: mx.relay.test; dmarc=pass'],
        }),
      ),
      Buffer.from([0x00, 0x0d, 0x0a]),
      Buffer.from('2: completed\u0000 x\r\n'),
    ]);
    const outcome = (await post(withNul).expect(202)).body;
    expect(outcome).toMatchObject({ status: 'in_review', applied: 0 });
    expect(outcome.reason).toContain('NUL');
    const [stored] = await sql<{ body: string }>(t.db.url, `SELECT body FROM "InboundMessage" WHERE id = $1`, [outcome.inboundId]);
    expect(stored!.body).toContain('2: completed x');

    const listener = t.app.get(InboundSmtpListener);
    listener.resolver = dnsZone({ 'TXT example.org': ['v=spf1 ip4:127.0.0.1 -all'], 'TXT _dmarc.example.org': ['v=DMARC1; p=reject'] });
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: listener.port!, secure: false, ignoreTLS: true });
    const raw = rfc822({
      from: 'kvarken@example.org',
      to: reply,
      body: 'Hej\u0000\n1: completed',
      messageId: '<nul-smtp@committee.example.org>',
    });
    await transport.sendMail({ envelope: { from: 'kvarken@example.org', to: [reply] }, raw });
    transport.close();
    expect(
      await sql(
        t.db.url,
        `SELECT status::text, left(reason, 30) AS reason FROM "InboundMessage" WHERE "messageId" = '<nul-smtp@committee.example.org>'`,
      ),
    ).toEqual([{ status: 'in_review', reason: 'the message contained NUL char' }]);
  });

  it('answers parallel copies of one Message-ID as duplicates, never with a 500', async () => {
    const raw = rfc822({
      from: 'kvarken@example.org',
      to: reply,
      body: '3: delayed - new plan in spring',
      messageId: '<six-copies@committee.example.org>',
      headers: ['Authentication-Results: mx.relay.test; dmarc=pass header.from=example.org'],
    });
    const responses = await Promise.all(Array.from({ length: 6 }, () => post(raw)));
    expect(responses.map((response) => response.status)).toEqual([202, 202, 202, 202, 202, 202]);
    const statuses = responses.map((response) => response.body.status as string).sort();
    expect(statuses).toEqual(['applied', 'duplicate', 'duplicate', 'duplicate', 'duplicate', 'duplicate']);
    expect(await sql(t.db.url, `SELECT count(*)::int AS n FROM "MilestoneUpdate" WHERE comment = 'new plan in spring'`)).toEqual([
      { n: 1 },
    ]);
  });
});

describe('the inbound webhook in production', () => {
  it('is off until INBOUND_WEBHOOK_TOKEN is set', async () => {
    const t = await startTestApp({ env: { NODE_ENV: 'production', APP_SECRET: 'a'.repeat(40) } });
    try {
      const response = await t.api
        .post('/api/inbound/email')
        .set('Content-Type', 'message/rfc822')
        .send(Buffer.from(rfc822({ from: 'kvarken@example.org', to: 'reports+abc@reports.example.org', body: '1: completed' })))
        .expect(404);
      expect(response.body.message).toContain('INBOUND_WEBHOOK_TOKEN');
    } finally {
      await t.close();
    }
  });
});
