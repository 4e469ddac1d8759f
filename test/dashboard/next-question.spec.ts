import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import request from 'supertest';
import { AuthService } from '../../src/auth/auth.service.js';
import { UsersService } from '../../src/auth/users.service.js';
import { LANGUAGES } from '../../src/i18n/i18n.js';
import { MAIL_TEMPLATE_NAMES } from '../../src/mail/templates/mail-data.js';
import { PlanImportService } from '../../src/plan/plan-import.service.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { settled } from '../support/settled.js';
import { TestSmtpServer } from '../support/smtp.js';
import { sql } from '../support/sql.js';

const SMALL = new URL('../fixtures/small-plan.yaml', import.meta.url).pathname;

/** Pages that answer the next question: a milestone's due year and lateness, what a mail said, placeholders before a round. */
describe('pages that answer the next question', () => {
  let smtp: TestSmtpServer;
  let t: TestApp;
  let cookie: string;
  const page = (path: string) =>
    request(t.app.getHttpServer() as Server)
      .get(path)
      .set('Cookie', cookie);

  beforeAll(async () => {
    smtp = await new TestSmtpServer().start();
    t = await startTestApp({ env: { SMTP_URL: smtp.url }, now: '2024-11-01T08:00:00Z' });
    await t.app.get(PlanImportService).importFile(SMALL);
    const password = 'correct horse battery staple';
    await t.app.get(UsersService).createUser({ email: 'ada@norden.test', password, role: 'admin', name: 'Ada' });
    cookie = `hp_session=${(await t.app.get(AuthService).signIn('ada@norden.test', password, 'test')).token}`;
  });
  afterAll(async () => {
    await t.close();
    await smtp.stop();
  });

  it('warns before a round that placeholder contacts would be mailed, and lists them', async () => {
    const text = (await page('/rounds').expect(200)).text;
    expect(text).toMatch(/id="placeholders"[\s\S]*1 contact address is only a placeholder[\s\S]*Kvarkenrådet<\/a>: kvarken@example.org/);
  });

  it('shows a milestone’s due year and whether it is overdue', async () => {
    const [late] = await sql<{ id: number }>(t.db.url, `SELECT id FROM "Milestone" WHERE label = 'M2021' ORDER BY id LIMIT 1`);
    expect((await page(`/milestones/${late!.id}`).expect(200)).text).toMatch(
      /id="due">Due: 2021 ·\s*<strong class="error">Overdue: 3 years late/,
    );
    const [later] = await sql<{ id: number }>(t.db.url, `SELECT id FROM "Milestone" WHERE label = 'M23/24' LIMIT 1`);
    expect((await page(`/milestones/${later!.id}`).expect(200)).text).toMatch(/Due: 2023–2024 ·\s*Not overdue/);
  });

  it('filters sent mail by round, organisation and kind, and shows a message’s text without its answer link', async () => {
    await t.api.post('/api/rounds').send({ year: 2024, deadline: '2024-12-01' }).expect(201);
    await settled(t, { smtp });
    const [kvarken] = await sql<{ id: number }>(t.db.url, `SELECT id FROM "Organisation" WHERE name = 'Kvarkenrådet'`);
    const all = (await page('/mail').expect(200)).text;
    expect(all).toContain('1–3 of 3');
    const one = (await page(`/mail?round=1&organisation=${kvarken!.id}&kind=status-request`).expect(200)).text;
    expect(one).toContain('1–1 of 1');
    expect((await page('/mail?kind=reminder').expect(200)).text).toContain('No mail matches.');
    // Nonsense filters are ignored, not errors.
    expect((await page('/mail?round=abc&kind=nonsense&page=-3').expect(200)).text).toContain('1–3 of 3');

    const [message] = await sql<{ id: number }>(
      t.db.url,
      `SELECT o.id FROM "OutboxMessage" o JOIN "ReportRequest" r ON r.id = o."requestId" WHERE r."organisationId" = ${kvarken!.id}`,
    );
    const shown = (await page(`/mail/${message!.id}`).expect(200)).text;
    expect(shown).toContain('Kvarkenrådet');
    expect(shown).toContain('https://handlingsplan.test/r/…');
    expect(shown).not.toMatch(/\/r\/[A-Za-z0-9_-]{43}/);
    await page('/mail/9999').expect(404);
  });

  it('labels every kind of mail on Sent mail and the organisation page, in every language', async () => {
    const [kvarken] = await sql<{ id: number }>(t.db.url, `SELECT id FROM "Organisation" WHERE name = 'Kvarkenrådet'`);
    const [kvarkenRequest] = await sql<{ id: number }>(t.db.url, `SELECT id FROM "ReportRequest" WHERE "organisationId" = $1`, [
      kvarken!.id,
    ]);
    // One message of every template on Kvarkenrådet's request, never sent: the list shows its kind, not a subject.
    const reverted = {
      organisation: { name: 'Kvarkenrådet' },
      plan: { title: 'Small test plan 2021-24' },
      round: { year: 2024 },
      from: 'kvarken@example.org',
      subject: 'SV: Lägesrapport 2024',
      receivedAt: '2024-11-01T08:00:00Z',
      reverted: [],
      kept: [],
      reviewUrl: 'https://handlingsplan.test/review',
    };
    const ids = new Map<string, number>();
    for (const template of MAIL_TEMPLATE_NAMES) {
      const [row] = await sql<{ id: number }>(
        t.db.url,
        `INSERT INTO "OutboxMessage" ("dedupeKey", template, language, recipients, data, "requestId", "messageId", status, "createdAt", "updatedAt")
         VALUES ($1, $2, 'sv', '{kvarken@example.org}', $3, $4, $5, 'skipped', now(), now()) RETURNING id`,
        [
          `kinds:${template}`,
          template,
          JSON.stringify(template === 'reply-reverted' ? reverted : {}),
          kvarkenRequest!.id,
          `<kinds-${template}@x>`,
        ],
      );
      ids.set(template, row!.id);
    }
    const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/'/g, '&#x27;').replace(/=/g, '&#x3D;');
    for (const language of LANGUAGES) {
      const labels = JSON.parse(
        readFileSync(new URL(`../../templates/i18n/${language}/dashboard.json`, import.meta.url), 'utf8'),
      ) as Record<string, string>;
      const password = 'correct horse battery staple';
      const email = `kinds-${language}@norden.test`;
      await t.app.get(UsersService).createUser({ email, password, role: 'viewer', language });
      const session = `hp_session=${(await t.app.get(AuthService).signIn(email, password, 'test')).token}`;
      const get = (path: string) =>
        request(t.app.getHttpServer() as Server)
          .get(path)
          .set('Cookie', session)
          .expect(200)
          .then((response) => response.text);
      const [list, organisation] = await Promise.all([get('/mail'), get(`/organisations/${kvarken!.id}`)]);
      for (const template of MAIL_TEMPLATE_NAMES) {
        const label = labels[`mail.kind.${template.replace(/-/g, '_')}`];
        expect([language, template, typeof label]).toEqual([language, template, 'string']);
        // In the kind filter, on the message's row, and beside its request on the organisation page.
        expect(list).toContain(`<option value="${template}">${escape(label!)}</option>`);
        expect(list).toContain(`<a href="/mail/${ids.get(template)}">${escape(label!)}</a>`);
        expect(organisation).toContain(escape(label!));
      }
      // A message the secretariat was sent when a reply was undone opens with its kind.
      expect(await get(`/mail/${ids.get('reply-reverted')}`)).toContain(escape(labels['mail.kind.reply_reverted']!));
    }
  });

  it('leads from the queue board back to the dashboard', async () => {
    const board = await page('/admin/queues').expect(200);
    expect(board.text).toContain('Back to the dashboard');
  });
});
