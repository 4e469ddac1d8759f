import { AxeBuilder } from '@axe-core/playwright';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { UsersService } from '../../src/auth/users.service.js';
import { PlanImportService } from '../../src/plan/plan-import.service.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { settled } from '../support/settled.js';
import { TestSmtpServer } from '../support/smtp.js';

const SMALL = new URL('../fixtures/small-plan.yaml', import.meta.url).pathname;
const PASSWORD = 'correct horse battery staple';
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 900 };

/**
 * The review of answers in real Chromium: the secretariat returns an answer with a question from
 * the round page, the question shows on the milestone page and on the committee's form, and every
 * one of these pages passes axe-core (WCAG 2.1 A/AA, serious or critical) and fits a 390 px phone.
 */
describe('reviewing answers in the browser', () => {
  let smtp: TestSmtpServer;
  let t: TestApp;
  let browser: Browser;
  let base: string;
  let kvarken: string;

  beforeAll(async () => {
    smtp = await new TestSmtpServer().start();
    t = await startTestApp({ env: { SMTP_URL: smtp.url }, now: '2024-11-01T08:00:00Z' });
    await t.app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    await t.app.get(PlanImportService).importFile(SMALL);
    await t.app.get(UsersService).createUser({ email: 'sara@norden.test', password: PASSWORD, role: 'secretariat', language: 'sv' });
    await t.api.post('/api/rounds').send({ year: 2024, deadline: '2024-12-01' }).expect(201);
    const mails = await smtp.waitFor(3);
    const mail = mails.find((m) => m.envelopeTo.includes('kvarken@example.org'))!;
    kvarken = /https:\/\/handlingsplan\.test(\/r\/[A-Za-z0-9_-]{43})/.exec(mail.text ?? '')![1]!;
    await t.api
      .post(`/api${kvarken.replace('/r/', '/answers/')}`)
      .send({ answers: [{ number: 1, state: 'delayed', progress: 40, comment: 'Ny tidplan i vår' }] })
      .expect(200);
    await settled(t, { smtp });
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

  /** Serious and critical WCAG 2.1 A/AA violations, and whether the page sticks out of a phone. */
  async function problems(page: Page, name: string): Promise<string[]> {
    const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
    const found = result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .flatMap((v) => v.nodes.map((node) => `${name}: ${v.id}: ${node.target.join(' ')}`));
    await page.setViewportSize(PHONE);
    const width = await page.evaluate<number>('document.documentElement.scrollWidth');
    await page.setViewportSize(DESKTOP);
    if (width > PHONE.width) found.push(`${name} is ${width} px wide at 390 px`);
    return found;
  }

  it('returns an answer with a question from the round page; the pages pass axe and fit a phone', async () => {
    const context = await browser.newContext({ viewport: DESKTOP });
    const page = await context.newPage();
    await page.goto(`${base}/login`);
    await page.locator('#email').fill('sara@norden.test');
    await page.locator('#password').fill(PASSWORD);
    await page.locator('button[type=submit]').click();
    await page.waitForURL(`${base}/`);

    await page.goto(`${base}/rounds/1`);
    const found = await problems(page, 'round');
    expect(await page.locator('#review-summary').innerText()).toBe('0 av 1 svar granskat, 0 återsänt');
    const row = page.locator('[data-list="answers"] tbody tr').first();
    await row.locator('textarea').fill('När blir den nya tidplanen klar?');
    await row.locator('button[value="returned"]').click();
    await page.waitForURL(`${base}/rounds/1?review=returned#review`);
    expect(await page.locator('#review-summary').innerText()).toBe('0 av 1 svar granskat, 1 återsänt');
    found.push(...(await problems(page, 'round after a return')));

    await page.locator('[data-list="answers"] tbody tr a[href^="/milestones/"]').first().click();
    await page.waitForURL(/\/milestones\/\d+$/);
    expect(await page.locator('[data-list="thread"]').innerText()).toContain('När blir den nya tidplanen klar?');
    found.push(...(await problems(page, 'milestone')));

    const form = await context.newPage();
    await form.goto(`${base}${kvarken}`);
    expect(await form.locator('[data-list="thread"]').first().innerText()).toContain('När blir den nya tidplanen klar?');
    found.push(...(await problems(form, 'answer form')));
    expect(found).toEqual([]);
    await smtp.waitFor(1);
    await context.close();
  });
});
