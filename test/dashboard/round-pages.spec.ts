import { PlanImportService } from '../../src/plan/plan-import.service.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { TestSmtpServer, type ReceivedMail } from '../support/smtp.js';

const SMALL = new URL('../fixtures/small-plan.yaml', import.meta.url).pathname;
const linkIn = (mail: ReceivedMail) => /https:\/\/handlingsplan\.test\/r\/([A-Za-z0-9_-]{43})/.exec(mail.text ?? '')![1]!;

/**
 * The secretariat's view of a round: the overview's reporting rate (counted by the database)
 * agrees with the round's own list of requests, and the round page filters, finds and pages them.
 */
describe('who has reported: the overview and the round page', () => {
  let smtp: TestSmtpServer;
  let t: TestApp;

  /** A fresh service with the small plan, and an SMTP server of its own. */
  const start = async () => {
    smtp = await new TestSmtpServer().start();
    t = await startTestApp({ env: { SMTP_URL: smtp.url }, now: '2024-11-01T08:00:00Z' });
    await t.app.get(PlanImportService).importFile(SMALL);
  };
  const stop = async () => {
    await t.close();
    await smtp.stop();
  };

  const rate = async () => {
    const page = await t.api.get('/').expect(200);
    return /id="reporting-rate">[\s\S]*?<p>([^<]*)<\/p>/.exec(page.text)![1]!.replace(/\s+/g, ' ').trim();
  };
  const answerAll = async (token: string) => {
    const view = (await t.api.get(`/api/answers/${token}`).expect(200)).body;
    const answers = view.milestones
      .filter((m: { optional: boolean }) => !m.optional)
      .map((m: { number: number }) => ({ number: m.number, state: 'completed' }));
    await t.api.post(`/api/answers/${token}`).send({ answers, final: true }).expect(200);
  };
  /** Opens round 1 (2024) and returns the answer links of the two organisations with a contact. */
  const openRound = async () => {
    await t.api.post('/api/rounds').send({ year: 2024, deadline: '2024-12-01' }).expect(201);
    const mails = await smtp.waitFor(3); // two digests and the no-contact notice
    return {
      kvarken: linkIn(mails.find((m) => m.envelopeTo.includes('kvarken@example.org'))!),
      copenhagen: linkIn(mails.find((m) => m.envelopeTo.includes('gc@example.org'))!),
    };
  };
  /** Kvarkenrådet answers on time, Greater Copenhagen after the deadline, within the grace window. */
  const answerOnTimeAndLate = async (links: { kvarken: string; copenhagen: string }) => {
    await answerAll(links.kvarken);
    t.clock.set('2024-12-05T10:00:00Z');
    await answerAll(links.copenhagen);
  };

  describe('as the answers come in', () => {
    beforeAll(start);
    afterAll(stop);

    it('counts on-time, late and missing answers as the round detail does', async () => {
      const links = await openRound();
      expect(await rate()).toBe('0 of 3 answered (0 on time, 0 late), 3 missing.');

      await answerOnTimeAndLate(links);
      expect(await rate()).toBe('2 of 3 answered (1 on time, 1 late), 1 missing.');
      // "See who is missing" opens the round filtered to them (Handlebars writes "=" as &#x3D; in attributes).
      expect((await t.api.get('/').expect(200)).text).toMatch(/href="\/rounds\/1\?show(=|&#x3D;)missing"/);

      const detail = (await t.api.get('/api/rounds/1').expect(200)).body;
      const answered = detail.requests.filter((r: { state: string }) => r.state === 'answered');
      expect([answered.length, answered.filter((r: { late: boolean }) => r.late).length, detail.requests.length]).toEqual([2, 1, 3]);
    });
  });

  // The tests below only read this round, so they share it.
  describe('a round answered on time by Kvarkenrådet and late by Greater Copenhagen, with one organisation without a contact', () => {
    beforeAll(async () => {
      await start();
      await answerOnTimeAndLate(await openRound());
    });
    afterAll(stop);

    it('filters the round page by state, finds organisations by name and pages the list', async () => {
      const names = (html: string) => [...html.matchAll(/<tr><td><a href="\/organisations\/\d+">([^<]+)<\/a>/g)].map((m) => m[1]);
      const counts = (html: string) =>
        Object.fromEntries([...html.matchAll(/data-filter="(\w+)">[^(]*\((\d+)\)/g)].map((m) => [m[1], Number(m[2])]));
      const page = async (query = '') => (await t.api.get(`/rounds/1${query}`).expect(200)).text;
      /** A pager link as the browser reads it (Handlebars escapes "=" and "&" in attributes). */
      const linkTo = (html: string, rel: 'prev' | 'next') =>
        [...html.matchAll(/href="([^"]+)" rel="(prev|next)"/g)]
          .find((m) => m[2] === rel)?.[1]
          ?.replace(/&#x3D;/g, '=')
          .replace(/&amp;/g, '&');

      const all = await page();
      expect(names(all)).toHaveLength(3);
      expect(counts(all)).toEqual({ all: 3, missing: 1, answered: 2, overdue: 0, bounced: 0, no_contact: 1 });
      expect(all).toContain('1–3 of 3');

      expect(names(await page('?show=answered')).sort()).toEqual(['Greater Copenhagen', 'Kvarkenrådet']);
      const missing = await page('?show=missing');
      expect(names(missing)).toHaveLength(1);
      expect(names(missing)).not.toContain('Kvarkenrådet');
      expect(missing).toContain('aria-current="page" data-filter="missing"');

      const found = await page('?q=KVARK');
      expect(names(found)).toEqual(['Kvarkenrådet']);
      expect(counts(found)).toEqual({ all: 1, missing: 0, answered: 1, overdue: 0, bounced: 0, no_contact: 0 });
      expect(names(await page('?q=kvark&show=missing'))).toEqual([]);
      expect(await page('?q=kvark&show=missing')).toContain('No organisation matches.');

      const first = await page('?per=1');
      expect(names(first)).toEqual([names(all)[0]]);
      expect(first).toContain('1–1 of 3');
      expect(linkTo(first, 'next')).toBe('/rounds/1?page=2&per=1');
      expect(first).not.toContain('rel="prev"');
      const second = await page('?page=2&per=1');
      expect(names(second)).toEqual([names(all)[1]]);
      expect(linkTo(second, 'prev')).toBe('/rounds/1?per=1');
      expect(linkTo(second, 'next')).toBe('/rounds/1?page=3&per=1');
      const beyond = await page('?page=9&per=1');
      expect(names(beyond)).toEqual([names(all)[2]]);
      expect(beyond).not.toContain('rel="next"');
      // A filter nobody could mean shows everything rather than an error page.
      expect(names(await page('?show=everything&page=x'))).toHaveLength(3);
    });

    it('narrows the round’s JSON list the same way, keeping the totals of the whole round', async () => {
      const whole = (await t.api.get('/api/rounds/1').expect(200)).body;
      const names = (body: { requests: { organisation: { name: string } }[] }) => body.requests.map((r) => r.organisation.name).sort();
      const missing = (await t.api.get('/api/rounds/1?state=missing').expect(200)).body;
      expect(missing.totals).toEqual(whole.totals);
      expect(missing.requests.map((r: { state: string }) => r.state)).toEqual(['no_contact']);
      expect(names((await t.api.get('/api/rounds/1?state=answered').expect(200)).body)).toEqual(['Greater Copenhagen', 'Kvarkenrådet']);
      expect((await t.api.get('/api/rounds/1?state=overdue').expect(200)).body.requests).toEqual([]);
      const refused = await t.api.get('/api/rounds/1?state=late').expect(400);
      expect(JSON.stringify(refused.body.message)).toContain(
        'state: must be one of missing, sent, reminded, answered, overdue, bounced, no_contact',
      );
    });
  });
});
