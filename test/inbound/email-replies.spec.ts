import nodemailer from 'nodemailer';
import { InboundSmtpListener } from '../../src/inbound/inbound-smtp.listener.js';
import { PlanImportService } from '../../src/plan/plan-import.service.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { dnsZone } from '../support/dns-zone.js';
import { sql } from '../support/sql.js';
import { TestSmtpServer } from '../support/smtp.js';

const SMALL = new URL('../fixtures/small-plan.yaml', import.meta.url).pathname;

let sequence = 0;
function rfc822(options: {
  from: string;
  to: string;
  subject?: string;
  body: string;
  messageId?: string;
  headers?: Record<string, string>;
}): string {
  const headers = {
    From: options.from,
    To: options.to,
    Subject: options.subject ?? 'SV: Lägesrapport 2024',
    'Message-ID': options.messageId ?? `<reply-${++sequence}-${Date.now()}@committee.example.org>`,
    Date: 'Mon, 04 Nov 2024 10:00:00 +0100',
    'MIME-Version': '1.0',
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Transfer-Encoding': '8bit',
    // As the mail provider in front of the webhook stamps it (INBOUND_TRUSTED_RELAYS below).
    'Authentication-Results': 'mx.relay.test; spf=pass smtp.mailfrom=example.org; dmarc=pass header.from=example.org',
    ...options.headers,
  };
  return `${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\r\n')}\r\n\r\n${options.body.replace(/\n/g, '\r\n')}`;
}

const states = (url: string, prefix: string) =>
  sql<{ label: string; state: string }>(url, `SELECT label, state::text FROM "Milestone" WHERE key LIKE $1 ORDER BY position`, [
    `${prefix}%`,
  ]).then((rows) => rows.map((r) => `${r.label}=${r.state}`));

