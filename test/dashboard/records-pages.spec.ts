import type { Server } from 'node:http';
import request from 'supertest';
import { AuthService } from '../../src/auth/auth.service.js';
import { UsersService } from '../../src/auth/users.service.js';
import { PlanImportService } from '../../src/plan/plan-import.service.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { settled } from '../support/settled.js';
import { TestSmtpServer } from '../support/smtp.js';
import { sql } from '../support/sql.js';

const SMALL = new URL('../fixtures/small-plan.yaml', import.meta.url).pathname;

/** The visible text of a page, tags dropped and spaces collapsed. */
const textOf = (html: string) =>
  html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#x27;|&#39;/g, "'")
    .replace(/\s+/g, ' ');

/** The figures of record from the dashboard: a correction on the committee's behalf, a year approved and reopened. */
describe('figures of record on the dashboard', () => {
  let smtp: TestSmtpServer;
  let t: TestApp;
  const cookies: Record<string, string> = {};
  const http = () => request(t.app.getHttpServer() as Server);
  const page = (who: string, path: string) => http().get(path).set('Cookie', cookies[who]!);
  /** Posts a form of the page at `from` as `who` would: with that page's CSRF value. */
  async function submit(who: string, from: string, action: string, fields: Record<string, string>) {
    const html = (await page(who, from).expect(200)).text;
    const csrf = /name="_csrf" value="([^"]+)"/.exec(html)![1]!;
    return http()
      .post(action)
      .set('Cookie', cookies[who]!)
      .type('form')
      .send({ _csrf: csrf, ...fields });
  }
  const updates = () => sql<{ n: number }>(t.db.url, `SELECT count(*)::int AS n FROM "MilestoneUpdate"`).then((rows) => rows[0]!.n);

  beforeAll(async () => {
    smtp = await new TestSmtpServer().start();
    t = await startTestApp({ env: { SMTP_URL: smtp.url }, now: '2024-11-01T08:00:00Z' });
    await t.app.get(PlanImportService).importFile(SMALL);
    const password = 'correct horse battery staple';
    const users = t.app.get(UsersService);
    await users.createUser({ email: 'sara@norden.test', password, role: 'secretariat', name: 'Sara' });
    await users.createUser({ email: 'vera@norden.test', password, role: 'viewer', name: 'Vera' });
    for (const [who, email] of [
      ['sara', 'sara@norden.test'],
      ['vera', 'vera@norden.test'],
    ] as const) {
      cookies[who] = `hp_session=${(await t.app.get(AuthService).signIn(email, password, 'test')).token}`;
    }
  });
  afterAll(async () => {
    await t.close();
    await smtp.stop();
  });

  it('corrects a milestone on the committee’s behalf from its page, with a reason, and refuses what is missing', async () => {
    const [milestone] = await sql<{ id: number }>(t.db.url, `SELECT id FROM "Milestone" WHERE label = 'M2021' ORDER BY id LIMIT 1`);
    const path = `/milestones/${milestone!.id}`;
    expect((await page('sara', path).expect(200)).text).toContain('id="correct"');
    // A viewer sees no form and cannot post one.
    expect((await page('vera', path).expect(200)).text).not.toContain('id="correct"');
    expect((await submit('vera', path, `${path}/correct`, { state: 'completed', reason: 'x' })).status).toBe(403);

    const before = await updates();
    const refused = await submit('sara', path, `${path}/correct`, { state: 'completed', progress: '150', reason: '' });
    expect(refused.status).toBe(400);
    const said = textOf(refused.text);
    expect(said).toContain('Progress must be a whole number from 0 to 100.');
    expect(said).toContain('Give the reason for the correction.');
    expect(await updates()).toBe(before);

    const done = await submit('sara', path, `${path}/correct`, {
      state: 'completed',
      progress: '',
      comment: 'Rapporten er udgivet.',
      reason: 'Bekræftet pr. telefon 3. marts.',
    });
    expect(done.status).toBe(303);
    expect(done.headers.location).toBe(`${path}?corrected`);
    expect(await updates()).toBe(before + 1);
    const shown = textOf((await page('sara', `${path}?corrected`).expect(200)).text);
    expect(shown).toContain('The correction has been recorded.');
    expect(shown).toContain('Reason: Bekræftet pr. telefon 3. marts.');
    // The same rule as every channel: completed is 100 %.
    const history = (await t.api.get(`/api/milestones/${milestone!.id}/history`).expect(200)).body;
    expect(history.milestone).toMatchObject({ state: 'completed', progress: 100 });
    expect(history.updates.at(-1)).toMatchObject({ channel: 'secretariat', actor: 'Sara', reason: 'Bekræftet pr. telefon 3. marts.' });
  });

  it('approves a year from the overview and reopens it only with a reason; a viewer can do neither', async () => {
    // Without a round there is nothing to approve: said in words, on a page.
    const none = await submit('sara', '/?year=2024', '/records/2024/approve', {});
    expect(none.status).toBe(409);
    expect(textOf(none.text)).toContain('2024 has no reporting round');

    const round = (await t.api.post('/api/rounds').send({ year: 2024, deadline: '2024-12-01' }).expect(201)).body as { id: number };
    await settled(t, { smtp });
    expect((await submit('vera', '/?year=2024', '/records/2024/approve', {})).status).toBe(403);
    // Nobody has answered yet: the form lists what is open, with links, and approving over it takes a tick.
    const expected = (await t.api.get(`/api/rounds/${round.id}`).expect(200)).body.requests.length as number;
    expect(expected).toBeGreaterThan(1);
    const open = /<div id="approve-outstanding">[\s\S]*?<\/div>/.exec((await page('sara', '/?year=2024').expect(200)).text)![0];
    expect(textOf(open)).toContain(`Still open in reporting round 2024: ${expected} organisations have not answered`);
    expect(open).toContain(`href="/rounds/${round.id}?show=missing"`);
    expect(open).toMatch(/<input type="checkbox" id="approve-anyway" name="anyway" value="yes" required>/);
    const unticked = await submit('sara', '/?year=2024', '/records/2024/approve', { note: 'Gennemgået på mødet.' });
    expect(unticked.status).toBe(400);
    expect(textOf(unticked.text)).toContain('reporting round 2024 still has open items');
    expect((await t.api.get('/api/records/2024').expect(200)).body.approved).toBe(false);
    const approved = await submit('sara', '/?year=2024', '/records/2024/approve', { note: 'Gennemgået på mødet.', anyway: 'yes' });
    expect(approved.status).toBe(303);
    expect(approved.headers.location).toBe('/?year=2024&approved');
    let overview = (await page('sara', '/?year=2024&approved').expect(200)).text;
    expect(textOf(overview)).toContain('The figures of 2024 are approved.');
    expect(overview).toContain('id="reopen-year"');
    expect(overview).not.toContain('id="approve-year"');

    const again = await submit('sara', '/?year=2024', '/records/2024/approve', {});
    expect(again.status).toBe(409);
    expect(textOf(again.text)).toContain('2024 is already approved');

    const noReason = await submit('sara', '/?year=2024', '/records/2024/reopen', { reason: '  ' });
    expect(noReason.status).toBe(400);
    expect(textOf(noReason.text)).toContain('say why in a few words');
    const reopened = await submit('sara', '/?year=2024', '/records/2024/reopen', { reason: 'Et nyt svar fra Kvarkenrådet.' });
    expect(reopened.status).toBe(303);
    overview = (await page('sara', '/?year=2024').expect(200)).text;
    expect(overview).toContain('id="approve-year"');
    expect(overview).toContain('id="approve-outstanding"');
    const approvals = textOf(/<table id="approvals">[\s\S]*?<\/table>/.exec(overview)![0]);
    expect(approvals).toMatch(/Sara Approved Gennemgået på mødet\..*Sara Reopened Et nyt svar fra Kvarkenrådet\./);
    const record = (await t.api.get('/api/records/2024').expect(200)).body;
    expect(record.history.map((event: { action: string }) => event.action)).toEqual(['approved', 'reopened']);
  });
});
