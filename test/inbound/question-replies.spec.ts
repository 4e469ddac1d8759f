import type { Server } from 'node:http';
import nodemailer from 'nodemailer';
import request from 'supertest';
import { AuthService } from '../../src/auth/auth.service.js';
import { UsersService } from '../../src/auth/users.service.js';
import { SignedLinks } from '../../src/common/signed-links.js';
import { InboundSmtpListener } from '../../src/inbound/inbound-smtp.listener.js';
import { PlanImportService } from '../../src/plan/plan-import.service.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { dnsZone } from '../support/dns-zone.js';
import { settled, until } from '../support/settled.js';
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
    // The confirmation and notice of an earlier reply must not pass for the question's mail.
    await settled(t, { smtp });
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
    // The contact gets a confirmation in the committee's Swedish; the secretariat a notice in its Danish.
    const mails = await smtp.waitFor(2);
    const confirmation = mails.find((mail) => mail.envelopeTo.includes('kvarken@example.org'))!;
    expect(confirmation.subject).toBe('Tack för ert svar om M23/24 – Kvarkenrådet');
    expect(confirmation.text).toContain('Sekretariatet har fått besked om ert svar.');
    expect(confirmation.text).toContain('Är slutseminariet flyttat till våren?');
    const notice = mails.find((mail) => mail.envelopeTo.includes('secretariat@example.org'))!;
    expect(notice.subject).toBe('Kvarkenrådet har svaret på jeres spørgsmål om M23/24');
    expect(notice.text).toContain('Seminariet är flyttat till mars eftersom lokalen var upptagen.');
    expect(notice.text).toContain(`https://handlingsplan.test/milestones/${id}#questions`);

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

/**
 * A question asked while the committee has no open request: its mail carries a reply address of
 * its own (reports+q<id>x<mac>), signed like the request's, so the reply reaches the service and
 * its thread even when the mail client or a forward dropped In-Reply-To and References.
 */
