import request from 'supertest';
import { PlanImportService } from '../../src/plan/plan-import.service.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { sql } from '../support/sql.js';
import { TestSmtpServer, type ReceivedMail } from '../support/smtp.js';

const SMALL = new URL('../fixtures/small-plan.yaml', import.meta.url).pathname;

let sequence = 0;
function rfc822(options: { from: string; to: string; body: string; messageId?: string }): string {
  const headers = {
    From: options.from,
    To: options.to,
    Subject: 'SV: Lägesrapport 2024',
    'Message-ID': options.messageId ?? `<not-me-${++sequence}@committee.example.org>`,
    Date: 'Mon, 04 Nov 2024 10:00:00 +0100',
    'MIME-Version': '1.0',
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Transfer-Encoding': '8bit',
    // The relay vouched for the From address: the forger got through every check before this one.
    'Authentication-Results': 'mx.relay.test; spf=pass smtp.mailfrom=example.org; dmarc=pass header.from=example.org',
  };
  return `${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\r\n')}\r\n\r\n${options.body.replace(/\n/g, '\r\n')}`;
}

const milestone = (url: string, key: string) =>
  sql<{ state: string; progress: number }>(url, `SELECT state::text, progress FROM "Milestone" WHERE key = $1`, [key]).then((r) => r[0]!);
const FIRST = 'G.1.a/Kvarkenrådet/M2021';
const SECOND = 'G.1.a/Kvarkenrådet/M2021#2';

