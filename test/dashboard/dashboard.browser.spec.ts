import ExcelJS from 'exceljs';
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { UsersService } from '../../src/auth/users.service.js';
import { PlanImportService } from '../../src/plan/plan-import.service.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { settled } from '../support/settled.js';
import { sql } from '../support/sql.js';
import { TestSmtpServer } from '../support/smtp.js';

/**
 * The secretariat's dashboard in a real browser (Debian's Chromium, driven by playwright-core),
 * against the service listening on a real port with the real plan loaded.
 */
const SEED = new URL('../../seeds/nordic-regional-2021-24.yaml', import.meta.url).pathname;
const SCREENSHOTS = new URL('../../var/screenshots/', import.meta.url).pathname;
const PASSWORD = 'correct horse battery staple';

describe('the dashboard in a browser', () => {
  let smtp: TestSmtpServer;
  let t: TestApp;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    smtp = await new TestSmtpServer().start();
    t = await startTestApp({ env: { SMTP_URL: smtp.url }, now: '2023-11-10T09:00:00Z' });
    await t.app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    await t.app.get(PlanImportService).importFile(SEED);
    const users = t.app.get(UsersService);
    await users.createUser({ email: 'anna@norden.test', password: PASSWORD, role: 'secretariat', name: 'Anna' });
    await users.createUser({ email: 'vera@norden.test', password: PASSWORD, role: 'viewer', name: 'Vera' });
    // A round for 2023, already open, and a few answers, so the pages have something to show.
    await t.api.post('/api/rounds').send({ year: 2023, opensAt: '2023-11-01', deadline: '2023-12-01' }).expect(201);
    await smtp.waitFor((await sql<{ n: number }>(t.db.url, `SELECT count(*)::int AS n FROM "OutboxMessage"`))[0]!.n);
    smtp.clear();
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

  async function signIn(email: string): Promise<Page> {
    const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${base}/`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${base}/`);
    return page;
  }

  it('shows a signed-out visitor only the sign-in page, and refuses a wrong password', async () => {
    const page = await (await browser.newContext()).newPage();
    for (const path of ['/', '/overdue', '/rounds', '/mail']) {
      await page.goto(`${base}${path}`);
      expect(new URL(page.url()).pathname).toBe('/login');
      expect(await page.locator('h1').textContent()).toBe('Sign in to handlingsplan');
    }
    await page.getByLabel('Email').fill('anna@norden.test');
    await page.getByLabel('Password').fill('wrong password!');
    await page.getByRole('button', { name: 'Sign in' }).click();
    expect(await page.getByRole('alert').textContent()).toContain('Wrong email or password.');
    await page.context().close();
  });

  it('signs in and shows the overview of the real plan with the reporting rate', async () => {
    const page = await signIn('anna@norden.test');
    const body = await page.locator('main').textContent();
    expect(body).toContain('Handlingsplan 2021-24');
    for (const number of [1, 6, 7, 9, 10]) expect(body).toContain(`Goal ${number}`);
    expect(await page.locator('#reporting-rate').textContent()).toMatch(/0 of \d+ answered/);
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: `${SCREENSHOTS}overview.png`, fullPage: true });
    await page.context().close();
  });

  it('filters overdue milestones, downloads the XLSX export and reads it back', async () => {
    const page = await signIn('anna@norden.test');
    await page.getByRole('link', { name: 'Overdue', exact: true }).click();
    const all = await page.locator('tbody tr').count();
    await page.getByLabel('Goal').selectOption('6');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/goal=6/);
    const rows = await page.locator('tbody tr').allTextContents();
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.length).toBeLessThan(all);
    const expected = await sql<{ n: number }>(
      t.db.url,
      `SELECT count(*)::int AS n FROM "Milestone" m JOIN "Contribution" c ON c.id = m."contributionId" JOIN "Goal" g ON g.id = c."goalId"
       WHERE g.number = 6 AND m."dueTo" < 2023 AND m.state NOT IN ('completed', 'cancelled')`,
    );
    expect(rows).toHaveLength(expected[0]!.n);

    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#export-xlsx').click()]);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(await download.path());
    const sheet = workbook.worksheets[0]!;
    expect(sheet.getRow(1).values).toEqual(
      expect.arrayContaining(['Goal', 'Intervention', 'Organisation', 'Label', 'Milestone', 'Status']),
    );
    expect(sheet.rowCount - 1).toBe(expected[0]!.n);
    const goals = new Set<unknown>();
    sheet.eachRow((row, index) => index > 1 && goals.add(row.getCell(1).value));
    expect([...goals]).toEqual([6]);
    await page.context().close();
  });

  it('sends a reminder to one missing committee with one click, and the mail arrives', async () => {
    const page = await signIn('anna@norden.test');
    await page.getByRole('link', { name: 'Rounds' }).click();
    await page.getByRole('link', { name: '2023' }).click();
    // Mail from the tests before (confirmations of their answers) is delivered and forgotten first.
    await settled(t, { smtp });
    smtp.clear();
    await page.getByRole('button', { name: 'Remind Kvarkenrådet' }).click();
    expect(await page.getByRole('status').textContent()).toContain('A reminder was sent to 1 organisation.');
    const [mail] = await smtp.waitFor(1);
    expect(mail!.envelopeTo).toEqual(['kvarkenradet@example.org']);
    expect(mail!.text).toContain('Kvarkenrådet');
    await page.context().close();
  });

  it('shows a milestone’s history after a committee answered through its link', async () => {
    // The committee's own link, from its status request.
    const outbox = await sql<{ data: { answerNonce: string } }>(
      t.db.url,
      `SELECT data FROM "OutboxMessage" o JOIN "ReportRequest" r ON r.id = o."requestId" JOIN "Organisation" g ON g.id = r."organisationId" WHERE g.name = 'Nordkalottrådet' AND o.template = 'status-request'`,
    );
    const { SignedLinks } = await import('../../src/common/signed-links.js');
    const token = t.app.get(SignedLinks).token(outbox[0]!.data.answerNonce);
    await t.api
      .post(`/api/answers/${token}`)
      .send({ answers: [{ number: 1, state: 'delayed', comment: 'Nytt datum i vår' }] })
      .expect(200);

    const page = await signIn('anna@norden.test');
    const [milestone] = await sql<{ id: number }>(
      t.db.url,
      `SELECT rm."milestoneId" AS id FROM "RequestMilestone" rm JOIN "ReportRequest" r ON r.id = rm."requestId" JOIN "Organisation" o ON o.id = r."organisationId" WHERE o.name = 'Nordkalottrådet' AND rm.number = 1`,
    );
    await page.goto(`${base}/milestones/${milestone!.id}`);
    const history = await page.locator('#history tbody tr').allTextContents();
    expect(history[0]).toContain('Nytt datum i vår');
    expect(history[0]).toContain('Delayed');
    expect(history[0]).toContain('API');
    await page.context().close();
  });

  it('makes the annual report from the dashboard and opens its files', async () => {
    const page = await signIn('anna@norden.test');
    await page.getByRole('link', { name: 'Annual reports' }).click();
    expect(await page.locator('main').textContent()).toContain('No annual report has been made yet.');
    // The year defaults to last year (the clock says November 2023); the 2023 round is still open.
    expect(await page.getByLabel('Year').inputValue()).toBe('2022');
    await page.getByLabel('Year').selectOption('2023');
    await page.getByLabel('Language').selectOption('sv');
    await page.getByRole('button', { name: 'Make the report' }).click();
    expect(await page.getByRole('status').textContent()).toContain('The report is being made');
    // The page refreshes itself until the job has made every format.
    const row = page.locator('tbody tr').first();
    await row.getByRole('link', { name: 'docx' }).waitFor({ timeout: 60_000 });
    expect(await row.textContent()).toMatch(/2023 \(preliminary\)\s*Swedish\s*ready/);
    expect(await row.getByRole('link').allTextContents()).toEqual(['html', 'pdf', 'docx', 'xlsx']);

    const download = page.waitForEvent('download');
    await row.getByRole('link', { name: 'xlsx' }).click();
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(await (await download).path());
    expect(workbook.worksheets[0]!.rowCount).toBeGreaterThan(100); // a row per milestone of the real plan

    const [report] = await Promise.all([page.context().waitForEvent('page'), row.getByRole('link', { name: 'html' }).click()]);
    await report.waitForLoadState();
    expect(await report.locator('h1').first().textContent()).toMatch(/^Årsrapport 2023\s*Preliminär$/);
    // A year outside the plan, posted by hand, is refused with the reason and nothing is queued.
    const csrf = await page.locator('input[name=_csrf]').first().inputValue();
    const refused = await page.request.post(`${base}/reports`, { form: { _csrf: csrf, year: '2030', language: 'da' }, maxRedirects: 0 });
    expect(refused.status()).toBe(400);
    expect(await refused.text()).toContain('year: 2030 is outside the plan period 2021-2024.');
    expect((await sql<{ n: number }>(t.db.url, `SELECT count(*)::int AS n FROM "AnnualReport"`))[0]!.n).toBe(1);
    await page.context().close();
  });

  it('shows a viewer the annual reports but not the form that makes them', async () => {
    const viewer = await signIn('vera@norden.test');
    await viewer.getByRole('link', { name: 'Annual reports' }).click();
    expect(await viewer.locator('tbody tr').first().textContent()).toContain('ready');
    expect(await viewer.getByRole('button', { name: 'Make the report' }).count()).toBe(0);
    const csrf = await viewer.locator('input[name=_csrf]').first().inputValue();
    const forged = await viewer.request.post(`${base}/reports`, { form: { _csrf: csrf, year: '2023', language: 'da' }, maxRedirects: 0 });
    expect(forged.status()).toBe(403);
    await viewer.context().close();
  });

  it('does not let a viewer send reminders', async () => {
    const page = await signIn('vera@norden.test');
    await page.getByRole('link', { name: 'Rounds' }).click();
    await page.getByRole('link', { name: '2023' }).click();
    expect(await page.getByRole('button', { name: /Remind/ }).count()).toBe(0);
    // …and a forged form post is refused too.
    const csrf = await page.locator('input[name=_csrf]').first().inputValue();
    const forged = await page.request.post(`${page.url()}/remind`, { form: { _csrf: csrf }, maxRedirects: 0 });
    expect(forged.status()).toBe(403);
    expect(await forged.text()).toContain('needs the secretariat role');
    await page.context().close();
  });
});
