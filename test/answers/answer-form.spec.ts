import { PlanImportService } from '../../src/plan/plan-import.service.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { redisCommandsDuring } from '../support/redis-commands.js';
import { sql } from '../support/sql.js';
import { TestSmtpServer, type ReceivedMail } from '../support/smtp.js';

const SMALL = new URL('../fixtures/small-plan.yaml', import.meta.url).pathname;

/** Everything an answer could change: equal snapshots mean nothing changed. */
async function snapshot(url: string) {
  return {
    milestones: await sql(url, `SELECT id, state::text, progress, "stateChangedAt" FROM "Milestone" ORDER BY id`),
    updates: await sql(url, `SELECT count(*)::int AS n FROM "MilestoneUpdate"`),
    scope: await sql(
      url,
      `SELECT "requestId", "milestoneId", "answeredAt", "draftState", "draftComment" FROM "RequestMilestone" ORDER BY 1, 2`,
    ),
    requests: await sql(url, `SELECT id, status::text, "answeredAt", late FROM "ReportRequest" ORDER BY id`),
    outbox: await sql(url, `SELECT count(*)::int AS n FROM "OutboxMessage"`),
  };
}

const linkIn = (mail: ReceivedMail) => /https:\/\/handlingsplan\.test\/r\/([A-Za-z0-9_-]{43})/.exec(mail.text ?? '')![1]!;

/** GET the form the way a browser does, keeping the CSRF cookie and hidden field. */
async function openForm(http: TestApp['api'], token: string) {
  const response = await http.get(`/r/${token}`).expect(200);
  const cookie = (response.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('hp_answer_csrf='))!.split(';')[0]!;
  const csrf = /name="csrf" value="([^"]+)"/.exec(response.text)![1]!;
  return { html: response.text, cookie, csrf };
}

