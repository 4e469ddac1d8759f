import { PlanImportService } from '../../src/plan/plan-import.service.js';
import { RoundScheduler } from '../../src/scheduler/round-scheduler.js';
import { digestReferences, labelKey } from '../../src/common/digest-references.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { outboxSettled } from '../support/outbox.js';
import { settled } from '../support/settled.js';
import { sql } from '../support/sql.js';
import { TestSmtpServer } from '../support/smtp.js';

const SEED = new URL('../../seeds/nordic-regional-2021-24.yaml', import.meta.url).pathname;

type InScope = { name: string; language: string; labels: (string | null)[]; contacts: string[] };

/** Expected independently of the service: who owns open milestones due by 2023 (or undated), with what and whom to write to. */
const inScope = (url: string) =>
  sql<InScope>(
    url,
    `SELECT o.name, o.language::text AS language,
            array_agg(m.label ORDER BY m.id) AS labels,
            (SELECT array_agg(email ORDER BY id) FROM "Contact" WHERE "organisationId" = o.id) AS contacts
     FROM "Milestone" m JOIN "Contribution" c ON c.id = m."contributionId" JOIN "Organisation" o ON o.id = c."organisationId"
     WHERE m.state NOT IN ('completed', 'cancelled') AND (m."dueTo" IS NULL OR m."dueTo" <= 2023)
     GROUP BY o.id ORDER BY o.name`,
  );