describe('answers by replying to the email', () => {
  let smtp: TestSmtpServer;
  let t: TestApp;
  let http: TestApp['api'];
  let kvarkenReply: string;
  let copenhagenReply: string;

  const post = (raw: string) => http.post('/api/inbound/email').set('Content-Type', 'message/rfc822').send(Buffer.from(raw));

  beforeAll(async () => {
    smtp = await new TestSmtpServer().start();
    t = await startTestApp({
      env: { SMTP_URL: smtp.url, INBOUND_SMTP_PORT: '0', INBOUND_SMTP_HOST: '127.0.0.1', INBOUND_TRUSTED_RELAYS: 'mx.relay.test' },
      now: '2024-11-01T08:00:00Z',
    });
    await t.app.get(PlanImportService).importFile(SMALL);
    // The listener's sender checks: 127.0.0.1 may send for example.org, which publishes DMARC.
    t.app.get(InboundSmtpListener).resolver = dnsZone({
      'TXT example.org': ['v=spf1 ip4:127.0.0.1 -all'],
      'TXT _dmarc.example.org': ['v=DMARC1; p=reject'],
    });
    http = t.api;
    await http.post('/api/rounds').send({ year: 2024, deadline: '2024-12-01' }).expect(201);
    const mails = await smtp.waitFor(3);
    kvarkenReply = mails.find((m) => m.envelopeTo.includes('kvarken@example.org'))!.replyTo!.value[0]!.address!;
    copenhagenReply = mails.find((m) => m.envelopeTo.includes('gc@example.org'))!.replyTo!.value[0]!.address!;
    smtp.clear();
  });
  afterAll(async () => {
    await t.close();
    await smtp.stop();
  });

  it('applies a Swedish reply, ignores the quoted original, and confirms what was recorded and what was not', async () => {
    const body = [
      'Hej!',
      '',
      '1: klar - rapporten publicerades i maj',
      '3: försenad, ny tidplan i höst',
      '4: halvvägs',
      '',
      'Med vänlig hälsning',
      'Anna Andersson, Kvarkenrådet',
      '',
      '________________________________',
      'Från: handlingsplan@example.org <handlingsplan@example.org>',
      'Skickat: den 1 november 2024 09:00',
      'Till: kvarken@example.org',
      'Ämne: Lägesrapport 2024',
      '',
      '2: genomförd',
      '5: avbruten',
    ].join('\n');
    const outcome = (await post(rfc822({ from: 'Anna <KVARKEN@example.org>', to: kvarkenReply, body })).expect(202)).body;
    expect(outcome).toMatchObject({ status: 'applied', applied: 2 });
    expect(outcome.reason).toContain('4: halvvägs');
    expect(await states(t.db.url, 'G.1.a/Kvarkenrådet/')).toEqual([
      'M2021=completed',
      'M2021=not_started',
      'M23/24=delayed',
      'M 5=not_started',
      'null=not_started',
    ]);
    expect(
      await sql(t.db.url, `SELECT comment, channel::text, actor FROM "MilestoneUpdate" WHERE channel = 'email_reply' ORDER BY id`),
    ).toEqual([
      { comment: 'rapporten publicerades i maj', channel: 'email_reply', actor: 'kvarken@example.org' },
      { comment: 'ny tidplan i höst', channel: 'email_reply', actor: 'kvarken@example.org' },
    ]);
    const [confirmation] = await smtp.waitFor(1);
    expect(confirmation!.envelopeTo).toEqual(['kvarken@example.org']);
    expect(confirmation!.text).toContain('Kartläggning');
    expect(confirmation!.text).toContain('4: halvvägs');
    smtp.clear();
  });

  it('applies a Danish reply with a Gmail-style quote', async () => {
    const body = [
      'Hej',
      '',
      'MP2022: færdig - rapport offentliggjort',
      '',
      'Venlig hilsen',
      'Mette',
      '',
      'Den man. 4. nov. 2024 kl. 09.00 skrev handlingsplan@example.org <handlingsplan@example.org>:',
      '> 1: aflyst',
      '> 2: aflyst',
    ].join('\n');
    const outcome = (
      await post(rfc822({ from: 'gc2@example.org', to: copenhagenReply, subject: 'Re: Statusrapportering 2024', body })).expect(202)
    ).body;
    expect(outcome).toMatchObject({ status: 'applied', applied: 1, reason: null });
    expect(await states(t.db.url, 'G.1.a/Greater Copenhagen/')).toEqual(['MP2022=completed']);
    expect(await states(t.db.url, 'K.6.a/Greater Copenhagen/')).toEqual(['M2021-2024=not_started']);
    await smtp.waitFor(1);
    smtp.clear();
  });

  it('sends a spoofed sender to review, applies nothing, and applies it when the secretariat accepts', async () => {
    const before = await states(t.db.url, 'K.6.a/');
    const outcome = (await post(rfc822({ from: 'mallory@evil.test', to: copenhagenReply, body: '2: cancelled - no money' })).expect(202))
      .body;
    expect(outcome).toMatchObject({
      status: 'in_review',
      applied: 0,
      reason: 'the sender mallory@evil.test is not a contact of Greater Copenhagen',
    });
    expect(await states(t.db.url, 'K.6.a/')).toEqual(before);
    const queue = (await http.get('/api/inbound?status=in_review').expect(200)).body;
    expect(queue.items.map((m: { id: number }) => m.id)).toContain(outcome.inboundId);
    expect((await http.post(`/api/inbound/${outcome.inboundId}/accept`).expect(200)).body).toMatchObject({
      status: 'accepted',
      applied: 1,
    });
    expect(await states(t.db.url, 'K.6.a/')).toEqual(['M2021-2024=cancelled']);
    await http.post(`/api/inbound/${outcome.inboundId}/reject`).expect(409);
  });

  it('drops auto-replies and repeats, reviews what cannot be read, and refuses what is not a message', async () => {
    const snapshot = () => sql(t.db.url, `SELECT count(*)::int AS n FROM "MilestoneUpdate"`);
    const before = await snapshot();
    const auto = (
      await post(
        rfc822({
          from: 'kvarken@example.org',
          to: kvarkenReply,
          subject: 'Automatiskt svar: Lägesrapport',
          body: '2: klar',
          headers: { 'Auto-Submitted': 'auto-replied' },
        }),
      ).expect(202)
    ).body;
    expect(auto).toMatchObject({ status: 'dropped', reason: 'automatic reply (Auto-Submitted: auto-replied)' });
    const outOfOffice = (
      await post(rfc822({ from: 'kvarken@example.org', to: kvarkenReply, subject: 'Out of Office: Lägesrapport', body: '2: klar' })).expect(
        202,
      )
    ).body;
    expect(outOfOffice.status).toBe('dropped');

    const once = rfc822({
      from: 'kvarken@example.org',
      to: kvarkenReply,
      body: 'Jag återkommer nästa vecka.',
      messageId: '<same@committee.example.org>',
    });
    expect((await post(once).expect(202)).body).toMatchObject({
      status: 'in_review',
      reason: 'no line naming a milestone and a status could be read',
    });
    expect((await post(once).expect(202)).body).toMatchObject({ status: 'duplicate' });
    expect(await snapshot()).toEqual(before);

    await post('this is not a mail message').expect(400);
    await http
      .post('/api/inbound/email')
      .set('Content-Type', 'message/rfc822')
      .send(Buffer.alloc(33 * 1024 * 1024, 'a'))
      .expect(413);
    expect(await snapshot()).toEqual(before);
  });

  it('takes replies through the built-in SMTP listener too', async () => {
    const port = t.app.get(InboundSmtpListener).port!;
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
    await transport.sendMail({
      from: 'kvarken@example.org',
      to: kvarkenReply,
      subject: 'SV: Lägesrapport',
      text: '2: pågår 60 % - seminariet planeras',
    });
    await expect(
      transport.sendMail({ from: 'kvarken@example.org', to: 'someone@reports.example.org', subject: 'x', text: 'y' }),
    ).rejects.toThrow(/550/);
    transport.close();
    expect(await states(t.db.url, 'G.1.a/Kvarkenrådet/')).toEqual([
      'M2021=completed',
      'M2021=in_progress',
      'M23/24=delayed',
      'M 5=not_started',
      'null=not_started',
    ]);
    expect(await sql(t.db.url, `SELECT progress FROM "Milestone" WHERE key = 'G.1.a/Kvarkenrådet/M2021#2'`)).toEqual([{ progress: 60 }]);
  });
});
