import type { Server } from 'node:http';
import request from 'supertest';
import { AuthService } from '../../src/auth/auth.service.js';
import { UsersService } from '../../src/auth/users.service.js';
import { PlanImportService } from '../../src/plan/plan-import.service.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { sql, sqlOne } from '../support/sql.js';
import { TestSmtpServer, type ReceivedMail } from '../support/smtp.js';

const SMALL = new URL('../fixtures/small-plan.yaml', import.meta.url).pathname;

let sequence = 0;
function rfc822(options: { from: string; to: string; subject: string; body: string; headers?: Record<string, string> }): string {
  const headers = {
    From: options.from,
    To: options.to,
    Subject: options.subject,
    'Message-ID': `<question-reply-${++sequence}@committee.example.org>`,
    Date: 'Fri, 01 Nov 2024 11:00:00 +0100',
    'MIME-Version': '1.0',
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Transfer-Encoding': '8bit',
    'Authentication-Results': 'mx.relay.test; spf=pass smtp.mailfrom=example.org; dmarc=pass header.from=example.org',
    ...options.headers,
  };
  return `${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\r\n')}\r\n\r\n${options.body.replace(/\n/g, '\r\n')}`;
}

const linkIn = (mail: ReceivedMail) => /https:\/\/handlingsplan\.test\/r\/([A-Za-z0-9_-]{43})/.exec(mail.text ?? '')![1]!;

/**
 * A committee answering the secretariat's question by replying to its mail in its own words, with
 * no status line: the reply is matched to the question by In-Reply-To / References and kept in
 * the milestone's thread, shown on the milestone page and, read-only, on the committee's form.
 */
