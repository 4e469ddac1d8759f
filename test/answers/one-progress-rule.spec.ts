import { PlanImportService } from '../../src/plan/plan-import.service.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { sql } from '../support/sql.js';
import { TestSmtpServer, type ReceivedMail } from '../support/smtp.js';

const SMALL = new URL('../fixtures/small-plan.yaml', import.meta.url).pathname;
const linkIn = (mail: ReceivedMail) => /https:\/\/handlingsplan\.test\/r\/([A-Za-z0-9_-]{43})/.exec(mail.text ?? '')![1]!;

let sequence = 0;
const rfc822 = (from: string, to: string, body: string) =>
  [
    `From: ${from}`,
    `To: ${to}`,
    'Subject: SV: Lägesrapport 2024',
    `Message-ID: <progress-rule-${++sequence}@committee.example.org>`,
    'Date: Mon, 04 Nov 2024 10:00:00 +0100',
    // As the mail provider in front of the webhook stamps it (INBOUND_TRUSTED_RELAYS below).
    'Authentication-Results: mx.relay.test; spf=pass smtp.mailfrom=example.org; dmarc=pass header.from=example.org',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    body,
  ].join('\r\n');

/**
 * Issue 15, sections 2 and 5: the same answer stores the same progress whichever way it comes,
 * and an unexplained delay is asked about (the form refuses it, an email is recorded and asked).
 */
