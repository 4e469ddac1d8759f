import type { Server } from 'node:http';
import request from 'supertest';
import { AuthService } from '../../src/auth/auth.service.js';
import { UsersService } from '../../src/auth/users.service.js';
import { PlanImportService } from '../../src/plan/plan-import.service.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { sql } from '../support/sql.js';

const SMALL = new URL('../fixtures/small-plan.yaml', import.meta.url).pathname;

/**
 * A person never meets a 5xx or raw JSON: bad input and missing things on the secretariat's pages
 * and behind answer links are HTML pages with a 4xx, in the reader's language, naming the field and
 * the rule; the API and clients asking for JSON keep JSON.
 */
describe('error pages', () => {
  let t: TestApp;
  let http: ReturnType<typeof request>;
  let swedish: string;
  let english: string;

  beforeAll(async () => {
    t = await startTestApp({ now: '2024-11-01T08:00:00Z' });
    await t.app.get(PlanImportService).importFile(SMALL);
    http = request(t.app.getHttpServer() as Server);
    const users = t.app.get(UsersService);
    const password = 'correct horse battery staple';
    await users.createUser({ email: 'sara@norden.test', password, role: 'secretariat', name: 'Sara', language: 'sv' });
    await users.createUser({ email: 'erik@norden.test', password, role: 'secretariat', name: 'Erik', language: 'en' });
    swedish = `hp_session=${(await t.app.get(AuthService).signIn('sara@norden.test', password, 'test')).token}`;
    english = `hp_session=${(await t.app.get(AuthService).signIn('erik@norden.test', password, 'test')).token}`;
  });
  afterAll(() => t.close());

  const page = (path: string, cookie: string) => http.get(path).set('Cookie', cookie).set('Accept', 'text/html');

  it.each([
    ['/goals/99', 404, 'Planen har inget mål 99.'],
    ['/rounds/abc', 400, 'Numret i adressen måste vara ett heltal från 1 till 2 147 483 647.'],
    ['/rounds/99999999999', 400, 'Numret i adressen måste vara ett heltal'],
    ['/rounds/7', 404, 'Det finns ingen rapporteringsomgång 7.'],
    ['/milestones/4242', 404, 'Det finns ingen milstolpe 4242.'],
    ['/organisations/0', 400, 'Numret i adressen måste vara ett heltal'],
    ['/organisations/999', 404, 'Det finns ingen organisation 999.'],
    ['/no/such/page', 404, 'Det finns ingenting på den här adressen.'],
  ])('answers %s with an HTML page %i in the user’s language', async (path, status, text) => {
    const response = await page(path, swedish).expect(status);
    expect(response.type).toBe('text/html');
    expect(response.text).toContain('<html lang="sv">');
    expect(response.text.replace(/\u00a0|\u202f/g, ' ')).toContain(text);
    expect(response.text).not.toContain('"statusCode"');
  });

  it('keeps JSON for the API and for a client that asks for it', async () => {
    const api = await t.api.get('/api/goals/99').expect(404);
    expect(api.body).toMatchObject({ statusCode: 404, message: 'The plan has no goal 99.' });
    const json = await http.get('/goals/99').set('Cookie', swedish).set('Accept', 'application/json').expect(404);
    expect(json.body.message).toBe('The plan has no goal 99.');
  });

  it('refuses dates that are not dates, or not on the calendar, or past, in words and local dates', async () => {
    const schedule = (cookie: string, fields: Record<string, string>) =>
      http
        .get('/rounds')
        .set('Cookie', cookie)
        .then((form) => {
          const csrf = /name="_csrf" value="([^"]+)"/.exec(form.text)![1]!;
          return http
            .post('/rounds')
            .set('Cookie', cookie)
            .set('Accept', 'text/html')
            .type('form')
            .send({ _csrf: csrf, ...fields });
        });
    const cases: [Record<string, string>, string][] = [
      [{ year: '2024', deadline: '20/12/2026' }, 'Sista dag: ”20/12/2026” är inget datum.'],
      [{ year: '2024', deadline: '2024-02-30' }, 'Sista dag: 2024-02-30 finns inte i kalendern'],
      [{ year: '2024', deadline: '2024-01-10' }, 'Sista dag: 10 januari 2024 har redan passerat (i dag är det 1 november 2024).'],
      [{ year: '2024', opensAt: '2024-12-05', deadline: '2024-12-01' }, 'måste ligga efter öppnandet (5 december 2024)'],
      [{ year: '', deadline: '2024-12-01' }, 'År: ange ett år'],
      [{ year: '2030', deadline: '2030-12-01' }, 'År: 2030 ligger utanför planperioden 2021–2024.'],
    ];
    for (const [fields, text] of cases) {
      const response = await schedule(swedish, fields);
      expect([response.status, response.type]).toEqual([400, 'text/html']);
      expect(response.text).toContain(text);
    }
    const english400 = await schedule(english, { year: '2024', deadline: '2024-01-10' });
    expect(english400.text).toContain('Deadline: 10 January 2024 has already passed (today is 1 November 2024). Choose a later day.');
    expect(await sql(t.db.url, `SELECT count(*)::int AS n FROM "ReportingRound"`)).toEqual([{ n: 0 }]);
  });

  it('shows a wrong answer link in the browser’s language, or in all five with English first', async () => {
    const wrong = `/r/${'x'.repeat(43)}`;
    const swedishBrowser = await http.get(wrong).set('Accept-Language', 'sv-SE,sv;q=0.9').expect(404);
    expect(swedishBrowser.text).toContain('<html lang="sv">');
    expect(swedishBrowser.text).not.toContain('lang="da"');
    const anyone = await http.get(wrong).expect(404);
    const order = [...anyone.text.matchAll(/<section lang="(\w+)"/g)].map((match) => match[1]);
    expect(order).toEqual(['en', 'da', 'sv', 'nb', 'fi']);
    expect(anyone.text).toContain('This link is not valid');
  });
});