describe('replies to a question asked while the committee has no open request', () => {
  let smtp: TestSmtpServer;
  let t: TestApp;
  let cookie: string;
  const QUESTION_ADDRESS = /^reports\+q(\d+)x[a-z2-7]{26}@reports\.example\.org$/;
  const http = () => request(t.app.getHttpServer() as Server);
  const post = (raw: string) => t.api.post('/api/inbound/email').set('Content-Type', 'message/rfc822').send(Buffer.from(raw));
  const milestone = (text: string) =>
    sqlOne<{ id: number }>(t.db.url, `SELECT id FROM "Milestone" WHERE text = $1`, [text]).then((row) => row.id);
  const replies = () =>
    sql<{ milestoneId: number; reviewId: number; text: string }>(
      t.db.url,
      `SELECT "milestoneId", "reviewId", text FROM "MilestoneReply" ORDER BY id`,
    );
  const inbound = (id: number) =>
    sqlOne<{ status: string; reason: string; requestId: number | null }>(
      t.db.url,
      `SELECT status::text, reason, "requestId" FROM "InboundMessage" WHERE id = $1`,
      [id],
    );
  /** Asks the committee a question about the milestone and returns the mail it got. */
  async function ask(id: number, question: string) {
    // The confirmation and notice of an earlier reply must not pass for the question's mail.
    await settled(t, { smtp });
    smtp.clear();
    await t.api.post(`/api/milestones/${id}/questions`).send({ question }).expect(201);
    const [mail] = await smtp.waitFor(1);
    smtp.clear();
    return mail!;
  }
  const replyAddressOf = (mail: ReceivedMail) => mail.replyTo!.value[0]!.address!;

  beforeAll(async () => {
    smtp = await new TestSmtpServer().start();
    t = await startTestApp({
      env: {
        SMTP_URL: smtp.url,
        INBOUND_SMTP_PORT: '0',
        INBOUND_SMTP_HOST: '127.0.0.1',
        INBOUND_TRUSTED_RELAYS: 'mx.relay.test',
        SECRETARIAT_EMAIL: 'kansliet@norden.test',
        SECRETARIAT_LANGUAGE: 'en',
      },
      now: '2024-11-01T08:00:00Z',
    });
    await t.app.get(PlanImportService).importFile(SMALL);
    // The listener's sender checks: 127.0.0.1 may send for example.org, which publishes DMARC.
    t.app.get(InboundSmtpListener).resolver = dnsZone({
      'TXT example.org': ['v=spf1 ip4:127.0.0.1 -all'],
      'TXT _dmarc.example.org': ['v=DMARC1; p=reject'],
    });
    const password = 'correct horse battery staple';
    await t.app.get(UsersService).createUser({ email: 'sara@norden.test', password, role: 'secretariat', name: 'Sara' });
    cookie = `hp_session=${(await t.app.get(AuthService).signIn('sara@norden.test', password, 'test')).token}`;
  });
  afterAll(async () => {
    await t.close();
    await smtp.stop();
  });

  it('mails the question with a reply address of its own that the service accepts, and stores no address', async () => {
    const id = await milestone('Slutseminarium');
    const mail = await ask(id, 'Hur gick slutseminariet?');
    const address = replyAddressOf(mail);
    expect(address).toMatch(QUESTION_ADDRESS);
    expect(mail.replyTo!.value).toHaveLength(1);
    expect(mail.text).toContain(`Svara gärna på det här mejlet (eller skriv till ${address}).`);
    expect(mail.text).not.toContain('https://handlingsplan.test/r/');
    const [review] = await sql<{ id: number }>(t.db.url, `SELECT id FROM "MilestoneReview" WHERE "milestoneId" = $1`, [id]);
    expect(Number(QUESTION_ADDRESS.exec(address)![1])).toBe(review!.id);
    // The row keeps what the address is made from; the key itself is derived when the mail is composed.
    const row = await sqlOne<{ id: number; replyTo: string | null; data: string }>(
      t.db.url,
      `SELECT id, "replyTo", data::text FROM "OutboxMessage" WHERE template = 'milestone-question'`,
    );
    expect(row.replyTo).toBeNull();
    expect(JSON.parse(row.data)).toMatchObject({ questionReply: review!.id });
    expect(row.data).not.toContain(address.split('@')[0]!);
    expect(row.data).not.toContain('secretariat@example.org');
    // Sent mail shows the message without the key.
    const shown = (await http().get(`/mail/${row.id}`).set('Cookie', cookie).expect(200)).text;
    expect(shown).toContain('reports+…@reports.example.org');
    expect(shown).not.toContain(address.split('@')[0]!);
  });

  it('keeps a reply to it in the question’s thread, by its address, with or without In-Reply-To', async () => {
    const id = await milestone('Projektmånad fem');
    const question = await ask(id, 'När börjar projektmånad fem?');
    const to = replyAddressOf(question);
    const [review] = await sql<{ id: number }>(t.db.url, `SELECT id FROM "MilestoneReview" WHERE "milestoneId" = $1`, [id]);

    const threaded = (
      await post(
        rfc822({
          from: 'Anna <kvarken@example.org>',
          to,
          subject: `SV: ${question.subject}`,
          body: 'Den börjar i februari.\n\nAnna',
          headers: { 'In-Reply-To': question.messageId!, References: question.messageId! },
        }),
      ).expect(202)
    ).body;
    expect(threaded).toMatchObject({ status: 'applied', applied: 0 });
    expect(threaded.reason).toContain('kept in its thread');

    // A forward, or a client that drops the headers: the address alone names the question.
    const bare = (
      await post(rfc822({ from: 'kvarken@example.org', to, subject: 'Projektmånaden', body: 'Programmet kommer i januari.' })).expect(202)
    ).body;
    expect(bare).toMatchObject({ status: 'applied', applied: 0 });
    expect(await inbound(bare.inboundId)).toMatchObject({ status: 'applied', requestId: null });

    const kept = (await replies()).filter((reply) => reply.milestoneId === id);
    expect(kept.map((reply) => [reply.reviewId, reply.text.trim()])).toEqual([
      [review!.id, expect.stringContaining('Den börjar i februari.')],
      [review!.id, 'Programmet kommer i januari.'],
    ]);
    const thread = (await t.api.get(`/api/milestones/${id}/questions`).expect(200)).body.thread as { kind: string }[];
    expect(thread.map((entry) => entry.kind)).toEqual(['question', 'reply', 'reply']);
    // No state was changed by it.
    expect(await sqlOne(t.db.url, `SELECT state::text FROM "Milestone" WHERE id = $1`, [id])).toEqual({ state: 'not_started' });
  });

  it('confirms a kept reply to the contact who wrote it, in the committee’s language, and tells the secretariat', async () => {
    const id = await milestone('Undersøge CCS');
    const to = replyAddressOf(await ask(id, 'Hvornår er CCS-undersøgelsen færdig?'));
    const body = Array.from({ length: 120 }, (_, n) => `${n + 1}. Undersøgelsen bliver færdig i marts.`).join('\n');
    const outcome = (await post(rfc822({ from: 'Gert <GC2@example.org>', to, subject: 'SV: CCS', body })).expect(202)).body;
    expect(outcome).toMatchObject({ status: 'applied', applied: 0 });
    const mails = await smtp.waitFor(2);
    expect(mails.map((mail) => mail.envelopeTo).sort()).toEqual([['gc2@example.org'], ['kansliet@norden.test']]);

    // Only the contact who wrote, not the committee's other contact, in Greater Copenhagen's Danish.
    const confirmation = mails.find((mail) => mail.envelopeTo.includes('gc2@example.org'))!;
    expect(confirmation.subject).toBe('Tak for jeres svar om MP2022 – Greater Copenhagen');
    expect(confirmation.text).toContain('Tak for jeres svar på sekretariatets spørgsmål om denne milepæl i Small test plan 2021-24.');
    expect(confirmation.text).toContain('Hvornår er CCS-undersøgelsen færdig?');
    expect(confirmation.text).toContain('Sekretariatet har fået besked om jeres svar.');
    expect(confirmation.replyTo).toBeUndefined();

    // The secretariat, in its language, with the reply cut short and the way to all of it.
    const notice = mails.find((mail) => mail.envelopeTo.includes('kansliet@norden.test'))!;
    expect(notice.subject).toBe('Greater Copenhagen replied to your question about MP2022');
    expect(notice.text).toContain('Greater Copenhagen replied by email from gc2@example.org (received 1 November 2024)');
    expect(notice.text).toContain('Undersøgelsen bliver færdig i marts.');
    expect(notice.text!.length).toBeLessThan(body.length);
    expect(notice.text).toContain("The reply is longer; read all of it on the milestone's page.");
    expect(notice.text).toContain(`https://handlingsplan.test/milestones/${id}#questions`);
    const [kept] = (await replies()).filter((reply) => reply.milestoneId === id);
    expect(kept!.text.trim()).toBe(body);
  });

  it('takes such a reply through the built-in SMTP listener too', async () => {
    const id = await milestone('Seminarium');
    const to = replyAddressOf(await ask(id, 'Blev seminariet av?'));
    const before = (await replies()).length;
    const transport = nodemailer.createTransport({
      host: '127.0.0.1',
      port: t.app.get(InboundSmtpListener).port!,
      secure: false,
      ignoreTLS: true,
    });
    await transport.sendMail({ from: 'kvarken@example.org', to, subject: 'Seminariet', text: 'Ja, den 12 mars i Vasa.' });
    transport.close();
    await until(async () => (await replies()).length > before, { describe: () => 'the reply to be kept' });
    expect((await replies()).at(-1)).toMatchObject({ milestoneId: id, text: expect.stringContaining('den 12 mars i Vasa') });
  });

  it('drops a reply to a forged question key and sends one to a question that is gone to review, never a 5xx', async () => {
    const id = await milestone('Kartläggning');
    const question = await ask(id, 'Är kartläggningen klar?');
    const to = replyAddressOf(question);
    const [, questionId] = QUESTION_ADDRESS.exec(to)!;
    const before = (await replies()).length;
    const key = to.split('@')[0]!.slice('reports+'.length);
    const mac = key.slice(key.indexOf('x') + 1);
    const forged = [
      // Its mac changed by one character.
      `reports+q${questionId}x${mac.slice(0, -1)}${mac.endsWith('a') ? 'b' : 'a'}@reports.example.org`,
      // Another question's id with this one's mac.
      `reports+q${Number(questionId) + 1}x${mac}@reports.example.org`,
    ];
    for (const address of forged) {
      const outcome = (
        await post(
          rfc822({
            from: 'kvarken@example.org',
            to: address,
            subject: `SV: ${question.subject}`,
            body: 'Ja, den är klar.',
            headers: { 'In-Reply-To': question.messageId! },
          }),
        ).expect(202)
      ).body;
      expect(outcome.status).toBe('dropped');
      expect(outcome.reason).toMatch(/^the reply address names question \d+, but its key was not made by this service$/);
    }
    // A genuine key of a question that no longer exists waits for the secretariat.
    const gone = t.app.get(SignedLinks).questionReplyAddress(999_999);
    const orphan = (await post(rfc822({ from: 'kvarken@example.org', to: gone, subject: 'Svar', body: 'Ja.' })).expect(202)).body;
    expect(orphan).toMatchObject({ status: 'in_review' });
    expect(orphan.reason).toContain('question 999999, which no longer exists');
    // So does an empty reply, and one from someone who is not the committee's contact.
    const empty = (await post(rfc822({ from: 'kvarken@example.org', to, subject: 'SV', body: '\n' })).expect(202)).body;
    expect(empty).toMatchObject({ status: 'in_review' });
    expect(empty.reason).toContain('with no text');
    const stranger = (await post(rfc822({ from: 'someone@example.org', to, subject: 'SV', body: 'Ja, klar.' })).expect(202)).body;
    expect(stranger).toMatchObject({ status: 'in_review' });
    expect(stranger.reason).toContain('is not a contact of Kvarkenrådet');
    expect(await replies()).toHaveLength(before);
    // Nothing kept, so nobody is told of it.
    await settled(t, { smtp });
    expect(smtp.received.map((mail) => mail.subject)).toEqual([]);
  });
});
