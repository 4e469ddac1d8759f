import type { Server } from 'node:http';
import { parse, type DefaultTreeAdapterMap } from 'parse5';
import request from 'supertest';
import { UsersService } from '../../src/auth/users.service.js';
import { SignedLinks } from '../../src/common/signed-links.js';
import { PlanImportService } from '../../src/plan/plan-import.service.js';
import { bearer, startTestApp, type Api, type TestApp } from '../support/app.js';
import { settled } from '../support/settled.js';
import { TestSmtpServer } from '../support/smtp.js';
import { sql, sqlOne } from '../support/sql.js';

/**
 * Figures of record on the small plan, over two rounds (2022 and 2023): a year's figures and
 * report stay what they were whatever later rounds record; corrections on behalf carry who, when
 * and why; approval freezes a year and sends a later answer for it to review; reopening needs a
 * reason and shows in the report.
 */
const SMALL = new URL('../fixtures/small-plan.yaml', import.meta.url).pathname;
const TRICKY = new URL('../fixtures/tricky-plan.yaml', import.meta.url).pathname;

const PASSWORD = 'a long enough password for tests';
/** Several annual reports are made, each printed as a PDF by Chromium: minutes on a busy machine. */
const REPORTS_TIMEOUT = 300_000;

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** What a set of figures says, without the formulas' wording: the counts and derived numbers. */
const numbers = (figures: Json) => ({
  counts: { ...figures.counts, formula: undefined },
  completion: figures.completion.value,
  overdue: figures.overdue.count,
  averageProgress: figures.averageProgress.value,
});

function textOf(html: string): string {
  const parts: string[] = [];
  const walk = (node: DefaultTreeAdapterMap['node']) => {
    if (node.nodeName === '#text') parts.push((node as DefaultTreeAdapterMap['textNode']).value);
    if (node.nodeName === 'style' || node.nodeName === 'title') return;
    if ('childNodes' in node) for (const child of node.childNodes) walk(child);
  };
  walk(parse(html));
  return parts.join(' ').replace(/\s+/g, ' ').trim();
}