describe('free-text replies to a question', () => {
  let smtp: TestSmtpServer;
  let t: TestApp;
  let cookie: string;
  let kvarkenLink: string;
  const http = () => request(t.app.getHttpServer() as Server);
  const post = (raw: string) => t.api.post('/api/inbound/email').set('Content-Type', 'message/rfc822').send(Buffer.from(raw));
  const milestone = (text: string) =>
    sqlOne<{ id: number }>(t.db.url, `SELECT id FROM "Milestone" WHERE text = $1`, [text]).then((row) => row.id);
  /** Asks the committee a question about the milestone and returns the mail it got. */
  async function ask(id: number, question: string) {
    smtp.clear();
    await t.api.post(`/api/milestones/${id}/questions`).send({ question }).expect(201);
    const [mail] = await smtp.waitFor(1);
    smtp.clear();
    return mail!;
  }
  const replies = () =>
    sql<{ milestoneId: number; text: string; fromAddress: string }>(
      t.db.url,
      `SELECT "milestoneId", text, "fromAddress" FROM "MilestoneReply" ORDER BY id`,
    );

  beforeAll(async () => {
    smtp = await new TestSmtpServer().start();
    t = await startTestApp({ env: { SMTP_URL: smtp.url, INBOUND_TRUSTED_RELAYS: 'mx.relay.test' }, now: '2024-11-01T08:00:00Z' });
    await t.app.get(PlanImportService).importFile(SMALL);
    await t.api.post('/api/rounds').send({ year: 2024, deadline: '2024-12-01' }).expect(201);
    const mails = await smtp.waitFor(3);
    kvarkenLink = linkIn(mails.find((m) => m.envelopeTo.includes('kvarken@example.org'))!);
    const password = 'correct horse battery staple';
    await t.app.get(UsersService).createUser({ email: 'sara@norden.test', password, role: 'secretariat', name: 'Sara' });
    cookie = `hp_session=${(await t.app.get(AuthService).signIn('sara@norden.test', password, 'test')).token}`;
  });
  afterAll(async () => {
    await t.close();
    await smtp.stop();
  });

  it('keeps a Gmail-style reply (In-Reply-To, "Den … skrev:") under the question, on the milestone page and the form', async () => {
    const id = await milestone('Slutseminarium');
    const question = await ask(id, 'Är slutseminariet flyttat till våren?');
    expect(question.envelopeTo).toEqual(['kvarken@example.org']);
    const replyTo = question.replyTo!.value[0]!.address!;
    const body = [
      'Hej,',
      '',
      'Seminariet är flyttat till mars eftersom lokalen var upptagen.',
      'Programmet skickas i januari.',
      '',
      'Vänliga hälsningar',
      'Anna',
      '',
      `Den fre 1 nov. 2024 kl 09:00 skrev handlingsplan@example.org <handlingsplan@example.org>:`,
      '> Är slutseminariet flyttat till våren?',
    ].join('\n');
    const outcome = (
      await post(
        rfc822({
          from: 'Anna <kvarken@example.org>',
          to: replyTo,
          subject: `Re: ${question.subject}`,
          body,
          headers: { 'In-Reply-To': question.messageId!, References: question.messageId! },
        }),
      ).expect(202)
    ).body;
    expect(outcome).toMatchObject({ status: 'applied', applied: 0 });
    expect(outcome.reason).toContain('kept in its thread');
    const [kept] = await replies();
    expect(kept).toMatchObject({ milestoneId: id, fromAddress: 'kvarken@example.org' });
    expect(kept!.text).toContain('Seminariet är flyttat till mars eftersom lokalen var upptagen.\nProgrammet skickas i januari.');
    expect(kept!.text).not.toContain('skrev');
    // No state was changed by it.
    expect(await sqlOne(t.db.url, `SELECT state::text FROM "Milestone" WHERE id = $1`, [id])).toEqual({ state: 'not_started' });

    const page = (await http().get(`/milestones/${id}`).set('Cookie', cookie).expect(200)).text;
    const asked = page.indexOf('Är slutseminariet flyttat till våren?');
    const replied = page.indexOf('Reply by email from kvarken@example.org');
    expect(asked).toBeGreaterThan(-1);
    expect(replied).toBeGreaterThan(asked);
    expect(page).toContain('Seminariet är flyttat till mars eftersom lokalen var upptagen.<br>Programmet skickas i januari.');

    const form = (await http().get(`/r/${kvarkenLink}`).expect(200)).text;
    expect(form).toContain('Ert svar per e-post');
    expect(form).toContain('Seminariet är flyttat till mars');
  });

  it('keeps an Outlook-style reply (References only, a "Från:/Skickat:" block) under its own question', async () => {
    const id = await milestone('Projektmånad fem');
    const question = await ask(id, 'När börjar projektmånad fem?');
    const body = [
      'Hej!',
      '',
      'Projektmånaden börjar när finansieringen är beslutad, troligen i februari.',
      '',
      'Med vänlig hälsning',
      'Anna Andersson',
      'Kvarkenrådet',
      '',
      '________________________________',
      'Från: handlingsplan@example.org <handlingsplan@example.org>',
      'Skickat: den 1 november 2024 09:00',
      'Till: kvarken@example.org',
      `Ämne: ${question.subject}`,
      '',
      'När börjar projektmånad fem?',
    ].join('\n');
    const outcome = (
      await post(
        rfc822({
          from: '"Andersson, Anna" <KVARKEN@example.org>',
          to: question.replyTo!.value[0]!.address!,
          subject: `SV: ${question.subject}`,
          body,
          headers: {
            References: `<older@example.org> ${question.messageId!}`,
            'Thread-Topic': question.subject!,
            'Thread-Index': 'AQHbLz0s',
          },
        }),
      ).expect(202)
    ).body;
    expect(outcome).toMatchObject({ status: 'applied', applied: 0 });
    const kept = (await replies()).filter((reply) => reply.milestoneId === id);
    expect(kept).toHaveLength(1);
    expect(kept[0]!.text).toContain('Projektmånaden börjar när finansieringen är beslutad, troligen i februari.');
    expect(kept[0]!.text).not.toContain('Skickat');
    const thread = (await t.api.get(`/api/milestones/${id}/questions`).expect(200)).body.thread as { kind: string }[];
    expect(thread.map((entry) => entry.kind)).toEqual(['question', 'reply']);
    expect((await http().get(`/r/${kvarkenLink}`).expect(200)).text).toContain('troligen i februari');
  });

  it('sends a free-text reply that answers no question, or comes from a stranger, to review as before', async () => {
    const before = (await replies()).length;
    const id = await milestone('Slutseminarium');
    const question = await ask(id, 'Finns det ett program?');
    const unrelated = (
      await post(
        rfc822({ from: 'kvarken@example.org', to: question.replyTo!.value[0]!.address!, subject: 'Hej', body: 'Vi hörs nästa vecka.' }),
      ).expect(202)
    ).body;
    expect(unrelated.status).toBe('in_review');
    const stranger = (
      await post(
        rfc822({
          from: 'someone@example.org',
          to: question.replyTo!.value[0]!.address!,
          subject: `Re: ${question.subject}`,
          body: 'Programmet finns på vår webbplats.',
          headers: { 'In-Reply-To': question.messageId! },
        }),
      ).expect(202)
    ).body;
    expect(stranger.status).toBe('in_review');
    expect(await replies()).toHaveLength(before);
  });
});
