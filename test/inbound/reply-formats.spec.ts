import { PlanImportService } from '../../src/plan/plan-import.service.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { sql } from '../support/sql.js';
import { TestSmtpServer } from '../support/smtp.js';

/**
 * Replies as the clients really send them (quoted-printable, base64, HTML only), to the digest the
 * service really sent: the digest's references, its text quoted back under a foreign quote header,
 * answers written into the quote, and the reasons in the committee's language.
 */
const SMALL = new URL('../fixtures/small-plan.yaml', import.meta.url).pathname;

let sequence = 0;
function rfc822(headers: Record<string, string>, body: string): Buffer {
  const all = {
    Subject: 'SV: Lägesrapport 2024',
    'Message-ID': `<format-${++sequence}-${Date.now()}@committee.example.org>`,
    Date: 'Mon, 04 Nov 2024 10:00:00 +0100',
    // As the mail provider in front of the webhook stamps it (INBOUND_TRUSTED_RELAYS below).
    'Authentication-Results': 'mx.relay.test; spf=pass smtp.mailfrom=example.org; dmarc=pass header.from=example.org',
    'MIME-Version': '1.0',
    ...headers,
  };
  const head = Object.entries(all)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\r\n');
  return Buffer.from(`${head}\r\n\r\n${body.replace(/\r?\n/g, '\r\n')}`, 'utf8');
}

/** Quoted-printable of UTF-8 text, lines soft-wrapped at 76 as Outlook writes them. */
function quotedPrintable(text: string): string {
  const encoded = [...Buffer.from(text.replace(/\r?\n/g, '\r\n'), 'utf8')]
    .map((byte) =>
      byte === 0x0d || byte === 0x0a
        ? String.fromCharCode(byte)
        : byte === 0x3d || byte > 0x7e
          ? `=${byte.toString(16).toUpperCase().padStart(2, '0')}`
          : String.fromCharCode(byte),
    )
    .join('');
  return encoded
    .split('\r\n')
    .map((line) => line.match(/.{1,73}(?:=[0-9A-F]{2})?/g)?.join('=\r\n') ?? '')
    .join('\r\n');
}

const base64 = (text: string) =>
  (
    Buffer.from(text, 'utf8')
      .toString('base64')
      .match(/.{1,76}/g) ?? []
  ).join('\r\n');

const states = (url: string, prefix: string) =>
  sql<{ label: string; state: string }>(url, `SELECT label, state::text FROM "Milestone" WHERE key LIKE $1 ORDER BY position`, [
    `${prefix}%`,
  ]).then((rows) => rows.map((r) => `${r.label}=${r.state}`));