describe('a reporting round on the real plan, with a controlled clock and a real SMTP server', () => {
  let smtp: TestSmtpServer;
  let t: TestApp;
  let http: TestApp['api'];
  const tick = () => t.app.get(RoundScheduler).tick();

  beforeAll(async () => {
    smtp = await new TestSmtpServer().start();
    t = await startTestApp({
      env: { SMTP_URL: smtp.url, SECRETARIAT_EMAIL: 'sekretariat@norden.test', SECRETARIAT_LANGUAGE: 'da' },
      now: '2023-11-01T08:00:00Z',
    });
    await t.app.get(PlanImportService).importFile(SEED);
    http = t.api;
  });
  afterAll(async () => {
    await t.close();
    await smtp.stop();
  });
  // Every test starts from the imported plan with no round, no mail and the clock at 1 November.
  beforeEach(async () => {
    await settled(t, { smtp });
    await sql(t.db.url, `DELETE FROM "ReportingRound"`); // with its steps, requests and their milestones
    await sql(t.db.url, `DELETE FROM "OutboxMessage"`);
    smtp.clear();
    t.clock.set('2023-11-01T08:00:00Z');
  });

  /** Arranges an open round for 2023 whose digests have all been delivered. */
  const openRound = async (): Promise<number> => {
    const response = await http.post('/api/rounds').send({ year: 2023, opensAt: '2023-11-01', deadline: '2023-12-01' }).expect(201);
    expect(response.body.state).toBe('open');
    await settled(t, { smtp });
    smtp.clear();
    return response.body.id;
  };

  it('refuses bad rounds with the reason, and opens nothing', async () => {
    const cases: [object, number, string][] = [
      [
        { year: 2023, opensAt: '2023-12-05', deadline: '2023-12-01' },
        400,
        'deadline: the deadline (2023-12-01) must be after the opening (2023-12-05)',
      ],
      [{ year: 2023, deadline: '2023-02-30' }, 400, 'deadline: 2023-02-30 is not a valid date'],
      [{ year: 2027, deadline: '2027-12-01' }, 400, 'year: 2027 is outside the plan period 2021-2024'],
      [{ year: 2023, deadline: 'soon' }, 400, 'deadline: must be a date'],
      [{ deadline: '2023-12-01' }, 400, 'year'],
      [{ year: 2023, deadline: '2023-12-01', colour: 'red' }, 400, 'colour'],
    ];
    for (const [body, status, reason] of cases) {
      const response = await http.post('/api/rounds').send(body).expect(status);
      expect(JSON.stringify(response.body.message)).toContain(reason);
    }
    expect(await sql(t.db.url, `SELECT count(*)::int AS n FROM "ReportingRound"`)).toEqual([{ n: 0 }]);
  });

  it('opening sends exactly one digest per organisation with open milestones due, in its language, with its milestones', async () => {
    const response = await http.post('/api/rounds').send({ year: 2023, opensAt: '2023-11-01', deadline: '2023-12-01' }).expect(201);
    expect(response.body).toMatchObject({ year: 2023, state: 'open' });

    const expected = await inScope(t.db.url);
    expect(expected.length).toBeGreaterThan(8);
    expect(response.body.totals.expected).toBe(expected.length);

    const mails = await smtp.waitFor(expected.length);
    await outboxSettled(t.db.url);
    expect(mails).toHaveLength(expected.length);
    for (const organisation of expected) {
      const mail = mails.find((m) => m.text?.includes(organisation.name));
      expect(mail).toBeDefined();
      expect(mail!.envelopeTo.sort()).toEqual([...organisation.contacts].sort());
      expect(mail!.replyTo?.value[0]?.address).toMatch(/^reports\+[a-z0-9]+@reports\.example\.org$/);
      expect(mail!.text).toMatch(/https:\/\/handlingsplan\.test\/r\/[A-Za-z0-9_-]{43}/);
      expect(mail!.headers.get('auto-submitted')).toBe('auto-generated');
      // In the organisation's language, as the plan gives it.
      expect(mail!.html).toContain(`<html lang="${organisation.language}">`);
      // every milestone in scope is listed, by its number and a reference unique in the digest
      const asked = await sql<{ label: string | null; number: number; optional: boolean }>(
        t.db.url,
        `SELECT m.label, rm.number, rm.optional FROM "RequestMilestone" rm JOIN "Milestone" m ON m.id = rm."milestoneId"
         JOIN "ReportRequest" r ON r.id = rm."requestId" JOIN "Organisation" o ON o.id = r."organisationId"
         WHERE o.name = $1 ORDER BY rm.number`,
        [organisation.name],
      );
      const listed = asked.filter((row) => !row.optional);
      expect(listed.map((row) => row.label).sort()).toEqual([...organisation.labels].sort());
      const references = digestReferences(asked);
      for (const row of listed) {
        const reference = references.get(row.number)!;
        expect(mail!.text).toContain(reference === String(row.number) ? `${row.number}. ` : `${row.number}. ${reference} `);
        if (row.label) expect(labelKey(reference)).toContain(labelKey(row.label));
      }
    }
    // In its language: a Swedish committee gets Swedish, a Danish one Danish.
    expect(expected.find((o) => o.name === 'Kvarkenrådet')?.language).toBe('sv');
    expect(expected.find((o) => o.name === 'Greater Copenhagen')?.language).toBe('da');
    const kvarken = mails.find((m) => m.text?.includes('Kvarkenrådet'))!;
    const greater = mails.find((m) => m.text?.includes('Greater Copenhagen'))!;
    expect(kvarken.subject).toMatch(/^Statusrapportering 2023 för Kvarkenrådet – /);
    expect(greater.subject).toMatch(/^Statusrapportering 2023 for Greater Copenhagen – /);
  });

  it('shows every request of the round with its state', async () => {
    const roundId = await openRound();
    const round = (await http.get(`/api/rounds/${roundId}`).expect(200)).body;
    expect(round.requests.every((r: { state: string }) => r.state === 'sent')).toBe(true);
    expect(round.totals).toMatchObject({ answered: 0 });
    const mail = (await http.get(`/api/mail?round=${roundId}`).expect(200)).body;
    expect(mail.items.every((m: { status: string }) => m.status === 'sent')).toBe(true);
    expect(mail.transport).toBe('smtp');
  });

  it('reminds at each offset only those still missing, escalates, closes, then sends nothing more', async () => {
    const roundId = await openRound();
    const expected = await inScope(t.db.url);
    const expectedCount = expected.length;
    const kvarkenMilestones = expected.find((o) => o.name === 'Kvarkenrådet')!.labels.length;
    // Kvarkenrådet answers everything before the first reminder.
    await sql(
      t.db.url,
      `UPDATE "RequestMilestone" SET "answeredAt" = now() WHERE "requestId" = (SELECT r.id FROM "ReportRequest" r JOIN "Organisation" o ON o.id = r."organisationId" WHERE o.name = 'Kvarkenrådet' AND r."roundId" = $1)`,
      [roundId],
    );

    smtp.clear();
    t.clock.set('2023-11-24T07:59:00Z'); // a minute before nine, Copenhagen time, seven days before
    expect((await tick()).steps).toEqual([]);
    t.clock.set('2023-11-24T08:00:00Z');
    expect((await tick()).steps).toEqual([{ round: roundId, step: 'reminder:-7', messages: expectedCount - 1 }]);
    const mails = await smtp.waitFor(expectedCount - 1);
    await outboxSettled(t.db.url);
    expect(mails.some((m) => m.text?.includes('Kvarkenrådet'))).toBe(false);
    expect(await tick()).toMatchObject({ steps: [] }); // the same step never twice

    smtp.clear();
    t.clock.set('2023-11-30T09:00:00Z');
    expect((await tick()).steps.map((s) => s.step)).toEqual(['reminder:-1']);
    await smtp.waitFor(expectedCount - 1);
    await outboxSettled(t.db.url);
    // Before the deadline, the round shows who was reminded, how often and when, and what is answered.
    type Listed = {
      organisation: { name: string };
      state: string;
      remindersSent: number;
      lastMessageAt: string | null;
      milestones: { required: number; answered: number };
    };
    const listed: Listed[] = (await http.get(`/api/rounds/${roundId}`).expect(200)).body.requests;
    const kvarkenRequest = listed.find((r) => r.organisation.name === 'Kvarkenrådet')!;
    expect(kvarkenRequest).toMatchObject({ state: 'answered', remindersSent: 0 });
    expect(kvarkenRequest.milestones).toMatchObject({ required: kvarkenMilestones, answered: kvarkenMilestones });
    const chased = listed.filter((r) => r.state === 'reminded');
    expect(chased).toHaveLength(expectedCount - 1);
    for (const request of chased)
      expect(request).toMatchObject({ remindersSent: 2, lastMessageAt: '2023-11-30T09:00:00.000Z', milestones: { answered: 0 } });

    smtp.clear();
    t.clock.set('2023-12-04T09:00:00Z');
    expect((await tick()).steps.map((s) => s.step)).toEqual(['reminder:3']);
    await smtp.waitFor(expectedCount - 1);
    await outboxSettled(t.db.url);
    const round = (await http.get(`/api/rounds/${roundId}`).expect(200)).body;
    expect(round.requests.filter((r: { state: string }) => r.state === 'overdue')).toHaveLength(expectedCount - 1);
    expect(round.requests.find((r: { organisation: { name: string } }) => r.organisation.name === 'Kvarkenrådet').state).toBe('answered');

    smtp.clear();
    t.clock.set('2023-12-11T09:00:00Z');
    expect((await tick()).steps.map((s) => s.step)).toEqual(['escalation']);
    const [escalation] = await smtp.waitFor(1);
    expect(escalation?.envelopeTo).toEqual(['sekretariat@norden.test']);
    expect(escalation?.text).toContain('Greater Copenhagen');
    expect(escalation?.text).not.toContain('Kvarkenrådet');

    smtp.clear();
    t.clock.set('2023-12-16T00:00:00Z');
    expect((await tick()).steps.map((s) => s.step)).toEqual(['close']);
    expect((await http.get(`/api/rounds/${roundId}`).expect(200)).body.state).toBe('closed');
    t.clock.set('2024-01-30T09:00:00Z');
    expect((await tick()).steps).toEqual([]);
    await http.post(`/api/rounds/${roundId}/remind`).send({}).expect(409);
    await settled(t, { smtp });
    expect(smtp.received).toHaveLength(0);
  });

  it('refuses a second round for the same plan and year', async () => {
    // A closed round for 2023, scheduled and closed before it opened (so no mail).
    const { id: roundId } = (await http.post('/api/rounds').send({ year: 2023, opensAt: '2023-11-05', deadline: '2023-12-01' }).expect(201))
      .body;
    expect((await http.post(`/api/rounds/${roundId}/close`).expect(200)).body.state).toBe('closed');
    const response = await http.post('/api/rounds').send({ year: 2023, deadline: '2024-12-01' }).expect(409);
    expect(response.body.message).toContain(`already has a round for 2023 (round ${roundId}, closed)`);
  });
});