describe('"this was not me": the link in a reply\'s confirmation undoes it and alerts the secretariat', () => {
  let smtp: TestSmtpServer;
  let t: TestApp;
  let http: ReturnType<typeof request>;
  let kvarkenReply: string;

  const post = (raw: string) => t.api.post('/api/inbound/email').set('Content-Type', 'message/rfc822').send(Buffer.from(raw)).expect(202);
  /** Replies as the contact and returns the path of the "this was not me" link its confirmation carries. */
  const reply = async (body: string, messageId?: string): Promise<{ path: string; confirmation: ReceivedMail }> => {
    smtp.clear();
    expect((await post(rfc822({ from: 'kvarken@example.org', to: kvarkenReply, body, messageId }))).body.status).toBe('applied');
    const [confirmation] = await smtp.waitFor(1);
    const link = /https:\/\/handlingsplan\.test(\/not-me\/[A-Za-z0-9_-]{43})/.exec(confirmation!.text ?? '');
    expect(link).not.toBeNull();
    expect(confirmation!.html).toContain(link![0]);
    smtp.clear();
    return { path: link![1]!, confirmation: confirmation! };
  };

  beforeAll(async () => {
    smtp = await new TestSmtpServer().start();
    t = await startTestApp({
      env: { SMTP_URL: smtp.url, INBOUND_TRUSTED_RELAYS: 'mx.relay.test', SECRETARIAT_EMAIL: 'sek@norden.test,chef@norden.test' },
      now: '2024-11-01T08:00:00Z',
    });
    await t.app.get(PlanImportService).importFile(SMALL);
    http = request(t.app.getHttpServer());
    await t.api.post('/api/rounds').send({ year: 2024, deadline: '2024-12-01' }).expect(201);
    const mails = await smtp.waitFor(3);
    kvarkenReply = mails.find((m) => m.envelopeTo.includes('kvarken@example.org'))!.replyTo!.value[0]!.address!;
    smtp.clear();
  });
  afterAll(async () => {
    await t.close();
    await smtp.stop();
  });

  it('shows what it would undo on a GET, undoes a forged reply on the POST, once, and tells the secretariat', async () => {
    t.clock.set('2024-11-02T08:00:00Z');
    const real = await reply('1: pågår 40 % - kartläggningen är igång');
    expect(real.confirmation.text).toContain('Har ni inte skickat det här svaret?');
    t.clock.set('2024-11-03T08:00:00Z');
    const forged = await reply('1: avbruten - inga pengar\n2: klar', '<forged@evil.example>');
    expect(await milestone(t.db.url, FIRST)).toEqual({ state: 'cancelled', progress: 0 });
    expect(await milestone(t.db.url, SECOND)).toEqual({ state: 'completed', progress: 100 });
    // Milestone 2 is corrected by the secretariat after the forged reply: that later change stands.
    const [second] = await sql<{ id: number }>(t.db.url, `SELECT id FROM "Milestone" WHERE key = $1`, [SECOND]);
    t.clock.set('2024-11-03T09:00:00Z');
    await t.api
      .post(`/api/milestones/${second!.id}/corrections`)
      .send({ state: 'in_progress', progress: 80, comment: 'per telefon', reason: 'phoned' })
      .expect(201);
    const historyBefore = await sql(t.db.url, `SELECT id FROM "MilestoneUpdate" ORDER BY id`);

    // A mail scanner opening the link changes nothing.
    const page = await http.get(forged.path).expect(200);
    expect(page.text).toContain('<html lang="sv">');
    expect(page.text).toContain('kvarken@example.org');
    expect(page.text).toContain('Det var inte vi – ångra ändringarna');
    expect(page.text).toContain('Dessa milstolpar återställs till hur de var före svaret');
    expect(page.text).toContain('Dessa har ändrats igen efter svaret');
    expect(await milestone(t.db.url, FIRST)).toEqual({ state: 'cancelled', progress: 0 });
    expect(await sql(t.db.url, `SELECT id FROM "MilestoneUpdate" ORDER BY id`)).toEqual(historyBefore);

    t.clock.set('2024-11-04T08:00:00Z');
    const done = await http.post(forged.path).expect(200);
    expect(done.text).toContain('Svarets ändringar är ångrade');
    // Milestone 1 is back where the real reply left it; milestone 2 keeps the later correction.
    expect(await milestone(t.db.url, FIRST)).toEqual({ state: 'in_progress', progress: 40 });
    expect(await milestone(t.db.url, SECOND)).toEqual({ state: 'in_progress', progress: 80 });
    // Append-only: the forged rows stay, one new row restores the state before them.
    const history = await sql(
      t.db.url,
      `SELECT u."fromState"::text AS "from", u."toState"::text AS "to", u.progress, u.comment, u.channel::text, u.actor, u."reportingYear"
         FROM "MilestoneUpdate" u JOIN "Milestone" m ON m.id = u."milestoneId" WHERE m.key = $1 ORDER BY u.id`,
      [FIRST],
    );
    expect(history.slice(-3)).toEqual([
      {
        from: 'not_started',
        to: 'in_progress',
        progress: 40,
        comment: 'kartläggningen är igång',
        channel: 'email_reply',
        actor: 'kvarken@example.org',
        reportingYear: 2024,
      },
      {
        from: 'in_progress',
        to: 'cancelled',
        progress: 0,
        comment: 'inga pengar',
        channel: 'email_reply',
        actor: 'kvarken@example.org',
        reportingYear: 2024,
      },
      {
        from: 'cancelled',
        to: 'in_progress',
        progress: 40,
        comment: 'kartläggningen är igång',
        channel: 'secretariat',
        actor: 'revert:<forged@evil.example>',
        reportingYear: 2024,
      },
    ]);
    // The reply waits for the secretariat, which has been told.
    expect(await sql(t.db.url, `SELECT status::text, reason FROM "InboundMessage" WHERE "messageId" = '<forged@evil.example>'`)).toEqual([
      { status: 'in_review', reason: expect.stringContaining('not theirs') },
    ]);
    const [alert] = await smtp.waitFor(1);
    expect(alert!.envelopeTo.sort()).toEqual(['chef@norden.test', 'sek@norden.test']);
    expect(alert!.subject).toContain('Kvarkenrådet');
    expect(alert!.text).toContain('Kartläggning');
    expect(alert!.text).toContain('https://handlingsplan.test/review');
    smtp.clear();

    // Single use: a second POST (or a replay of the link) undoes nothing more.
    expect((await http.post(forged.path).expect(410)).text).toContain('Länken har redan använts');
    await http.get(forged.path).expect(410);
    expect(await milestone(t.db.url, FIRST)).toEqual({ state: 'in_progress', progress: 40 });
    // A guessed or altered link is nobody's.
    await http.get(`/not-me/${'A'.repeat(43)}`).expect(404);
    await http.post(`/not-me/${'A'.repeat(43)}`).expect(404);
    await http.get('/not-me/short').expect(404);
  });

  it('expires', async () => {
    t.clock.set('2024-11-05T08:00:00Z');
    const { path } = await reply('1: klar');
    t.clock.set('2024-12-06T08:00:00Z');
    expect((await http.post(path).expect(410)).text).toContain('Länken har gått ut');
    expect(await milestone(t.db.url, FIRST)).toEqual({ state: 'completed', progress: 100 });
  });

  it('says so when the year was approved meanwhile, reverts nothing, and alerts the secretariat anyway', async () => {
    t.clock.set('2024-12-06T09:00:00Z');
    const { path } = await reply('1: försenad - väntar på beslut');
    await t.api.post('/api/records/2024/approve').send({}).expect(201);
    const refused = await http.post(path).expect(409);
    expect(refused.text).toContain('Sekretariatet har godkänt siffrorna för 2024');
    expect(await milestone(t.db.url, FIRST)).toMatchObject({ state: 'delayed' });
    const [alert] = await smtp.waitFor(1);
    expect(alert!.envelopeTo.sort()).toEqual(['chef@norden.test', 'sek@norden.test']);
    expect(alert!.text).toContain('2024');
    await http.post(path).expect(410);
  });
});