describe('replies in real client formats', () => {
  let smtp: TestSmtpServer;
  let t: TestApp;
  let kvarken: { reply: string; digest: string };
  let copenhagen: { reply: string; digest: string };

  const post = (raw: Buffer) => t.api.post('/api/inbound/email').set('Content-Type', 'message/rfc822').send(raw);

  beforeAll(async () => {
    smtp = await new TestSmtpServer().start();
    t = await startTestApp({ env: { SMTP_URL: smtp.url, INBOUND_TRUSTED_RELAYS: 'mx.relay.test' }, now: '2024-11-01T08:00:00Z' });
    await t.app.get(PlanImportService).importFile(SMALL);
    await t.api.post('/api/rounds').send({ year: 2024, deadline: '2024-12-01' }).expect(201);
    const mails = await smtp.waitFor(3);
    const of = (to: string) => {
      const mail = mails.find((m) => m.envelopeTo.includes(to))!;
      return { reply: mail.replyTo!.value[0]!.address!, digest: mail.text ?? '' };
    };
    kvarken = of('kvarken@example.org');
    copenhagen = of('gc@example.org');
    smtp.clear();
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.stop();
  });

  it('gives the milestones that share a label a reference of their own, and says so', () => {
    expect(kvarken.digest).toMatch(/^1\. M2021-a Kartläggning$/m);
    expect(kvarken.digest).toMatch(/^2\. M2021-b Seminarium$/m);
    expect(kvarken.digest).toContain('referens (till exempel M2021-a)');
  });

  it('reads a quoted-printable Outlook reply above a German header and the unmarked digest, and says why in Swedish', async () => {
    const text = [
      'Hej!',
      '',
      'M2021-b: försenad - ny tidplan i höst',
      '3: halvvägs',
      '',
      'Med vänlig hälsning',
      'Anna',
      '',
      'Von: Handlingsplan <handlingsplan@example.org>',
      'Gesendet: Freitag, 1. November 2024 09:00',
      'An: kvarken@example.org',
      'Betreff: Lägesrapport 2024',
      '',
      // The digest as sent, without quote marks: its example lines must not become answers.
      kvarken.digest,
    ].join('\n');
    const raw = rfc822(
      {
        From: 'Anna <kvarken@example.org>',
        To: kvarken.reply,
        'Content-Type': 'text/plain; charset=utf-8',
        'Content-Transfer-Encoding': 'quoted-printable',
      },
      quotedPrintable(text),
    );
    const outcome = (await post(raw).expect(202)).body;
    expect(outcome).toMatchObject({ status: 'applied', applied: 1 });
    expect(await states(t.db.url, 'G.1.a/Kvarkenrådet/')).toEqual([
      'M2021=not_started',
      'M2021=delayed',
      'M23/24=not_started',
      'M 5=not_started',
      'null=not_started',
    ]);
    const [confirmation] = await smtp.waitFor(1);
    expect(confirmation!.text).toContain('3: halvvägs');
    expect(confirmation!.text).toContain('Vi känner inte igen statusen efter 3.');
    smtp.clear();
  });

  it('reads a base64 HTML-only Danish reply whose state is followed by its reason', async () => {
    const html =
      '<html><body><div>Hej</div><div>MP2022 er forsinket pga. corona.</div><div>Venlig hilsen<br>Mette</div>' +
      '<div>Fra: Handlingsplan &lt;handlingsplan@example.org&gt;<br>Sendt: 1. november 2024 09:00<br>Til: gc@example.org<br>Emne: Statusrapportering 2024</div>' +
      '<div>1: aflyst</div></body></html>';
    const raw = rfc822(
      {
        From: 'gc@example.org',
        To: copenhagen.reply,
        Subject: 'SV: Statusrapportering 2024',
        'Content-Type': 'text/html; charset=utf-8',
        'Content-Transfer-Encoding': 'base64',
      },
      base64(html),
    );
    expect((await post(raw).expect(202)).body).toMatchObject({ status: 'applied', applied: 1, reason: null });
    expect(await states(t.db.url, 'G.1.a/Greater Copenhagen/')).toEqual(['MP2022=delayed']);
    expect(await sql(t.db.url, `SELECT comment FROM "MilestoneUpdate" WHERE channel = 'email_reply' ORDER BY id DESC LIMIT 1`)).toEqual([
      { comment: 'pga. corona.' },
    ]);
    await smtp.waitFor(1);
    smtp.clear();
  });

  it('sends answers written into a Gmail quote without naming their milestone to review, with the whole text', async () => {
    const quoted = kvarken.digest
      .split('\n')
      .map((line) => `> ${line}`)
      .join('\n');
    const body = [
      'Den fre 1 nov. 2024 kl 09:00 skrev Handlingsplan <handlingsplan@example.org>:',
      '',
      quoted.replace(/^(> 4\. M 5 Projektmånad fem)$/m, '$1\nklar'),
    ].join('\n');
    const raw = rfc822(
      {
        From: 'kvarken@example.org',
        To: kvarken.reply,
        'Content-Type': 'text/plain; charset=utf-8',
        'Content-Transfer-Encoding': '8bit',
      },
      body,
    );
    const outcome = (await post(raw).expect(202)).body;
    expect(outcome).toMatchObject({ status: 'in_review', applied: 0 });
    expect(outcome.reason).toContain('"klar"');
    const [stored] = await sql<{ body: string }>(t.db.url, `SELECT body FROM "InboundMessage" WHERE id = $1`, [outcome.inboundId]);
    expect(stored!.body).toContain('> 4. M 5 Projektmånad fem\nklar');
    expect(await states(t.db.url, 'G.1.a/Kvarkenrådet/')).toContain('M 5=not_started');
  });
});
