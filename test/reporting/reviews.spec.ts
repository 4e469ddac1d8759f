import type { Server } from 'node:http';
import request from 'supertest';
import { UsersService } from '../../src/auth/users.service.js';
import { PlanImportService } from '../../src/plan/plan-import.service.js';
import { bearer, startTestApp, type Api, type TestApp } from '../support/app.js';
import { settled } from '../support/settled.js';
import { TestSmtpServer, type ReceivedMail } from '../support/smtp.js';

const SMALL = new URL('../fixtures/small-plan.yaml', import.meta.url).pathname;
const PASSWORD = 'a long enough password';
const linkIn = (mail: ReceivedMail) => /https:\/\/handlingsplan\.test\/r\/([A-Za-z0-9_-]{43})/.exec(mail.text ?? '')?.[1];
/** A page's text as a reader sees it: no tags, entities decoded, spaces collapsed. */
const textOf = (html: string) =>
  html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#x27;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');

interface AnswerRow {
  id: number;
  milestone: { id: number; label: string | null; text: string };
  organisation: { name: string };
  state: string;
  review: { action: string; question: string | null } | null;
}

/**
 * Review of a round's answers and questions per milestone: the secretariat marks answers
 * reviewed or returns them with a question, the committee gets the question in its language with
 * its link, the thread shows on the milestone page and on the committee's form, and a new answer
 * replaces the returned one and waits for review again.
 */
