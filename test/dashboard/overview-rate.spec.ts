import { PlanImportService } from '../../src/plan/plan-import.service.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { TestSmtpServer, type ReceivedMail } from '../support/smtp.js';

const SMALL = new URL('../fixtures/small-plan.yaml', import.meta.url).pathname;
const linkIn = (mail: ReceivedMail) => /https:\/\/handlingsplan\.test\/r\/([A-Za-z0-9_-]{43})/.exec(mail.text ?? '')![1]!;

/** The overview's reporting rate, counted by the database, agrees with the round's own list of requests. */
describe('the overview’s reporting rate', () => {
  let smtp: TestSmtpServer;
  let t: TestApp;

  beforeAll(async () => {
    smtp = await new TestSmtpServer().start();
    t = await startTestApp({ env: { SMTP_URL: smtp.url }, now: '2024-11-01T08:00:00Z' });
    await t.app.get(PlanImportService).importFile(SMALL);
  });
  afterAll(async () => {
    await t.close();
    await smtp.stop();
  });

  const rate = async () => {
    const page = await t.api.get('/').expect(200);
    return /id="reporting-rate">[\s\S]*?<p>([^<]*)<\/p>/.exec(page.text)![1]!.replace(/\s+/g, ' ').trim();
  };
  const answerAll = async (token: string) => {
    const view = (await t.api.get(`/api/answers/${token}`).expect(200)).body;
    const answers = view.milestones.filter((m: { optional: boolean }) => !m.optional).map((m: { number: number }) => ({ number: m.number, state: 'completed' }));
    await t.api.post(`/api/answers/${token}`).send({ answers, final: true }).expect(200);
  };

  it('counts on-time, late and missing answers as the round detail does', async () => {
    await t.api.post('/api/rounds').send({ year: 2024, deadline: '2024-12-01' }).expect(201);
    const mails = await smtp.waitFor(3); // two digests and the no-contact notice
    const kvarken = linkIn(mails.find((m) => m.envelopeTo.includes('kvarken@example.org'))!);
    const copenhagen = linkIn(mails.find((m) => m.envelopeTo.includes('gc@example.org'))!);
    expect(await rate()).toBe('0 of 3 answered (0 on time, 0 late), 3 missing.');

    await answerAll(kvarken);
    t.clock.set('2024-12-05T10:00:00Z'); // after the deadline, within the grace window
    await answerAll(copenhagen);
    expect(await rate()).toBe('2 of 3 answered (1 on time, 1 late), 1 missing.');

    const detail = (await t.api.get('/api/rounds/1').expect(200)).body;
    const answered = detail.requests.filter((r: { state: string }) => r.state === 'answered');
    expect([answered.length, answered.filter((r: { late: boolean }) => r.late).length, detail.requests.length]).toEqual([2, 1, 3]);
  });
});