describe('figures of record', () => {
  let smtp: TestSmtpServer;
  let t: TestApp;
  let api: Api;
  let secretariat: Api;
  let viewer: Api;
  let planId: number;
  const rounds: Record<number, number> = {};
  const tokens: Record<number, Record<string, string>> = {};

  const answer = (year: number, organisation: string, answers: Json[], final = false) =>
    api.post(`/api/answers/${tokens[year]![organisation]}`).send({ answers, final });

  async function openRound(year: number) {
    t.clock.set(`${year}-11-01T08:00:00Z`);
    rounds[year] = (
      await api
        .post('/api/rounds')
        .send({ plan: planId, year, deadline: `${year}-12-01` })
        .expect(201)
    ).body.id;
    const requests = await sql<{ nonce: string; name: string }>(
      t.db.url,
      `SELECT r."tokenNonce" AS nonce, o.name FROM "ReportRequest" r JOIN "Organisation" o ON o.id = r."organisationId" WHERE r."roundId" = $1`,
      [rounds[year]],
    );
    tokens[year] = Object.fromEntries(requests.map((r) => [r.name, t.app.get(SignedLinks).token(r.nonce)]));
  }

  async function report(year: number): Promise<{ content: Json; html: string }> {
    const { id } = (await api.post('/api/annual-reports').send({ plan: planId, year, language: 'da' }).expect(202)).body;
    for (let i = 0; ; i++) {
      const record = (await api.get(`/api/annual-reports/${id}`).expect(200)).body as Json;
      if (record.status === 'ready') {
        const content = (await api.get(`/api/annual-reports/${id}/content`).expect(200)).body as Json;
        const html = (await api.get(`/api/annual-reports/${id}/html`).expect(200)).text;
        return { content, html: textOf(html) };
      }
      if (record.status === 'failed' || i > 600) throw new Error(`report ${id}: ${record.status} ${record.error}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  beforeAll(async () => {
    smtp = await new TestSmtpServer().start();
    t = await startTestApp({ env: { SMTP_URL: smtp.url }, now: '2022-10-01T08:00:00Z' });
    api = t.api;
    await t.app.get(PlanImportService).importFile(SMALL);
    planId = (await sqlOne<{ id: number }>(t.db.url, `SELECT id FROM "Plan" WHERE slug = 'small-plan'`)).id;
    const users = t.app.get(UsersService);
    await users.createUser({ email: 'sek@norden.test', password: PASSWORD, role: 'secretariat', name: 'Sara Sekretær', language: 'da' });
    secretariat = bearer(t.app, await users.createApiToken('Sara Sekretær', 'secretariat'));
    viewer = bearer(t.app, await users.createApiToken('Viggo Viewer', 'viewer'));
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.stop();
  });

  let figures2022: Json;
  let report2022: Json;
  let milestoneIds: number[];

  it(
    'keeps the 2022 figures and report when the 2023 round records later answers',
    async () => {
      await openRound(2022);
      t.clock.set('2022-11-15T10:00:00Z');
      await answer(2022, 'Kvarkenrådet', [
        { number: 1, state: 'completed' },
        { number: 2, state: 'in_progress', progress: 40, comment: 'Halvvägs.' },
      ]).expect(200);
      // Late, within the grace window, in January: still 2022's answer.
      t.clock.set('2022-12-10T10:00:00Z');
      await answer(2022, 'Greater Copenhagen', [{ number: 1, state: 'delayed', comment: 'Forsinket.' }]).expect(200);
      t.clock.set('2022-12-16T08:00:00Z');
      await api.post(`/api/rounds/${rounds[2022]}/close`).expect(200);

      t.clock.set('2023-01-10T08:00:00Z');
      figures2022 = (await api.get(`/api/attainment?plan=${planId}&year=2022`).expect(200)).body;
      expect(figures2022.figuresOf).toMatchObject({ kind: 'year-of-record', year: 2022, approval: null });
      expect(figures2022.figures.counts).toMatchObject({ completed: 1, in_progress: 1, delayed: 1 });
      report2022 = (await report(2022)).content;
      const states = Object.fromEntries(report2022.summary.states.map((s: Json) => [s.state, s.count]));
      expect(states).toEqual(
        Object.fromEntries(Object.entries(figures2022.figures.counts).filter(([k]) => k !== 'total' && k !== 'formula')),
      );

      // The 2023 round: everything Kvarkenrådet has is completed now.
      await openRound(2023);
      t.clock.set('2023-11-10T10:00:00Z');
      const view = (await api.get(`/api/answers/${tokens[2023]!['Kvarkenrådet']}`).expect(200)).body as Json;
      await answer(
        2023,
        'Kvarkenrådet',
        view.milestones.map((m: Json) => ({ number: m.number, state: 'completed' })),
      ).expect(200);
      // The 2023 round stays open (its grace window ends on 15 December) for what follows.
      t.clock.set('2023-12-02T08:00:00Z');
      const now = (await api.get(`/api/attainment?plan=${planId}`).expect(200)).body;
      expect(now.figures.counts.completed).toBeGreaterThan(figures2022.figures.counts.completed);
      const again = (await api.get(`/api/attainment?plan=${planId}&year=2022`).expect(200)).body;
      expect(numbers(again.figures)).toEqual(numbers(figures2022.figures));
      // Down the tree and per organisation too.
      expect(again.priorities.map((p: Json) => p.goals.map((g: Json) => numbers(g.figures)))).toEqual(
        figures2022.priorities.map((p: Json) => p.goals.map((g: Json) => numbers(g.figures))),
      );
      expect(again.organisations.map((o: Json) => numbers(o.figures))).toEqual(
        figures2022.organisations.map((o: Json) => numbers(o.figures)),
      );
      const goal1 = (await api.get(`/api/goals/1/attainment?plan=${planId}&year=2022`).expect(200)).body;
      expect(numbers(goal1.figures)).toEqual(numbers(figures2022.priorities[0].goals[0].figures));

      // Made today, after the 2023 round, and made twice: the 2022 report has 2022's figures.
      const first = (await report(2022)).content;
      const second = (await report(2022)).content;
      for (const made of [first, second]) {
        expect(made.summary.states).toEqual(report2022.summary.states);
        expect(made.summary.figures).toEqual(report2022.summary.figures);
        expect(made.priorities).toEqual(report2022.priorities);
        expect(made.overdue).toEqual(report2022.overdue);
      }
      const rows = first.priorities.flatMap((p: Json) =>
        p.goals.flatMap((g: Json) => [...g.contributions, ...g.interventions.flatMap((i: Json) => i.contributions)]),
      );
      const kvarken = rows.find((c: Json) => c.key.startsWith('G.1.a/Kvarkenrådet')).milestones;
      expect(kvarken.map((m: Json) => [m.state, m.progress])).toEqual([
        ['completed', 100],
        ['in_progress', 40],
        ['not_started', 0],
        ['not_started', 0],
        ['not_started', 0],
      ]);
      // The 2023 report has 2023's.
      const report2023 = (await report(2023)).content;
      expect(report2023.summary.figures.counts.completed).toBe(now.figures.counts.completed);

      // As of a day, from the history: before the 2022 answers nothing was completed.
      const before = (await api.get(`/api/attainment?plan=${planId}&at=2022-11-01`).expect(200)).body;
      expect(before.figuresOf.kind).toBe('at');
      expect(before.figures.counts.completed).toBe(0);
      const endOf2022 = (await api.get(`/api/attainment?plan=${planId}&at=2022-12-31`).expect(200)).body;
      expect(numbers(endOf2022.figures)).toEqual(numbers(figures2022.figures));
      await api.get(`/api/attainment?plan=${planId}&at=2022-12-31&year=2022`).expect(400, /year and at/);
      await api.get(`/api/attainment?plan=${planId}&year=twenty`).expect(400, /year/);

      milestoneIds = (
        await sql<{ id: number }>(t.db.url, `SELECT id FROM "Milestone" WHERE "planId" = $1 ORDER BY "planOrder", id`, [planId])
      ).map((row) => row.id);
    },
    REPORTS_TIMEOUT,
  );

  it(
    'corrects a milestone on the committee’s behalf, with who, when and why in its history',
    async () => {
      const id = milestoneIds[3]!;
      await secretariat
        .post(`/api/milestones/${id}/corrections`)
        .send({ plan: planId, state: 'completed' })
        .expect(400, /reason/);
      await secretariat
        .post(`/api/milestones/${id}/corrections`)
        .send({ plan: planId, state: 'completed', reason: '   ' })
        .expect(400, /reason: is required/);
      await viewer.post(`/api/milestones/${id}/corrections`).send({ plan: planId, state: 'completed', reason: 'x' }).expect(403);
      await secretariat
        .post(`/api/milestones/${id}/corrections`)
        .send({ plan: planId, state: 'finished', reason: 'x' })
        .expect(400, /state: must be one of/);
      // A milestone of another plan.
      await t.app.get(PlanImportService).importFile(TRICKY);
      const other = await sqlOne<{ id: number }>(t.db.url, `SELECT m.id FROM "Milestone" m WHERE m."planId" <> $1 LIMIT 1`, [planId]);
      await secretariat
        .post(`/api/milestones/${other.id}/corrections`)
        .send({ plan: planId, state: 'completed', reason: 'Bekræftet pr. telefon.' })
        .expect(400, /belongs to another plan/);
      await secretariat.post(`/api/milestones/99999999/corrections`).send({ plan: planId, state: 'completed', reason: 'x' }).expect(404);
      const updates = () => sqlOne<{ n: number }>(t.db.url, `SELECT count(*)::int AS n FROM "MilestoneUpdate"`).then((row) => row.n);
      const afterRefusals = await updates();

      t.clock.set('2023-12-05T09:30:00Z');
      const history = (
        await secretariat
          .post(`/api/milestones/${id}/corrections`)
          .send({ plan: planId, state: 'completed', comment: 'Rapporten er udgivet.', reason: 'Bekræftet pr. telefon 3. december.' })
          .expect(201)
      ).body as Json;
      const last = history.updates.at(-1);
      expect(last).toMatchObject({
        channel: 'secretariat',
        actor: 'Sara Sekretær',
        reason: 'Bekræftet pr. telefon 3. december.',
        toState: 'completed',
        progress: 100,
        comment: 'Rapporten er udgivet.',
        reportingYear: null,
        createdAt: '2023-12-05T09:30:00.000Z',
      });
      expect(history.milestone).toMatchObject({ state: 'completed', progress: 100 });
      expect((await api.get(`/api/milestones/${id}/history`).expect(200)).body.updates.at(-1)).toEqual(last);
      expect(await updates()).toBe(afterRefusals + 1);

      // After 2022's round closed and the 2023 round opened: 2022's figures do not take it in, 2023's do.
      const in2023 = (await api.get(`/api/attainment?plan=${planId}&year=2023`).expect(200)).body;
      const current = (await api.get(`/api/attainment?plan=${planId}`).expect(200)).body;
      expect(numbers(in2023.figures)).toEqual(numbers(current.figures));
      const again = (await api.get(`/api/attainment?plan=${planId}&year=2022`).expect(200)).body;
      expect(numbers(again.figures)).toEqual(numbers(figures2022.figures));

      // The history is append-only, whoever writes.
      await expect(sql(t.db.url, `UPDATE "MilestoneUpdate" SET comment = 'changed' WHERE "milestoneId" = $1`, [id])).rejects.toThrow(
        /append-only/,
      );
    },
    REPORTS_TIMEOUT,
  );

  it(
    'approves a year: refused twice, without a round, or by a viewer; the report names who and when',
    async () => {
      await viewer.post('/api/records/2023/approve').send({ plan: planId }).expect(403);
      await secretariat
        .post('/api/records/2021/approve')
        .send({ plan: planId })
        .expect(409, /2021 has no reporting round/);
      await secretariat
        .post('/api/records/2030/approve')
        .send({ plan: planId })
        .expect(400, /outside the plan period/);
      await secretariat
        .post('/api/records/2023/reopen')
        .send({ plan: planId, reason: 'x' })
        .expect(409, /not approved/);
      t.clock.set('2023-12-06T10:00:00Z');
      const tree = (figures: Json) => ({
        plan: numbers(figures.figures),
        goals: figures.priorities.map((p: Json) => p.goals.map((g: Json) => numbers(g.figures))),
        organisations: figures.organisations.map((o: Json) => numbers(o.figures)),
      });
      const beforeApprovalFigures = (await api.get(`/api/attainment?plan=${planId}&year=2023`).expect(200)).body;
      const beforeApproval = tree(beforeApprovalFigures);
      const approval = (await secretariat.post('/api/records/2023/approve').send({ plan: planId }).expect(201)).body;
      expect(approval).toMatchObject({ year: 2023, action: 'approved', by: 'Sara Sekretær' });
      await secretariat
        .post('/api/records/2023/approve')
        .send({ plan: planId })
        .expect(409, /already approved/);
      expect(await sql(t.db.url, `SELECT action::text FROM "YearApproval" ORDER BY id`)).toEqual([{ action: 'approved' }]);

      // The approved figures were counted once, as they stood, and are read from what was kept.
      const approved = () => api.get(`/api/attainment?plan=${planId}&year=2023`).expect(200);
      expect(tree((await approved()).body)).toEqual(beforeApproval);
      const kept = await sqlOne<{ n: number }>(
        t.db.url,
        `SELECT sum(count)::int AS n FROM "RecordTally" WHERE "approvalId" = (SELECT id FROM "YearApproval" WHERE action = 'approved')`,
      );
      expect(kept.n).toBe(beforeApproval.plan.counts.total);
      await sql(t.db.url, `UPDATE "RecordTally" SET count = count * 10, "progressSum" = "progressSum" * 10`);
      expect((await approved()).body.figures.counts.total).toBe(beforeApproval.plan.counts.total * 10);
      await sql(t.db.url, `UPDATE "RecordTally" SET count = count / 10, "progressSum" = "progressSum" / 10`);
      expect(tree((await approved()).body)).toEqual(beforeApproval);

      const record = (await viewer.get(`/api/records/2023?plan=${planId}`).expect(200)).body;
      expect(record).toMatchObject({ year: 2023, approved: true, figuresOf: { approval: { by: 'Sara Sekretær' } } });
      const { content, html } = await report(2023);
      expect(content.preliminary).toBe(false);
      expect(content.approval).toMatchObject({ by: 'Sara Sekretær', at: '2023-12-06T10:00:00.000Z' });
      expect(html).toMatch(/Godkendt .*2023.* af Sara Sekretær/);
      expect(html).not.toContain('Foreløbig');
      // The approved figures take the correction made before the approval (the year's lock is its cut).
      expect(content.summary.figures.counts.completed).toBe(record.figures.counts.completed);
      // The dashboard switches the year, and says whose figures it shows (the user is Danish).
      const http = request(t.app.getHttpServer() as Server);
      const signIn = await http.post('/login').type('form').send({ email: 'sek@norden.test', password: PASSWORD }).expect(303);
      const cookie = (signIn.headers['set-cookie'] as unknown as string[])[0]!.split(';')[0]!;
      const overview = textOf((await http.get('/?year=2023').set('Cookie', cookie).expect(200)).text);
      expect(overview).toContain('Officielle tal for 2023');
      expect(overview).toContain('Rapporteringsrunde 2023');
      // A past year's figures come with that year's round, not the latest one.
      const overview2022 = textOf((await http.get('/?year=2022').set('Cookie', cookie).expect(200)).text);
      expect(overview2022).toContain('Rapporteringsrunde 2022');
      expect(overview2022).not.toContain('Rapporteringsrunde 2023');
      // Its overdue figure leads to that year's overdue list, the same milestones as the API's.
      const overdue2022 = (await api.get(`/api/milestones/overdue?plan=${planId}&year=2022&pageSize=500`).expect(200)).body;
      expect(overdue2022.total).toBeGreaterThan(0);
      const page2022 = (await http.get('/?year=2022').set('Cookie', cookie).expect(200)).text;
      expect(page2022).toContain('href="/overdue?year=2022"');
      const overduePage = (await http.get('/overdue?year=2022').set('Cookie', cookie).expect(200)).text;
      expect(textOf(overduePage)).toContain('Officielle tal for 2022');
      const listed = [...overduePage.matchAll(/href="\/milestones\/(\d+)"/g)].map((m) => Number(m[1]));
      expect(listed).toEqual(overdue2022.items.map((item: { id: number }) => item.id));
      expect(textOf((await http.get('/overdue?year=1999').set('Cookie', cookie).expect(400)).text)).toContain('1999');
      expect((await http.get('/export/overdue.csv?year=1999').set('Cookie', cookie).expect(400)).text).toContain('1999');
      const csv2022 = (await http.get('/export/overdue.csv?year=2022').set('Cookie', cookie).expect(200)).text;
      expect(csv2022.trimEnd().split('\r\n')).toHaveLength(overdue2022.total + 1);
      expect(overview).toMatch(/Godkendt .* af Sara Sekretær\./);
      const front = (await http.get('/').set('Cookie', cookie).expect(200)).text;
      expect(textOf(front)).toContain('Tal pr.');
      // The trend: each year of the plan so far by its figures of record, approved ones marked.
      const table = textOf(/<table id="trend-table">[\s\S]*?<\/table>/.exec(front)![0]);
      expect(table).toContain('2021 (ikke godkendt) 2022 (ikke godkendt) 2023 Mål 1');
      const percent = (value: number) => new Intl.NumberFormat('da', { style: 'percent', maximumFractionDigits: 1 }).format(value);
      const goal1 = (figures: Json) => percent(figures.priorities[0].goals[0].figures.completion.value);
      const row = new RegExp(`Mål 1 (\\S+ %) (\\S+ %) (\\S+ %)`).exec(table.replace(/\u00a0/g, ' '))!;
      expect([row[2], row[3]].map((cell) => cell?.replace(' ', '\u00a0'))).toEqual([goal1(figures2022), goal1(beforeApprovalFigures)]);
      const chart = /<figure class="chart" id="trend"[\s\S]*?<\/figure>/.exec(front)![0];
      expect(chart).toContain('<title>Gennemførelse pr. mål, år for år</title>');
      expect(chart).toMatch(/>Mål 1 [^<]*%</);
      expect(textOf((await http.get('/?year=1999').set('Cookie', cookie).expect(400)).text)).toContain(
        'Året 1999 ligger ikke i planperioden',
      );
      const unapproved = (await report(2022)).html;
      expect(unapproved).toContain('Tallene for 2022 er endnu ikke godkendt af sekretariatet.');
    },
    REPORTS_TIMEOUT,
  );

  it(
    'refuses a later answer for an approved year, says so in the committee’s language and keeps it for review',
    async () => {
      // Late, inside the 2023 round's grace window, but after the year's approval.
      t.clock.set('2023-12-07T11:00:00Z');
      await settled(t, { smtp });
      smtp.clear();
      const milestonesBefore = await sql(t.db.url, `SELECT id, state::text, progress FROM "Milestone" ORDER BY id`);
      const updatesBefore = await sql(t.db.url, `SELECT count(*)::int AS n FROM "MilestoneUpdate"`);

      const refused = await answer(2023, 'Greater Copenhagen', [{ number: 1, state: 'completed', comment: 'Nu er det klaret.' }]).expect(
        409,
      );
      expect(refused.body.message).toContain('2023 were approved');
      expect(await sql(t.db.url, `SELECT id, state::text, progress FROM "Milestone" ORDER BY id`)).toEqual(milestonesBefore);
      expect(await sql(t.db.url, `SELECT count(*)::int AS n FROM "MilestoneUpdate"`)).toEqual(updatesBefore);
      const queued = await sql<Json>(t.db.url, `SELECT status::text, body, reason, "requestId" FROM "InboundMessage" ORDER BY id`);
      expect(queued).toEqual([expect.objectContaining({ status: 'in_review', body: expect.stringContaining('Nu er det klaret.') })]);
      expect(queued[0]!.reason).toContain('approved');
      const [mail] = await smtp.waitFor(1);
      expect(mail!.text).toContain('Sekretariatet har godkendt tallene for 2023, så dit svar kunne ikke registreres for 2023.');

      // The link form says so in the committee's language (Kvarkenrådet: Swedish).
      const token = tokens[2023]!['Kvarkenrådet']!;
      const form = await api.get(`/r/${token}`).expect(200);
      const csrf = /name="csrf" value="([^"]+)"/.exec(form.text)![1]!;
      const cookie = form.headers['set-cookie'] as unknown as string[];
      const fields = Object.fromEntries([...form.text.matchAll(/name="(state_\d+)"/g)].map((m) => [m[1]!, 'completed']));
      const page = await api
        .post(`/r/${token}`)
        .set('Cookie', cookie)
        .type('form')
        .send({ csrf, action: 'submit', ...fields })
        .expect(409);
      expect(page.text).toContain('Siffrorna för 2023 är redan godkända');
      expect(await sql(t.db.url, `SELECT count(*)::int AS n FROM "InboundMessage" WHERE status = 'in_review'`)).toEqual([{ n: 2 }]);
    },
    REPORTS_TIMEOUT,
  );

  it(
    'reopens a year only with a written reason, kept in the history and shown in the report',
    async () => {
      await secretariat
        .post('/api/records/2023/reopen')
        .send({ plan: planId })
        .expect(400, /reason/);
      await secretariat
        .post('/api/records/2023/reopen')
        .send({ plan: planId, reason: '  ' })
        .expect(400, /reason: is required/);
      await viewer.post('/api/records/2023/reopen').send({ plan: planId, reason: 'Fejl i tal' }).expect(403);
      t.clock.set('2023-12-08T09:00:00Z');
      await secretariat
        .post('/api/records/2023/reopen')
        .send({ plan: planId, reason: 'Greater Copenhagen har meldt et nyt svar.' })
        .expect(201);
      const record = (await viewer.get(`/api/records/2023?plan=${planId}`).expect(200)).body;
      expect(record.approved).toBe(false);
      expect(record.history.map((e: Json) => [e.action, e.by, e.reason])).toEqual([
        ['approved', 'Sara Sekretær', null],
        ['reopened', 'Sara Sekretær', 'Greater Copenhagen har meldt et nyt svar.'],
      ]);
      const { content, html } = await report(2023);
      expect(content.approval).toBeNull();
      expect(html).toMatch(/Genåbnet .*2023.* af Sara Sekretær: Greater Copenhagen har meldt et nyt svar\./);
      // Open again: the answer is recorded, and the year's figures are counted from the history again.
      const completed = async () =>
        (await api.get(`/api/attainment?plan=${planId}&year=2023`).expect(200)).body.figures.counts.completed as number;
      const before = await completed();
      await answer(2023, 'Greater Copenhagen', [{ number: 1, state: 'completed' }]).expect(200);
      expect(await completed()).toBe(before + 1);
    },
    REPORTS_TIMEOUT,
  );
});