describe('review of answers and questions per milestone', () => {
  let smtp: TestSmtpServer;
  let t: TestApp;
  let secretariat: Api;
  let viewer: Api;
  let http: ReturnType<typeof request>;
  let session: { cookie: string; csrf: string };
  let links: { kvarken: string; copenhagen: string };

  const answers = async () =>
    (await t.api.get('/api/rounds/1/answers').expect(200)).body as { summary: Record<string, number>; answers: AnswerRow[] };
  const page = async (path: string) => textOf((await http.get(path).set('Cookie', session.cookie).expect(200)).text);
  const answerAll = async (token: string, comment: string) => {
    const view = (await t.api.get(`/api/answers/${token}`).expect(200)).body;
    const given = view.milestones
      .filter((m: { optional: boolean }) => !m.optional)
      .map((m: { number: number }) => ({ number: m.number, state: 'in_progress', progress: 30, comment }));
    await t.api.post(`/api/answers/${token}`).send({ answers: given, final: true }).expect(200);
  };

  beforeAll(async () => {
    smtp = await new TestSmtpServer().start();
    t = await startTestApp({ env: { SMTP_URL: smtp.url, SECRETARIAT_EMAIL: 'kansliet@norden.test' }, now: '2024-11-01T08:00:00Z' });
    await t.app.get(PlanImportService).importFile(SMALL);
    const users = t.app.get(UsersService);
    secretariat = bearer(t.app, await users.createApiToken('Sara Sekretær', 'secretariat'));
    viewer = bearer(t.app, await users.createApiToken('Viggo Viewer', 'viewer'));
    await users.createUser({ email: 'sek@norden.test', password: PASSWORD, role: 'secretariat' });
    http = request(t.app.getHttpServer() as Server);
    const signIn = await http.post('/login').type('form').send({ email: 'sek@norden.test', password: PASSWORD }).expect(303);
    const cookie = (signIn.headers['set-cookie'] as unknown as string[])[0]!.split(';')[0]!;
    const rounds = await http.get('/rounds').set('Cookie', cookie).expect(200);
    session = { cookie, csrf: /name="_csrf" value="([^"]+)"/.exec(rounds.text)![1]! };

    await t.api.post('/api/rounds').send({ year: 2024, deadline: '2024-12-01' }).expect(201);
    const mails = await smtp.waitFor(3); // two digests and the no-contact notice
    links = {
      kvarken: linkIn(mails.find((m) => m.envelopeTo.includes('kvarken@example.org'))!)!,
      copenhagen: linkIn(mails.find((m) => m.envelopeTo.includes('gc@example.org'))!)!,
    };
    await answerAll(links.kvarken, 'Arbetet pågår.');
    await answerAll(links.copenhagen, 'Arbejdet er i gang.');
    await settled(t, { smtp });
    smtp.clear();
  });
  afterAll(async () => {
    await t.close();
    await smtp.stop();
  });

  it('lists the answers, refuses a viewer and a return without a question, and counts what is reviewed', async () => {
    const { summary, answers: list } = await answers();
    expect(list.length).toBeGreaterThan(2);
    expect(summary).toEqual({ answers: list.length, reviewed: 0, returned: 0 });
    const first = list[0]!;

    await viewer.post(`/api/rounds/1/answers/${first.id}/review`).send({ action: 'reviewed' }).expect(403);
    const refused = await secretariat.post(`/api/rounds/1/answers/${first.id}/review`).send({ action: 'returned' }).expect(400);
    expect(JSON.stringify(refused.body.message)).toContain('question: is required');
    await secretariat.post(`/api/rounds/1/answers/${first.id}/review`).send({ action: 'returned', question: '   ' }).expect(400);
    await secretariat.post(`/api/rounds/1/answers/999999/review`).send({ action: 'reviewed' }).expect(404);
    expect((await answers()).summary).toEqual(summary);

    const reviewed = (await secretariat.post(`/api/rounds/1/answers/${first.id}/review`).send({ action: 'reviewed' }).expect(201)).body;
    expect(reviewed).toMatchObject({ id: first.id, review: { action: 'reviewed', by: 'Sara Sekretær' } });
    expect((await answers()).summary).toEqual({ answers: list.length, reviewed: 1, returned: 0 });
    expect(await page('/rounds/1')).toContain(`1 of ${list.length} answers reviewed, 0 returned`);
  });

  it('returns an answer with a question: the committee’s mail in its language has the question and its link', async () => {
    t.clock.set('2024-11-01T09:00:00Z');
    const kvarken = (await answers()).answers.find((a) => a.organisation.name === 'Kvarkenrådet' && a.review === null)!;
    const question = 'Hur många kommuner deltog i kartläggningen?';
    const returned = (
      await secretariat.post(`/api/rounds/1/answers/${kvarken.id}/review`).send({ action: 'returned', question }).expect(201)
    ).body;
    expect(returned.review).toMatchObject({ action: 'returned', question });
    const { summary } = await answers();
    expect(summary).toMatchObject({ reviewed: 1, returned: 1 });

    const [mail] = await smtp.waitFor(1);
    expect(mail!.envelopeTo).toEqual(['kvarken@example.org']);
    expect(mail!.subject).toContain('En fråga om ert svar');
    expect(mail!.text).toContain(question);
    expect(mail!.text).toContain('Ert svar står kvar som det är tills ni ersätter det.');
    expect(linkIn(mail!)).toBe(links.kvarken);
    // A reply answers the request, like a reply to the digest.
    expect(mail!.replyTo?.text).toMatch(/^reports\+[a-z2-7]{26}@/);

    // The thread on the milestone page, and read-only on the committee's form, in Swedish.
    const milestonePage = await page(`/milestones/${kvarken.milestone.id}`);
    expect(milestonePage).toContain('Question from Sara Sekretær');
    expect(milestonePage).toContain(question);
    const form = textOf((await http.get(`/r/${links.kvarken}`).expect(200)).text);
    expect(form).toContain('Frågor från sekretariatet');
    expect(form).toContain(question);
    expect(form).toContain('ert svar skickades tillbaka med den här frågan');
    expect(await page('/rounds/1')).toContain(`1 of ${summary.answers} answers reviewed, 1 returned`);
  });

  it('takes a new answer in place of the returned one, not yet reviewed, and shows it in the thread', async () => {
    t.clock.set('2024-11-01T10:00:00Z');
    const before = await answers();
    const returned = before.answers.find((a) => a.review?.action === 'returned')!;
    const view = (await t.api.get(`/api/answers/${links.kvarken}`).expect(200)).body;
    const number = view.milestones.find((m: { label: string | null; text: string }) => m.text === returned.milestone.text).number;
    await t.api
      .post(`/api/answers/${links.kvarken}`)
      .send({ answers: [{ number, state: 'completed', comment: 'Tolv kommuner deltog.' }], final: false })
      .expect(200);

    const after = await answers();
    const replaced = after.answers.find((a) => a.milestone.id === returned.milestone.id && a.organisation.name === 'Kvarkenrådet')!;
    expect(replaced.id).not.toBe(returned.id);
    expect(replaced).toMatchObject({ state: 'completed', review: null });
    expect(after.summary).toEqual({ answers: before.summary.answers, reviewed: 1, returned: 0 });
    expect(await page('/rounds/1')).toContain(`1 of ${before.summary.answers} answers reviewed, 0 returned`);
    // The returned answer was replaced: reviewing it now is refused, naming why.
    const stale = await secretariat.post(`/api/rounds/1/answers/${returned.id}/review`).send({ action: 'reviewed' }).expect(409);
    expect(stale.body.message).toContain('replaced by a newer answer');

    const thread = (await t.api.get(`/api/milestones/${returned.milestone.id}/questions`).expect(200)).body.thread;
    expect(thread.map((entry: { kind: string }) => entry.kind)).toEqual(['question', 'answer']);
    expect(thread[1]).toMatchObject({ state: 'completed', text: 'Tolv kommuner deltog.' });
    expect(await page(`/milestones/${returned.milestone.id}`)).toContain('Tolv kommuner deltog.');
  });

  it('asks a question from the milestone page: the mail in Danish carries the committee’s link', async () => {
    await settled(t, { smtp });
    smtp.clear();
    const milestone = (await answers()).answers.find((a) => a.organisation.name === 'Greater Copenhagen')!.milestone;

    // Without a question the page says what is missing, and nothing is sent.
    const empty = await http
      .post(`/milestones/${milestone.id}/questions`)
      .set('Cookie', session.cookie)
      .type('form')
      .send({ _csrf: session.csrf, question: ' ' })
      .expect(400);
    expect(textOf(empty.text)).toContain('Write the question');

    const question = 'Er CCS-undersøgelsen offentliggjort?';
    const asked = await http
      .post(`/milestones/${milestone.id}/questions`)
      .set('Cookie', session.cookie)
      .type('form')
      .send({ _csrf: session.csrf, question })
      .expect(303);
    expect(asked.headers.location).toBe(`/milestones/${milestone.id}?asked#questions`);
    const [mail] = await smtp.waitFor(1);
    expect(mail!.envelopeTo.sort()).toEqual(['gc2@example.org', 'gc@example.org']);
    expect(mail!.subject).toContain('Et spørgsmål om');
    expect(mail!.text).toContain('Sekretariatet for Small test plan 2021-24 har et spørgsmål om denne milepæl');
    expect(mail!.text).toContain(question);
    expect(linkIn(mail!)).toBe(links.copenhagen);
    expect(await page(`/milestones/${milestone.id}?asked`)).toContain('The question was sent to Greater Copenhagen.');
    expect(textOf((await http.get(`/r/${links.copenhagen}`).expect(200)).text)).toContain(question);
    const twin = (await t.api.get(`/api/answers/${links.copenhagen}`).expect(200)).body;
    const withThread = twin.milestones.filter((m: { thread: unknown[] }) => m.thread.length > 0);
    expect(withThread.map((m: { thread: { kind: string; text: string }[] }) => m.thread[0])).toEqual([
      expect.objectContaining({ kind: 'question', text: question }),
    ]);
    // Text PostgreSQL cannot store is refused by name, not a 5xx.
    const nul = await http
      .post(`/milestones/${milestone.id}/questions`)
      .set('Cookie', session.cookie)
      .type('form')
      .send({ _csrf: session.csrf, question: 'Hvad\u0000nu?' })
      .expect(400);
    expect(textOf(nul.text)).toContain('Question: contains characters that cannot be stored');

    // A viewer may read the thread but not ask.
    await viewer.post(`/api/milestones/${milestone.id}/questions`).send({ question }).expect(403);
    const refused = await secretariat.post(`/api/milestones/${milestone.id}/questions`).send({}).expect(400);
    expect(JSON.stringify(refused.body.message)).toContain('question: is required');
  });

  it('returns an answer from the round page, and refuses a return without a question by naming the field', async () => {
    await settled(t, { smtp });
    smtp.clear();
    const answer = (await answers()).answers.find((a) => a.organisation.name === 'Greater Copenhagen' && a.review === null)!;
    const refused = await http
      .post(`/rounds/1/answers/${answer.id}/review`)
      .set('Cookie', session.cookie)
      .type('form')
      .send({ _csrf: session.csrf, action: 'returned', question: '' })
      .expect(400);
    expect(textOf(refused.text)).toContain('Question: write the question for the committee.');

    await http
      .post(`/rounds/1/answers/${answer.id}/review`)
      .set('Cookie', session.cookie)
      .type('form')
      .send({ _csrf: session.csrf, action: 'returned', question: 'Hvornår er grænsehindringerne kortlagt?' })
      .expect(303);
    const [mail] = await smtp.waitFor(1);
    expect(mail!.subject).toContain('Et spørgsmål til jeres svar');
    expect(linkIn(mail!)).toBe(links.copenhagen);
    expect(await page('/rounds/1?review=returned')).toContain('The answer was returned to the committee with your question.');
  });

  it('asks about a milestone without an open request: the mail has no link, and replies reach the question', async () => {
    await secretariat.post('/api/rounds/1/close').send({ reason: 'Alle har svaret' }).expect(200);
    await settled(t, { smtp });
    smtp.clear();
    const milestone = (await answers()).answers.find((a) => a.organisation.name === 'Kvarkenrådet')!.milestone;
    const asked = (
      await secretariat.post(`/api/milestones/${milestone.id}/questions`).send({ question: 'Finns rapporten på svenska?' }).expect(201)
    ).body;
    expect(asked.mailed).toBe(true);
    const [mail] = await smtp.waitFor(1);
    expect(linkIn(mail!)).toBeUndefined();
    expect(mail!.text).toContain('Finns rapporten på svenska?');
    // The question's own reply address (test/inbound/question-replies.spec.ts), not the secretariat's mailbox.
    const address = mail!.replyTo!.value[0]!.address!;
    expect(address).toMatch(/^reports\+q\d+x[a-z2-7]{26}@reports\.example\.org$/);
    expect(mail!.text).toContain(`Svara gärna på det här mejlet (eller skriv till ${address}).`);
    expect(mail!.text).not.toContain('kansliet@norden.test');
  });
});
