import type { Server } from 'node:http';
import request from 'supertest';
import { AuthService } from '../../src/auth/auth.service.js';
import { UsersService } from '../../src/auth/users.service.js';
import { FollowsService } from '../../src/following/follows.service.js';
import { PlanImportService } from '../../src/plan/plan-import.service.js';
import { QueueService } from '../../src/queue/queue.service.js';
import { SCHEDULERS } from '../../src/queue/jobs.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { settled } from '../support/settled.js';
import { TestSmtpServer } from '../support/smtp.js';
import { sql, sqlOne } from '../support/sql.js';

const SMALL = new URL('../fixtures/small-plan.yaml', import.meta.url).pathname;

/**
 * Follows and the daily digest: a user follows a goal or an organisation from its page or the API,
 * and gets at most one mail a day, in their language, with the state changes there since the last.
 */
describe('follows and the daily digest', () => {
  let smtp: TestSmtpServer;
  let t: TestApp;
  const cookies: Record<string, string> = {};
  const http = () => request(t.app.getHttpServer() as Server);
  const page = (who: string, path: string) => http().get(path).set('Cookie', cookies[who]!);
  const csrfOf = async (who: string) => /name="_csrf" value="([^"]+)"/.exec((await page(who, '/follows').expect(200)).text)![1]!;
  /** The JSON API as a signed-in user: the session's cookie and its CSRF value. */
  const api = async (who: string) => {
    const csrf = await csrfOf(who);
    return {
      get: (url: string) => http().get(url).set('Cookie', cookies[who]!),
      post: (url: string) => http().post(url).set('Cookie', cookies[who]!).set('X-CSRF-Token', csrf),
      delete: (url: string) => http().delete(url).set('Cookie', cookies[who]!).set('X-CSRF-Token', csrf),
    };
  };
  /** Posts the form of the page at `from` as `who` would: with its CSRF value, from this site. */
  async function submit(who: string, from: string, action: string, fields: Record<string, string>) {
    const html = (await page(who, from).expect(200)).text;
    const csrf = /name="_csrf" value="([^"]+)"/.exec(html)![1]!;
    return http()
      .post(action)
      .set('Cookie', cookies[who]!)
      .set('Origin', 'https://handlingsplan.test')
      .type('form')
      .send({ _csrf: csrf, ...fields });
  }
  const milestone = (label: string) =>
    sqlOne<{ id: number }>(t.db.url, `SELECT id FROM "Milestone" WHERE label = $1 ORDER BY id LIMIT 1`, [label]).then((row) => row.id);
  const correct = async (label: string, state: string, comment: string) =>
    t.api
      .post(`/api/milestones/${await milestone(label)}/corrections`)
      .send({ state, comment, reason: 'Bekräftat per telefon.' })
      .expect(201);
  const digest = async () => {
    const result = await t.app.get(FollowsService).digestAll();
    await settled(t, { smtp });
    return result;
  };
  const mailsTo = (address: string) => smtp.received.filter((mail) => mail.envelopeTo.includes(address));
  let gcId: number;
  const signIn = async () => {
    for (const who of ['sara', 'vera']) {
      cookies[who] =
        `hp_session=${(await t.app.get(AuthService).signIn(`${who}@norden.test`, 'correct horse battery staple', 'test')).token}`;
    }
  };

  beforeAll(async () => {
    smtp = await new TestSmtpServer().start();
    t = await startTestApp({ env: { SMTP_URL: smtp.url }, now: '2024-11-01T08:00:00Z' });
    await t.app.get(PlanImportService).importFile(SMALL);
    const password = 'correct horse battery staple';
    const users = t.app.get(UsersService);
    await users.createUser({ email: 'sara@norden.test', password, role: 'secretariat', name: 'Sara', language: 'sv' });
    await users.createUser({ email: 'vera@norden.test', password, role: 'viewer', name: 'Vera', language: 'fi' });
    await signIn();
    gcId = (await sqlOne<{ id: number }>(t.db.url, `SELECT id FROM "Organisation" WHERE name = 'Greater Copenhagen'`)).id;
  });
  afterAll(async () => {
    await t.close();
    await smtp.stop();
  });

  it('registers one daily job at FOLLOW_DIGEST_AT in the configured time zone', async () => {
    const scheduler = await t.app.get(QueueService).queue('follows').getJobScheduler(SCHEDULERS.followDigest);
    expect(scheduler).toMatchObject({ pattern: '0 7 * * *', tz: 'Europe/Copenhagen' });
  });

  it('follows a goal from its page, and shows the Unfollow button then', async () => {
    expect((await page('sara', '/goals/1').expect(200)).text).toContain('name="action" value="follow"');
    const followed = await submit('sara', '/goals/1', '/goals/1/follow', { action: 'follow' });
    expect(followed.status).toBe(303);
    const html = (await page('sara', '/goals/1').expect(200)).text;
    expect(html).toContain('name="action" value="unfollow"');
    expect(html).toContain('Du följer det här målet');
    // Posted from another site, it is refused and nothing changes.
    const csrf = /name="_csrf" value="([^"]+)"/.exec(html)![1]!;
    await http()
      .post('/goals/6/follow')
      .set('Cookie', cookies.sara!)
      .set('Origin', 'https://evil.example')
      .type('form')
      .send({ _csrf: csrf, action: 'follow' })
      .expect(403);
    const sara = await api('sara');
    const { follows } = (await sara.get('/api/follows').expect(200)).body as { follows: { goal: { number: number } | null }[] };
    expect(follows.map((follow) => follow.goal?.number)).toEqual([1]);
  });

  it('follows an organisation through the API, as a viewer; again is no change', async () => {
    const vera = await api('vera');
    const created = await vera.post('/api/follows').send({ organisation: gcId }).expect(201);
    expect(created.body).toMatchObject({ organisation: { id: gcId, name: 'Greater Copenhagen' }, goal: null });
    const again = await vera.post('/api/follows').send({ organisation: gcId }).expect(200);
    expect(again.body.id).toBe(created.body.id);
    expect((await page('vera', `/organisations/${gcId}`).expect(200)).text).toContain('name="action" value="unfollow"');
  });

  it('refuses bad input with a 4xx that names the problem', async () => {
    const vera = await api('vera');
    const neither = await vera.post('/api/follows').send({}).expect(400);
    expect(JSON.stringify(neither.body.message)).toMatch(/goal|organisation/);
    const both = await vera.post('/api/follows').send({ goal: 1, organisation: gcId }).expect(400);
    expect(JSON.stringify(both.body.message)).toContain('not both');
    const text = await vera.post('/api/follows').send({ goal: 'one' }).expect(400);
    expect(JSON.stringify(text.body.message)).toMatch(/goal/);
    expect((await vera.post('/api/follows').send({ goal: 99 }).expect(404)).body.message).toContain('has no goal 99');
    expect((await vera.post('/api/follows').send({ goal: 1, plan: 999 }).expect(404)).body.message).toContain('no plan with id 999');
    expect((await vera.post('/api/follows').send({ organisation: 99_999 }).expect(404)).body.message).toContain('no organisation 99999');
    // Someone else's follow is not yours to end.
    const [saras] = await sql<{ id: number }>(
      t.db.url,
      `SELECT f.id FROM "Follow" f JOIN "User" u ON u.id = f."userId" WHERE u.email = 'sara@norden.test'`,
    );
    expect((await vera.delete(`/api/follows/${saras!.id}`).expect(404)).body.message).toContain(`id ${saras!.id}`);
    await vera.delete('/api/follows/abc').expect(400);
    // An integration's token has no mailbox.
    expect((await t.api.post('/api/follows').send({ goal: 1 }).expect(403)).body.message).toContain('signed-in users');
    // Without the session's CSRF value, nothing is followed.
    await http().post('/api/follows').set('Cookie', cookies.vera!).send({ goal: 1 }).expect(403);
    expect(await sqlOne<{ n: number }>(t.db.url, `SELECT count(*)::int AS n FROM "Follow"`)).toEqual({ n: 2 });
  });

  it('mails each follower one digest a day with the changes, in their language; nothing without a change', async () => {
    t.clock.set('2024-11-01T12:00:00Z');
    await correct('M23/24', 'delayed', 'Ny tidplan i vår');
    smtp.clear();
    t.clock.set('2024-11-02T06:00:00Z'); // 07:00 in Copenhagen
    expect(await digest()).toEqual({ users: 2, mailed: 1 });
    // Sara follows goal 1, where Kvarkenrådet's milestone changed; Vera's Greater Copenhagen did not change.
    expect(mailsTo('vera@norden.test')).toEqual([]);
    const [mail] = mailsTo('sara@norden.test');
    expect(mail!.subject).toBe('1 ändring i det du följer – Small test plan 2021-24');
    expect(mail!.text).toContain('Hej Sara,');
    expect(mail!.text).toContain('Mål 1: Styrke forskning');
    expect(mail!.text).toContain('M23/24 Slutseminarium');
    expect(mail!.text).toContain('Inte påbörjad -> Försenad');
    expect(mail!.text).toContain('Ny tidplan i vår');
    expect(mail!.text).toContain('https://handlingsplan.test/follows');
    // Sent mail shows it as what it is (signed in again: the day outlasted the session).
    await signIn();
    const { id } = await sqlOne<{ id: number }>(t.db.url, `SELECT id FROM "OutboxMessage" WHERE template = 'follow-digest'`);
    expect((await page('sara', `/mail/${id}`).expect(200)).text).toContain('Daglig sammanställning av följda ändringar');

    // Another change the same day, and the job again: nothing more that day.
    t.clock.set('2024-11-02T09:00:00Z');
    await correct('MP2022', 'completed', 'Rapport udgivet');
    smtp.clear();
    expect(await digest()).toEqual({ users: 2, mailed: 0 });
    expect(smtp.received).toEqual([]);
    expect(await sql(t.db.url, `SELECT count(*)::int AS n FROM "OutboxMessage" WHERE template = 'follow-digest'`)).toEqual([{ n: 1 }]);

    // The next day each gets what changed since their last digest: Greater Copenhagen's milestone is in goal 1 too.
    t.clock.set('2024-11-03T06:00:00Z');
    expect(await digest()).toEqual({ users: 2, mailed: 2 });
    const [finnish] = mailsTo('vera@norden.test');
    expect(finnish!.subject).toBe('1 muutos seuraamissasi kohteissa – Small test plan 2021-24');
    expect(finnish!.text).toContain('MP2022 Undersøge CCS');
    expect(finnish!.text).toContain('Valmis');
    const [swedish] = mailsTo('sara@norden.test');
    expect(swedish!.text).toContain('MP2022 Undersøge CCS');
    expect(swedish!.text).not.toContain('Slutseminarium');

    // A day without changes: no mail.
    smtp.clear();
    t.clock.set('2024-11-04T06:00:00Z');
    expect(await digest()).toEqual({ users: 2, mailed: 0 });
    expect(smtp.received).toEqual([]);

    // A change stamped half a minute before the job runs (its transaction may not have committed
    // when the job reads) is left for the next day's digest rather than lost between two.
    t.clock.set('2024-11-05T05:59:30Z');
    await correct('M23/24', 'completed', 'Seminariet hölls');
    t.clock.set('2024-11-05T06:00:00Z');
    expect(await digest()).toEqual({ users: 2, mailed: 0 });
    expect(smtp.received).toEqual([]);
    t.clock.set('2024-11-06T06:00:00Z');
    expect(await digest()).toEqual({ users: 2, mailed: 1 });
    expect(mailsTo('sara@norden.test')[0]!.text).toContain('Seminariet hölls');
  });

  it('stops the digest once unfollowed, from the page or the API', async () => {
    await signIn(); // the days above outlasted the sessions
    const vera = await api('vera');
    const { follows } = (await vera.get('/api/follows').expect(200)).body as { follows: { id: number }[] };
    await vera.delete(`/api/follows/${follows[0]!.id}`).expect(204);
    expect((await submit('sara', '/goals/1', '/goals/1/follow', { action: 'unfollow' })).status).toBe(303);
    expect((await page('sara', '/goals/1').expect(200)).text).toContain('name="action" value="follow"');
    t.clock.set('2024-11-06T12:00:00Z');
    await correct('MP2022', 'in_progress', 'Genåbnet');
    smtp.clear();
    t.clock.set('2024-11-07T06:00:00Z');
    expect(await digest()).toEqual({ users: 0, mailed: 0 });
    expect(smtp.received).toEqual([]);
  });
});