describe('answering through the personal link', () => {
  let smtp: TestSmtpServer;
  let t: TestApp;
  let http: TestApp['api'];
  let kvarken: string;
  let copenhagen: string;

  beforeAll(async () => {
    smtp = await new TestSmtpServer().start();
    t = await startTestApp({ env: { SMTP_URL: smtp.url }, now: '2024-11-01T08:00:00Z' });
    await t.app.get(PlanImportService).importFile(SMALL);
    http = t.api;
    await http.post('/api/rounds').send({ year: 2024, deadline: '2024-12-01' }).expect(201);
    const mails = await smtp.waitFor(3); // two digests and the no-contact notice
    kvarken = linkIn(mails.find((m) => m.envelopeTo.includes('kvarken@example.org'))!);
    copenhagen = linkIn(mails.find((m) => m.envelopeTo.includes('gc@example.org'))!);
    smtp.clear();
  });
  afterAll(async () => {
    await t.close();
    await smtp.stop();
  });

  it('shows the form in the organisation’s language, and a GET changes nothing', async () => {
    const before = await snapshot(t.db.url);
    const { html } = await openForm(http, kvarken);
    expect(html).toContain('<html lang="sv">');
    expect(html).toContain('Lägesrapport 2024: Kvarkenrådet');
    expect(html).toContain('Kartläggning');
    expect(html).not.toContain('Undersøge CCS'); // Greater Copenhagen's milestone
    await openForm(http, kvarken);
    expect(await snapshot(t.db.url)).toEqual(before);
    const headers = (await http.get(`/r/${kvarken}`)).headers;
    expect(headers['referrer-policy']).toBe('no-referrer');
    expect(headers['cache-control']).toBe('no-store');
    expect(headers['content-security-policy']).toBe(
      "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
    expect(headers['x-frame-options']).toBe('DENY');
    expect(headers['x-content-type-options']).toBe('nosniff');
    expect(headers['x-robots-tag']).toBe('noindex');
  });

  it('refuses a POST without the CSRF value it was served with, and changes nothing', async () => {
    const before = await snapshot(t.db.url);
    const { cookie } = await openForm(http, kvarken);
    await http.post(`/r/${kvarken}`).type('form').send({ action: 'submit', state_1: 'completed' }).expect(403);
    await http
      .post(`/r/${kvarken}`)
      .set('Cookie', cookie)
      .type('form')
      .send({ action: 'submit', state_1: 'completed', csrf: 'forged' })
      .expect(403);
    // A malformed cookie (bad percent-encoding) is a mismatch like any other, not a server error.
    await http.get(`/r/${kvarken}`).set('Cookie', 'hp_session=%ZZ; hp_answer_csrf=%ZZ').expect(200);
    await http
      .post(`/r/${kvarken}`)
      .set('Cookie', 'hp_session=%ZZ; hp_answer_csrf=%ZZ')
      .type('form')
      .send({ action: 'submit', state_1: 'completed', csrf: 'forged' })
      .expect(403);
    expect(await snapshot(t.db.url)).toEqual(before);
  });

  it('saves a draft without changing any state, and shows it again', async () => {
    const before = await snapshot(t.db.url);
    const { cookie, csrf } = await openForm(http, kvarken);
    await http
      .post(`/r/${kvarken}`)
      .set('Cookie', cookie)
      .type('form')
      .send({ csrf, action: 'draft', state_1: 'delayed', comment_1: 'Utkast <b>fet</b>' })
      .expect(303);
    const after = await snapshot(t.db.url);
    expect(after.milestones).toEqual(before.milestones);
    expect(after.updates).toEqual(before.updates);
    const { html } = await openForm(http, kvarken);
    expect(html).toContain('Utkast &lt;b&gt;fet&lt;/b&gt;');
    expect(html).toMatch(/<option value="delayed" selected>/);
  });

  it('refuses bad answers with the reason and records nothing', async () => {
    const before = await snapshot(t.db.url);
    const { cookie, csrf } = await openForm(http, kvarken);
    const response = await http
      .post(`/r/${kvarken}`)
      .set('Cookie', cookie)
      .type('form')
      .send({
        csrf,
        action: 'submit',
        state_1: 'completed',
        progress_2: '150',
        state_2: 'in_progress',
        state_3: 'finished',
        evidence_1: 'javascript:alert(1)',
      })
      .expect(400);
    // In the organisation's language (Kvarkenrådet: Swedish), at the top and beside each field.
    expect(response.text).toContain('<li>Milstolpe 1: Länken måste börja med http:// eller https://.</li>');
    expect(response.text).toContain('<li>Milstolpe 2: Framsteg måste vara ett heltal från 0 till 100.</li>');
    expect(response.text).toContain('<li>Milstolpe 3: Välj en status.</li>');
    expect(response.text).toMatch(/<p class="error" id="m2-error">Framsteg måste vara ett heltal från 0 till 100.<\/p>/);
    expect(response.text).not.toContain('must be');
    expect(response.text).not.toContain('href="javascript:'); // shown back only as the field's value, never as a link
    const after = await snapshot(t.db.url);
    expect({ ...after, scope: undefined }).toEqual({ ...before, scope: undefined });
  });

  it('records a submission: states and history change, the request is answered, and a confirmation arrives', async () => {
    const { cookie, csrf } = await openForm(http, kvarken);
    await http
      .post(`/r/${kvarken}`)
      .set('Cookie', cookie)
      .type('form')
      .send({
        csrf,
        action: 'submit',
        state_1: 'completed',
        comment_1: '<script>alert(1)</script> klart',
        evidence_1: 'https://example.org/rapport',
        state_2: 'in_progress',
        progress_2: '40',
        state_3: 'delayed',
        comment_3: 'Ny tidplan i höst',
        state_4: 'at_risk',
        comment_4: 'Budgeten är osäker',
        state_5: 'not_started',
      })
      .expect(303);
    const rows = await sql<{ key: string; state: string; progress: number }>(
      t.db.url,
      `SELECT key, state::text, progress FROM "Milestone" WHERE key LIKE 'G.1.a/Kvarkenrådet/%' ORDER BY position`,
    );
    expect(rows.map((r) => [r.state, r.progress])).toEqual([
      ['completed', 100],
      ['in_progress', 40],
      ['delayed', 25],
      ['at_risk', 50],
      ['not_started', 0],
    ]);
    const history = await sql(
      t.db.url,
      `SELECT "fromState"::text, "toState"::text, channel::text, late, comment, "evidenceUrl" FROM "MilestoneUpdate" WHERE channel = 'link_form' ORDER BY id LIMIT 1`,
    );
    expect(history).toEqual([
      {
        fromState: 'not_started',
        toState: 'completed',
        channel: 'link_form',
        late: false,
        comment: '<script>alert(1)</script> klart',
        evidenceUrl: 'https://example.org/rapport',
      },
    ]);
    expect(
      await sql(
        t.db.url,
        `SELECT status::text, late FROM "ReportRequest" r JOIN "Organisation" o ON o.id = r."organisationId" WHERE o.name = 'Kvarkenrådet'`,
      ),
    ).toEqual([{ status: 'answered', late: false }]);

    const [confirmation] = await smtp.waitFor(1);
    expect(confirmation!.envelopeTo).toEqual(['kvarken@example.org']);
    expect(confirmation!.text).toContain('Kartläggning');
    expect(confirmation!.html).not.toContain('<script>alert(1)</script>');

    // The comment is shown back escaped; the draft is gone.
    const { html } = await openForm(http, kvarken);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; klart');
    expect(html).not.toContain('<script>alert(1)</script>');
    const detail = (await http.get('/api/rounds/1').expect(200)).body;
    expect(detail.requests.find((r: { organisation: { name: string } }) => r.organisation.name === 'Kvarkenrådet').state).toBe('answered');
  });

  it("one organisation's link cannot read or change another's milestones", async () => {
    const view = (await http.get(`/api/answers/${copenhagen}`).expect(200)).body;
    expect(view.organisation.name).toBe('Greater Copenhagen');
    expect(view.milestones.map((m: { label: string }) => m.label)).toEqual(['MP2022', 'M2021-2024']);
    const before = await snapshot(t.db.url);
    const response = await http
      .post(`/api/answers/${copenhagen}`)
      .send({ answers: [{ number: 3, state: 'completed' }] })
      .expect(400);
    expect(response.body.message).toEqual(['milestone 3: number: is not one of the milestones in this request']);
    expect(await snapshot(t.db.url)).toEqual(before);
  });

  it('applies a form instance submitted twice once, and the second POST shows the first result', async () => {
    const { cookie, csrf } = await openForm(http, kvarken);
    const updates = () => sql<{ n: number }>(t.db.url, `SELECT count(*)::int AS n FROM "MilestoneUpdate"`).then((rows) => rows[0]!.n);
    const before = await updates();
    const form = {
      csrf,
      action: 'submit',
      state_1: 'completed',
      state_2: 'completed',
      state_3: 'delayed',
      comment_3: 'Ny tidplan i vår',
      state_4: 'at_risk',
      comment_4: 'Personalbrist',
      state_5: 'in_progress',
    };
    // A double click: both POSTs at once, then a third resent later.
    const responses = await Promise.all([1, 2].map(() => http.post(`/r/${kvarken}`).set('Cookie', cookie).type('form').send(form)));
    const resent = await http.post(`/r/${kvarken}`).set('Cookie', cookie).type('form').send(form);
    for (const response of [...responses, resent]) {
      expect(response.status).toBe(303);
      expect(response.headers.location).toBe(`/r/${kvarken}?saved=submitted`);
    }
    // One submission of five answers, not two or three.
    expect((await updates()) - before).toBe(5);
  });

  it('refuses text with a NUL or an unpaired surrogate with a 400 naming the field, on the form and the API', async () => {
    const before = await snapshot(t.db.url);
    const { cookie, csrf } = await openForm(http, kvarken);
    const form = await http.post(`/r/${kvarken}`).set('Cookie', cookie).type('form').send({
      csrf,
      action: 'submit',
      state_1: 'completed',
      comment_1: 'klart\u0000',
      state_2: 'completed',
      state_3: 'delayed',
      state_4: 'at_risk',
      state_5: 'in_progress',
    });
    expect(form.status).toBe(400);
    expect(form.text).toContain('Milstolpe 1');
    for (const comment of ['a\u0000b', 'broken \ud800 text']) {
      const response = await http
        .post(`/api/answers/${kvarken}`)
        .set('Content-Type', 'application/json')
        .send(`{"answers":[{"number":1,"state":"completed","comment":${JSON.stringify(comment)}}]}`)
        .expect(400);
      expect(response.body.message.join(' ')).toMatch(/answers\.0\.comment: must not contain (NUL characters|broken characters)/);
    }
    expect(await snapshot(t.db.url)).toEqual(before);
  });

  it('accepts a late answer within the grace window, flagged late; after closing the link says so and changes nothing', async () => {
    t.clock.set('2024-12-05T10:00:00Z');
    const result = (
      await http
        .post(`/api/answers/${copenhagen}`)
        .send({ answers: [{ number: 1, state: 'completed', comment: 'Sent' }] })
        .expect(200)
    ).body;
    expect(result).toEqual({ recorded: 1, late: true, complete: false, withoutReason: [] });
    expect(await sql(t.db.url, `SELECT late FROM "MilestoneUpdate" WHERE channel = 'api'`)).toEqual([{ late: true }]);

    await http.post('/api/rounds/1/close').expect(200);
    const before = await snapshot(t.db.url);
    const page = await http.get(`/r/${copenhagen}`).expect(200);
    expect(page.text).toContain('Denne rapporteringsrunde er lukket');
    await http
      .post(`/api/answers/${copenhagen}`)
      .send({ answers: [{ number: 2, state: 'completed' }] })
      .expect(410);
    expect(await snapshot(t.db.url)).toEqual(before);
  });

  it('opens a valid link without a round trip to Redis (failures are what it counts)', async () => {
    const commands = await redisCommandsDuring(t.app, async () => {
      await http.get(`/r/${kvarken}`).expect(200);
      await http.get(`/api/answers/${kvarken}`).expect(200);
    });
    expect(commands).toEqual([]);
  });

  it('gives unknown tokens a neutral answer, and 429 after many wrong tokens from one address', async () => {
    const unknown = await http.get(`/r/${'x'.repeat(43)}`).expect(404);
    const malformed = await http.get('/r/abc').expect(404);
    expect(unknown.text).toEqual(malformed.text);
    const statuses: number[] = [];
    for (let i = 0; i < 100; i++) statuses.push((await http.get(`/r/${String(i).padStart(43, 'A')}`)).status);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(75);
    expect(statuses.slice(-1)).toEqual([429]);
    // …and while blocked, even a valid link from that address waits.
    await http.get(`/r/${kvarken}`).expect(429);
  });
});