describe('one progress rule for every channel, and a reason for every delay', () => {
  let smtp: TestSmtpServer;
  let t: TestApp;
  let link: string;
  let replyTo: string;
  /** Kvarkenrådet's milestones by their number in the digest. */
  let ids: Map<number, number>;

  beforeAll(async () => {
    smtp = await new TestSmtpServer().start();
    t = await startTestApp({ env: { SMTP_URL: smtp.url, INBOUND_TRUSTED_RELAYS: 'mx.relay.test' }, now: '2024-11-01T08:00:00Z' });
    await t.app.get(PlanImportService).importFile(SMALL);
    await t.api.post('/api/rounds').send({ year: 2024, deadline: '2024-12-01' }).expect(201);
    const digest = (await smtp.waitFor(3)).find((m) => m.envelopeTo.includes('kvarken@example.org'))!;
    link = linkIn(digest);
    replyTo = digest.replyTo!.value[0]!.address!;
    smtp.clear();
    const rows = await sql<{ number: number; milestoneId: number }>(
      t.db.url,
      `SELECT rm.number, rm."milestoneId" FROM "RequestMilestone" rm JOIN "ReportRequest" r ON r.id = rm."requestId"
       JOIN "Organisation" o ON o.id = r."organisationId" WHERE o.name = 'Kvarkenrådet' ORDER BY rm.number`,
    );
    ids = new Map(rows.map((row) => [row.number, row.milestoneId]));
  });
  afterAll(async () => {
    await t.close();
    await smtp.stop();
  });

  let minute = 0;
  /**
   * Milestone 1 and 3 not started, milestone 2 under way at 60 % as last reported; a minute later,
   * so each answer's confirmation is a new message.
   */
  const reset = async () => {
    t.clock.set(new Date(Date.parse('2024-11-01T08:00:00Z') + ++minute * 60_000).toISOString());
    for (const [number, state, progress] of [
      [1, 'not_started', 0],
      [2, 'in_progress', 60],
      [3, 'not_started', 0],
    ] as const) {
      await sql(t.db.url, `UPDATE "Milestone" SET state = $2::"MilestoneState", progress = $3 WHERE id = $1`, [
        ids.get(number),
        state,
        progress,
      ]);
    }
  };
  const stored = async () => {
    const rows = await sql<{ id: number; state: string; progress: number }>(
      t.db.url,
      `SELECT id, state::text, progress FROM "Milestone" WHERE id = ANY($1::int[]) ORDER BY id`,
      [[1, 2, 3].map((n) => ids.get(n))],
    );
    return [1, 2, 3].map((n) => rows.find((row) => row.id === ids.get(n))).map((row) => `${row!.state} ${row!.progress}`);
  };
  const SAME = ['completed 100', 'delayed 60', 'in_progress 40'];
  /** The confirmation says the stored numbers, in Swedish. */
  const confirmed = async () => {
    const [mail] = await smtp.waitFor(1);
    smtp.clear();
    return mail!.text ?? '';
  };
  const expectConfirmationOfSame = (text: string) => {
    expect(text).toContain('100 % klart');
    expect(text).toContain('60 % klart');
    expect(text).toContain('40 % klart');
    expect(text).not.toContain(' 0 % klart');
  };

  /** GET the form the way a browser does, keeping the CSRF cookie and hidden field. */
  const openForm = async () => {
    const response = await t.api.get(`/r/${link}`).expect(200);
    const cookie = (response.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('hp_answer_csrf='))!.split(';')[0]!;
    return { cookie, csrf: /name="csrf" value="([^"]+)"/.exec(response.text)![1]! };
  };
  const postForm = async (fields: Record<string, string>, status: number) => {
    const { cookie, csrf } = await openForm();
    return t.api
      .post(`/r/${link}`)
      .set('Cookie', cookie)
      .type('form')
      .send({ csrf, action: 'submit', state_4: 'not_started', state_5: 'not_started', ...fields })
      .expect(status);
  };

  it('the link form refuses a delay without a reason, in Swedish, and records nothing', async () => {
    await reset();
    const before = await sql(t.db.url, `SELECT count(*)::int AS n FROM "MilestoneUpdate"`);
    const page = await postForm({ state_1: 'completed', state_2: 'delayed', comment_2: '  ', state_3: 'in_progress' }, 400);
    expect(page.text).toContain('Skriv orsaken i kommentaren');
    expect(await stored()).toEqual(['not_started 0', 'in_progress 60', 'not_started 0']);
    expect(await sql(t.db.url, `SELECT count(*)::int AS n FROM "MilestoneUpdate"`)).toEqual(before);
  });

  it('the link form: completed with the pre-filled 0 % is 100 %, a delay keeps 60 %, 40 % is 40 %', async () => {
    await reset();
    await postForm(
      {
        state_1: 'completed',
        progress_1: '0',
        state_2: 'delayed',
        progress_2: '',
        comment_2: 'Ny tidplan i höst',
        state_3: 'in_progress',
        progress_3: '40',
      },
      303,
    );
    expect(await stored()).toEqual(SAME);
    expectConfirmationOfSame(await confirmed());
  });

  it('the JSON API stores the same progress', async () => {
    await reset();
    const response = await t.api
      .post(`/api/answers/${link}`)
      .send({
        answers: [
          { number: 1, state: 'completed', progress: 0 },
          { number: 2, state: 'delayed', comment: 'Ny tidplan i höst' },
          { number: 3, state: 'in_progress', progress: 40 },
        ],
      })
      .expect(200);
    expect(response.body.withoutReason).toEqual([]);
    expect(await stored()).toEqual(SAME);
    expectConfirmationOfSame(await confirmed());
  });

  it('an email reply stores the same progress, "ca 40 % klart" included', async () => {
    await reset();
    const body = ['1: klar', '2: försenad - ny tidplan i höst', '3: pågår - ca 40 % klart'].join('\n');
    await t.api
      .post('/api/inbound/email')
      .set('Content-Type', 'message/rfc822')
      .send(Buffer.from(rfc822('kvarken@example.org', replyTo, body)))
      .expect(202);
    expect(await stored()).toEqual(SAME);
    expectConfirmationOfSame(await confirmed());
    // The API and the dashboard show the stored number.
    expect((await t.api.get(`/api/milestones/${ids.get(3)}`).expect(200)).body).toMatchObject({ state: 'in_progress', progress: 40 });
    expect((await t.api.get(`/milestones/${ids.get(3)}`).expect(200)).text).toMatch(/\(40\s?%\)/);
  });

  it('an email line without a reason is recorded, the confirmation asks for it and the round page lists it', async () => {
    await reset();
    await t.api
      .post('/api/inbound/email')
      .set('Content-Type', 'message/rfc822')
      .send(Buffer.from(rfc822('kvarken@example.org', replyTo, '2: försenad')))
      .expect(202);
    expect((await stored())[1]).toBe('delayed 60');
    expect(await confirmed()).toContain('Ange gärna orsaken');

    const round = (await t.api.get('/rounds/1').expect(200)).text;
    const listed = /<table data-list="without-reason">([\s\S]*?)<\/table>/.exec(round)![1]!;
    expect(listed).toContain(`/milestones/${ids.get(2)}`);
    expect(listed).toContain('Kvarkenrådet');

    // The API records it too, and says which answers still lack their reason.
    const response = await t.api
      .post(`/api/answers/${link}`)
      .send({ answers: [{ number: 2, state: 'at_risk' }] })
      .expect(200);
    expect(response.body.withoutReason).toEqual([2]);
    smtp.clear();

    // Once the reason is given, the milestone leaves the list.
    await t.api
      .post(`/api/answers/${link}`)
      .send({ answers: [{ number: 2, state: 'at_risk', comment: 'Budgeten är osäker' }] })
      .expect(200);
    const after = (await t.api.get('/rounds/1').expect(200)).text;
    expect(after).not.toContain('data-list="without-reason"');
    expect(after).toContain('Every delayed, at-risk or cancelled answer gives its reason.');
  });
});
