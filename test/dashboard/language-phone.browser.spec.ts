import { AxeBuilder } from '@axe-core/playwright';
import ExcelJS from 'exceljs';
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { UsersService } from '../../src/auth/users.service.js';
import { SignedLinks } from '../../src/common/signed-links.js';
import { PlanImportService } from '../../src/plan/plan-import.service.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { settled } from '../support/settled.js';
import { sql } from '../support/sql.js';
import { TestSmtpServer } from '../support/smtp.js';

/**
 * Every page in its reader's language, on a phone, and accessible: the secretariat's pages and the
 * committee's answer form in real Chromium, checked by axe-core (WCAG 2.1 A and AA; a serious or
 * critical violation fails) at desktop width and measured at 390 px, and the exports read back.
 */
const SEED = new URL('../../seeds/nordic-regional-2021-24.yaml', import.meta.url).pathname;
const SCREENSHOTS = new URL('../../var/screenshots/', import.meta.url).pathname;
const PASSWORD = 'correct horse battery staple';
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 900 };
const activeId = (page: Page) => page.evaluate<string>(`document.activeElement?.id ?? ''`);
const activeValue = (page: Page) => page.evaluate<string>(`document.activeElement?.value ?? ''`);

describe('pages in their language, on a phone, for everyone', () => {
  let smtp: TestSmtpServer;
  let t: TestApp;
  let browser: Browser;
  let base: string;
  let answerLink: string;
  const ids = { round: 0, organisation: 0, milestone: 0 };

  beforeAll(async () => {
    smtp = await new TestSmtpServer().start();
    t = await startTestApp({ env: { SMTP_URL: smtp.url }, now: '2023-11-10T09:00:00Z' });
    await t.app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    await t.app.get(PlanImportService).importFile(SEED);
    const users = t.app.get(UsersService);
    await users.createUser({ email: 'sara@norden.test', password: PASSWORD, role: 'secretariat', name: 'Sara', language: 'sv' });
    await users.createUser({ email: 'anna@norden.test', password: PASSWORD, role: 'admin', name: 'Anna', language: 'en' });
    await users.createUser({ email: 'aino@norden.test', password: PASSWORD, role: 'viewer', name: 'Aino', language: 'fi' });
    const round = await t.api.post('/api/rounds').send({ year: 2023, opensAt: '2023-11-01', deadline: '2023-12-01' }).expect(201);
    ids.round = round.body.id;
    await smtp.waitFor((await sql<{ n: number }>(t.db.url, `SELECT count(*)::int AS n FROM "OutboxMessage"`))[0]!.n);

    // Kvarkenrådet answers its first milestone through its link; Nordkalottrådet gets its link for the keyboard test.
    const nonce = async (organisation: string) =>
      (
        await sql<{ data: { answerNonce: string } }>(
          t.db.url,
          `SELECT o.data FROM "OutboxMessage" o JOIN "ReportRequest" r ON r.id = o."requestId" JOIN "Organisation" g ON g.id = r."organisationId"
           WHERE g.name = $1 AND o.template = 'status-request'`,
          [organisation],
        )
      )[0]!.data.answerNonce;
    const links = t.app.get(SignedLinks);
    await t.api
      .post(`/api/answers/${links.token(await nonce('Kvarkenrådet'))}`)
      .send({ answers: [{ number: 1, state: 'delayed', progress: 40, comment: 'Ny tidplan i vår' }] })
      .expect(200);
    answerLink = `${base}/r/${links.token(await nonce('Nordkalottrådet'))}`;
    const [milestone] = await sql<{ id: number; organisation: number }>(
      t.db.url,
      `SELECT rm."milestoneId" AS id, r."organisationId" AS organisation FROM "RequestMilestone" rm JOIN "ReportRequest" r ON r.id = rm."requestId"
       JOIN "Organisation" o ON o.id = r."organisationId" WHERE o.name = 'Kvarkenrådet' AND rm.number = 1`,
    );
    ids.milestone = milestone!.id;
    ids.organisation = milestone!.organisation;
    // A reply from someone who is not a contact waits in the review queue.
    // Reply addresses are derived from the request's nonce when a digest is sent; the outbox keeps neither.
    const replyTo = links.replyAddress(await nonce('Kvarkenrådet'));
    await t.api
      .post('/api/inbound/email')
      .set('Content-Type', 'message/rfc822')
      .send(
        Buffer.from(
          [
            'From: Okänd <okand@example.net>',
            `To: ${replyTo}`,
            'Subject: Re: Lägesrapport',
            'Message-ID: <review-1@example.net>',
            'Content-Type: text/plain; charset=utf-8',
            '',
            '1: klar',
          ].join('\r\n'),
        ),
      )
      .expect(202);
    await settled(t, { smtp });

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
    const context = await browser.newContext({ acceptDownloads: true, viewport: DESKTOP });
    const page = await context.newPage();
    await page.goto(`${base}/login`);
    await page.locator('#email').fill(email);
    await page.locator('#password').fill(PASSWORD);
    await page.locator('button[type=submit]').click();
    await page.waitForURL(`${base}/`);
    return page;
  }

  /** The serious and critical WCAG 2.1 A/AA violations axe-core finds on the page, by rule and element. */
  async function violations(page: Page): Promise<string[]> {
    const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .flatMap((v) => v.nodes.map((node) => `${v.id}: ${node.target.join(' ')}`));
  }

  /** How wide the page is at 390 px: nothing may stick out past the screen. */
  async function phoneWidth(page: Page, name: string): Promise<number> {
    await page.setViewportSize(PHONE);
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: `${SCREENSHOTS}phone-${name}.png`, fullPage: true });
    const width = await page.evaluate<number>('document.documentElement.scrollWidth');
    await page.setViewportSize(DESKTOP);
    return width;
  }

  const pages = () => [
    ['overview', '/'],
    ['overdue', '/overdue'],
    ['rounds', '/rounds'],
    ['round', `/rounds/${ids.round}`],
    ['organisations', '/organisations'],
    ['organisation', `/organisations/${ids.organisation}`],
    ['goal', '/goals/6'],
    ['milestone', `/milestones/${ids.milestone}`],
    ['review', '/review'],
    ['reports', '/reports'],
    ['mail', '/mail'],
    ['follows', '/follows'],
  ];

  // axe-core reads every element of a page: the real plan's pages take seconds each on a busy machine.
  it('passes axe on every signed-in page', async () => {
    const page = await signIn('sara@norden.test');
    const problems: string[] = [];
    for (const [, path] of pages()) {
      const response = await page.goto(`${base}${path}`);
      expect([path, response!.status()]).toEqual([path, 200]);
      for (const violation of await violations(page)) problems.push(`${path} ${violation}`);
    }
    expect(problems).toEqual([]);
    await page.context().close();
  }, 600_000);

  it.each(['sara@norden.test', 'aino@norden.test'])(
    'fits every signed-in page on a 390 px phone (%s)',
    async (email) => {
      const page = await signIn(email);
      const problems: string[] = [];
      for (const [name, path] of pages()) {
        await page.goto(`${base}${path}`);
        const width = await phoneWidth(page, `${email.split('@')[0]}-${name}`);
        if (width > PHONE.width) problems.push(`${path} is ${width} px wide at 390 px`);
      }
      expect(problems).toEqual([]);
      await page.context().close();
    },
    300_000,
  );

  it('passes axe and fits a phone on the pages without an account: sign-in, answer form, a wrong link', async () => {
    const context = await browser.newContext({ viewport: DESKTOP, locale: 'sv-SE' });
    const page = await context.newPage();
    const problems: string[] = [];
    for (const [name, url] of [
      ['login', `${base}/login`],
      ['answer-form', answerLink],
      ['wrong-link', `${base}/r/not-a-token`],
    ] as const) {
      await page.goto(url);
      for (const violation of await violations(page)) problems.push(`${name} ${violation}`);
      const width = await phoneWidth(page, name);
      if (width > PHONE.width) problems.push(`${name} is ${width} px wide at 390 px`);
    }
    expect(problems).toEqual([]);
    await context.close();
  }, 300_000);

  it('shows a Swedish officer states, roles, numbers and formulas in Swedish', async () => {
    const page = await signIn('sara@norden.test');
    const header = await page.locator('header.site').textContent();
    expect(header).toContain('(sekretariat)');
    // The completion figure as Swedish writes a percentage ("0,9 %"), and its formula in Swedish.
    const completion = await page.locator('.card').first().textContent();
    expect(completion).toMatch(/\d+,\d\s%/);
    expect(completion).toMatch(/genomförande = genomförda \/ \(alla − avbrutna\) = [\d\s]+ \/ \([\d\s]+ − [\d\s]+\) = \d+,\d\s%/);
    const main = await page.locator('main').textContent();
    expect(main).not.toMatch(/completion =|overdue =|at risk =/);
    // Overdue and the state "delayed" are different words.
    expect(await page.getByRole('link', { name: 'Förfallna', exact: true }).count()).toBe(1);
    await page.goto(`${base}/rounds`);
    expect(await page.locator('tbody').textContent()).toContain('Öppen');
    expect(await page.locator('tbody').textContent()).not.toMatch(/\bopen\b/);
    await page.goto(`${base}/milestones/${ids.milestone}`);
    const history = await page.locator('#history tbody tr').first().textContent();
    expect(history).toContain('Kvarkenrådet');
    expect(history).not.toContain('api:');
    expect(history).toMatch(/Försenad \(40\s%\)/);
    await page.goto(`${base}/organisations/${ids.organisation}`);
    expect(await page.locator('main p.muted').first().textContent()).toMatch(
      /^Gränskommitté · skriver på (svenska|finska|danska|norska|engelska)$/,
    );
    await page.context().close();
  });

  it('shows a Finnish officer the dashboard in Finnish', async () => {
    const page = await signIn('aino@norden.test');
    expect(await page.locator('header.site nav').textContent()).toContain('Yleiskatsaus');
    expect(await page.locator('main').textContent()).toContain('toteutumisaste = valmiit');
    await page.context().close();
  });

  it('exports the overdue list as a Swedish CSV: a byte-order mark, semicolons and Swedish headers', async () => {
    const page = await signIn('sara@norden.test');
    await page.goto(`${base}/overdue?goal=6`);
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#export-csv').click()]);
    expect(download.suggestedFilename()).toMatch(/^förfallna-\d{4}-\d{2}-\d{2}\.csv$/);
    const response = await page.request.get(`${base}/export/overdue.csv?goal=6`);
    expect(response.headers()['content-type']).toBe('text/csv; charset=utf-8');
    const csv = (await response.body()).toString('utf8');
    expect(csv.startsWith('\uFEFF')).toBe(true);
    const [header, ...rows] = csv.slice(1).trimEnd().split('\r\n');
    const headers = header!.split(';');
    expect(headers).toEqual([
      'Mål',
      'Insats',
      'Organisation',
      'Märkning',
      'Milstolpe',
      'Tidpunkt från',
      'Tidpunkt senast',
      'Status',
      'Framdrift (%)',
      'År efter tidpunkten',
      'Senaste uppdatering',
      'Senaste kommentar',
    ]);
    expect(rows.length).toBe(await page.locator('main tbody tr').count());
    const states = new Set(['Inte påbörjad', 'Pågår', 'Risk för försening', 'Försenad']);
    for (const row of rows) {
      // Quoted fields may hold semicolons; the plan's rows for goal 6 hold none, so a split finds every column.
      const cells = row.split(';');
      expect(cells).toHaveLength(headers.length);
      expect(cells[0]).toBe('6');
      expect(states.has(cells[7]!)).toBe(true);
    }
    await page.context().close();
  });

  it('exports every other view as CSV and typed XLSX in the reader’s language', async () => {
    const page = await signIn('sara@norden.test');
    const exports = [
      [`/export/rounds/${ids.round}/requests`, 'Organisation', `/rounds/${ids.round}`],
      ['/export/goals/6', 'Insats', '/goals/6'],
      [`/export/organisations/${ids.organisation}/milestones`, 'Mål', `/organisations/${ids.organisation}`],
      [`/export/milestones/${ids.milestone}/history`, 'När', `/milestones/${ids.milestone}`],
      ['/export/review', 'Mottaget', '/review'],
    ];
    for (const [path, firstHeader, view] of exports) {
      // The page links to its exports.
      await page.goto(`${base}${view}`);
      expect([view, await page.locator(`a[href^="${path}.csv"]`).count()]).toEqual([view, 1]);
      const csv = (await (await page.request.get(`${base}${path}.csv`)).body()).toString('utf8');
      expect([path, csv.slice(1).split(';')[0]]).toEqual([path, firstHeader]);
      const response = await page.request.get(`${base}${path}.xlsx`);
      expect(response.status()).toBe(200);
      const workbook = new ExcelJS.Workbook();
      await workbook.xlsx.load((await response.body()) as unknown as ArrayBuffer);
      const sheet = workbook.worksheets[0]!;
      expect([path, sheet.getRow(1).getCell(1).value]).toEqual([path, firstHeader]);
      expect([path, sheet.rowCount]).toEqual([path, expect.any(Number)]);
      expect(sheet.rowCount).toBeGreaterThan(1);
    }
    // Typed columns: the round's request counts are numbers, lateness a boolean; the history's day a date.
    const round = new ExcelJS.Workbook();
    await round.xlsx.load(
      (await (await page.request.get(`${base}/export/rounds/${ids.round}/requests.xlsx`)).body()) as unknown as ArrayBuffer,
    );
    expect(typeof round.worksheets[0]!.getRow(2).getCell(5).value).toBe('number');
    expect(typeof round.worksheets[0]!.getRow(2).getCell(3).value).toBe('boolean');
    const history = new ExcelJS.Workbook();
    await history.xlsx.load(
      (await (await page.request.get(`${base}/export/milestones/${ids.milestone}/history.xlsx`)).body()) as unknown as ArrayBuffer,
    );
    expect(history.worksheets[0]!.getRow(2).getCell(1).value).toBeInstanceOf(Date);
    expect((await page.request.get(`${base}/export/review.pdf`)).status()).toBe(404);
    await page.context().close();
  });

  it('lets a committee answer with the keyboard alone', async () => {
    const context = await browser.newContext({ viewport: PHONE });
    const page = await context.newPage();
    await page.goto(answerLink);
    // Tab from the top of the page to the first state field, without touching the mouse.
    let focused = '';
    for (let i = 0; i < 20 && focused !== 'state_1'; i++) {
      await page.keyboard.press('Tab');
      focused = await activeId(page);
    }
    expect(focused).toBe('state_1');
    // Choose a state in the select with the arrow keys (the second option is the first state).
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Tab');
    expect(await activeId(page)).toBe('progress_1');
    await page.keyboard.type('30');
    await page.keyboard.press('Tab');
    expect(await activeId(page)).toBe('comment_1');
    await page.keyboard.type('Svar med tangentbordet');
    // The focus is visible on every field it passes through.
    expect(await page.evaluate<string>('getComputedStyle(document.activeElement).outlineStyle')).not.toBe('none');
    // On to the save-draft button, and press it with Enter.
    for (let i = 0; i < 200; i++) {
      await page.keyboard.press('Tab');
      const value = await activeValue(page);
      if (value === 'draft') break;
    }
    expect(await activeValue(page)).toBe('draft');
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    expect(await page.getByRole('status').count()).toBeGreaterThan(0);
    expect(await page.locator('#comment_1').inputValue()).toBe('Svar med tangentbordet');
    expect(await page.locator('#progress_1').inputValue()).toBe('30');
    await context.close();
  });
});
