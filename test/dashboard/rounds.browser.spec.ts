import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { UsersService } from '../../src/auth/users.service.js';
import { PlanImportService } from '../../src/plan/plan-import.service.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { settled } from '../support/settled.js';
import { sql } from '../support/sql.js';
import { TestSmtpServer } from '../support/smtp.js';

/**
 * The secretariat's traps, undone, in a real browser: a bad deadline is explained in words on the
 * form, closing a round asks first and can be undone, and the "annual report ready" mail's links
 * open where the mail is read, by someone who is not signed in.
 */
const SMALL = new URL('../fixtures/small-plan.yaml', import.meta.url).pathname;
const PASSWORD = 'correct horse battery staple';

describe('rounds and report links in a browser', () => {
  let smtp: TestSmtpServer;
  let t: TestApp;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    smtp = await new TestSmtpServer().start();
    t = await startTestApp({
      env: { SMTP_URL: smtp.url, REPORT_RECIPIENTS: 'board@norden.test' },
      now: '2024-11-01T08:00:00Z',
    });
    await t.app.listen(0, '127.0.0.1');
    // PUBLIC_URL is where the mail's links point: here, the port the test listens on.
    base = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    await t.app.get(PlanImportService).importFile(SMALL);
    await t.app.get(UsersService).createUser({ email: 'anna@norden.test', password: PASSWORD, role: 'secretariat', name: 'Anna' });
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
      ],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await smtp?.stop();
  });

  async function signIn(): Promise<Page> {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    await page.goto(`${base}/login`);
    await page.getByLabel('Email').fill('anna@norden.test');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${base}/`);
    return page;
  }

  it('explains a bad deadline on the form in words, with local dates, and schedules nothing', async () => {
    const page = await signIn();
    await page.getByRole('link', { name: 'Rounds' }).click();
    expect(await page.getByLabel('Deadline').getAttribute('type')).toBe('date');
    await page.getByLabel('Year').fill('2024');
    await page.getByLabel('Deadline').fill('2024-01-10');
    await page.getByRole('button', { name: 'Schedule' }).click();
    expect(await page.getByRole('alert').textContent()).toBe(
      'Deadline: 10 January 2024 has already passed (today is 1 November 2024). Choose a later day.',
    );

    // A browser without a date picker sends what was typed: a day-first date, a day the calendar lacks.
    const typed = async (value: string) => {
      await page.locator('#deadline').evaluate((input) => input.setAttribute('type', 'text'));
      await page.getByLabel('Deadline').fill(value);
      const [response] = await Promise.all([
        page.waitForResponse(`${base}/rounds`),
        page.getByRole('button', { name: 'Schedule' }).click(),
      ]);
      expect(response.status()).toBe(400);
      return page.getByRole('alert').textContent();
    };
    expect(await typed('20/12/2026')).toBe(
      'Deadline: “20/12/2026” is not a date. Pick it in the calendar, or write it as year-month-day, e.g. 2026-12-20.',
    );
    expect(await typed('2024-02-30')).toBe('Deadline: 2024-02-30 is not a day in the calendar (that month has no such day).');
    expect(await sql(t.db.url, `SELECT count(*)::int AS n FROM "ReportingRound"`)).toEqual([{ n: 0 }]);
    await page.context().close();
  });

  it('asks before closing, lists who is missing, and reopens the round with a reason', async () => {
    const page = await signIn();
    await page.getByRole('link', { name: 'Rounds' }).click();
    await page.getByLabel('Year').fill('2024');
    await page.getByLabel('Deadline').fill('2024-12-01');
    await page.getByRole('button', { name: 'Schedule' }).click();
    await page.waitForURL(/\/rounds\/\d+$/);
    const round = page.url();

    await page.getByRole('link', { name: 'Close the round' }).click();
    expect(await page.locator('h1').textContent()).toBe('Close reporting round 2024?');
    expect(await page.locator('#still-missing li').allTextContents()).toEqual([
      'Greater Copenhagen (Asked)',
      'Kvarkenrådet (Asked)',
      'Nordregio (No contact address)',
    ]);
    expect(await page.locator('.notice.warn').textContent()).toContain('closing now ends the round early');
    // "No" changes nothing.
    await page.getByRole('link', { name: 'No, go back' }).click();
    expect(page.url()).toBe(round);
    expect(await sql(t.db.url, `SELECT state::text FROM "ReportingRound"`)).toEqual([{ state: 'open' }]);

    await page.getByRole('link', { name: 'Close the round' }).click();
    await page.getByLabel('Reason').fill('Opened for the wrong year');
    await page.getByRole('button', { name: 'Yes, close the round' }).click();
    await page.waitForURL(round);
    expect(await page.locator('#round-history tbody tr').allTextContents()).toEqual([
      expect.stringMatching(/Anna\s*Closed\s*Opened for the wrong year/),
    ]);
    expect(await page.getByRole('link', { name: 'Close the round' }).count()).toBe(0);

    await page.getByLabel('New deadline').fill('2024-12-15');
    await page.getByLabel('Reason (kept in the round').fill('Closed by mistake');
    await page.getByRole('button', { name: 'Reopen' }).click();
    await page.waitForURL(round);
    const history = await page.locator('#round-history tbody tr').allTextContents();
    expect(history[1]).toMatch(/Anna\s*Reopened \(new deadline 15 December 2024\)\s*Closed by mistake/);
    expect(await page.getByRole('link', { name: 'Close the round' }).count()).toBe(1);
    expect(await sql(t.db.url, `SELECT state::text FROM "ReportingRound"`)).toEqual([{ state: 'open' }]);
    await page.context().close();
  });

  it('opens the ready mail’s report links in a fresh browser, until they expire', async () => {
    await settled(t, { smtp });
    smtp.clear();
    const { body: report } = await t.api.post('/api/annual-reports').send({ year: 2023, language: 'en' }).expect(202);
    const [mail] = await smtp.waitFor(1, 120_000);
    expect(mail!.envelopeTo).toEqual(['board@norden.test']);
    const links = [...(mail!.text ?? '').matchAll(/https:\/\/handlingsplan\.test(\/reports\/\d+\/(\w+)\?\S+)/g)].map((m) => ({
      path: m[1]!,
      format: m[2]!,
    }));
    expect(links.map((link) => link.format)).toEqual(['html', 'pdf', 'docx', 'xlsx']);
    expect(mail!.text).toContain('The links open the report without signing in until 1 December 2024');

    // Nobody is signed in here: the link itself opens the report.
    const fresh = await browser.newContext();
    const page = await fresh.newPage();
    await page.goto(`${base}${links[0]!.path}`);
    expect(await page.locator('h1').first().textContent()).toContain('2023');
    const pdf = await fresh.request.get(`${base}${links[1]!.path}`);
    expect([pdf.status(), pdf.headers()['content-type']]).toEqual([200, 'application/pdf']);
    // A link with its signature changed, or one past its date, asks to sign in and comes back to the file.
    await page.goto(`${base}${links[0]!.path.replace(/signature=.{4}/, 'signature=AAAA')}`);
    expect(new URL(page.url()).pathname).toBe('/login');
    t.clock.set('2024-12-02T08:00:00Z');
    await page.goto(`${base}${links[0]!.path}`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.getByLabel('Email').fill('anna@norden.test');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${base}${links[0]!.path}`);
    expect(await page.locator('h1').first().textContent()).toContain('2023');
    expect(report.id).toBeGreaterThan(0);
    await fresh.close();
  });
});
