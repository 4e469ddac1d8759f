import request from 'supertest';
import { AuthService, SignInRefused } from '../../src/auth/auth.service.js';
import { UsersService } from '../../src/auth/users.service.js';
import { RateLimiter } from '../../src/common/rate-limiter.js';
import { PlanImportService } from '../../src/plan/plan-import.service.js';
import { QueueService } from '../../src/queue/queue.service.js';
import { bearer, startTestApp, type TestApp } from '../support/app.js';
import { cli } from '../support/cli.js';
import { sql } from '../support/sql.js';

const SMALL = new URL('../fixtures/small-plan.yaml', import.meta.url).pathname;
const PASSWORD = 'a long enough password';

describe('who may do what', () => {
  let t: TestApp;
  let http: ReturnType<typeof request>;

  beforeAll(async () => {
    t = await startTestApp({ now: '2024-11-01T08:00:00Z' });
    await t.app.get(PlanImportService).importFile(SMALL);
    http = request(t.app.getHttpServer());
    const users = t.app.get(UsersService);
    await users.createUser({ email: 'admin@norden.test', password: PASSWORD, role: 'admin' });
    await users.createUser({ email: 'sek@norden.test', password: PASSWORD, role: 'secretariat' });
    await users.createUser({ email: 'view@norden.test', password: PASSWORD, role: 'viewer', language: 'sv' });
  });
  afterAll(() => t.close());

  async function session(email: string): Promise<{ cookie: string; csrf: string }> {
    const response = await http.post('/login').type('form').send({ email, password: PASSWORD }).expect(303);
    const cookie = (response.headers['set-cookie'] as unknown as string[])[0]!.split(';')[0]!;
    const page = await http.get('/rounds').set('Cookie', cookie).expect(200);
    return { cookie, csrf: /name="_csrf" value="([^"]+)"/.exec(page.text)![1]! };
  }

  it('keeps the published plan public and everything else behind a sign-in or a token', async () => {
    await http.get('/api/goals').expect(200);
    await http.get('/api/attainment').expect(200);
    await http.get('/health').expect(200);
    expect((await http.get('/api/rounds').expect(401)).body.message).toContain('Authorization: Bearer');
    await http.get('/api/organisations').expect(401);
    await http.get('/api/mail').expect(401);
    await http.get('/api/inbound').expect(401);
    await http.post('/api/rounds').send({ year: 2024, deadline: '2024-12-01' }).expect(401);
    await t.api.get('/api/organisations').expect(200);
  });

  it('sends a signed-out visitor of any page to the sign-in page', async () => {
    for (const path of ['/', '/overdue', '/rounds', '/review', '/mail', '/admin/queues']) {
      const response = await http.get(path).expect(303);
      expect(response.headers.location).toMatch(/^\/login\?next=/);
    }
  });

  it('lets a viewer read but not act, by token or by session', async () => {
    const { stdout, code } = await cli(['token', 'create', '--name', 'monitor', '--role', 'viewer'], { DATABASE_URL: t.db.url }).then(
      (r) => ({ stdout: r.out, code: r.code }),
    );
    expect(code).toBe(0);
    const viewer = bearer(t.app, stdout.trim());
    await viewer.get('/api/rounds').expect(200);
    expect((await viewer.post('/api/rounds').send({ year: 2024, deadline: '2024-12-01' }).expect(403)).body.message).toBe(
      'This needs the secretariat role; monitor has viewer.',
    );

    expect(await cli(['token', 'revoke', '--name', 'monitor'], { DATABASE_URL: t.db.url })).toMatchObject({
      code: 0,
      out: 'Revoked 1 token named "monitor".\n',
    });
    await viewer.get('/api/rounds').expect(401);
    expect(await cli(['token', 'revoke', '--name', 'monitor'], { DATABASE_URL: t.db.url })).toMatchObject({ code: 2 });
    // The name alone works too: `npm run cli -- token revoke <name>`.
    const second = bearer(
      t.app,
      (await cli(['token', 'create', '--name', 'crm', '--role', 'viewer'], { DATABASE_URL: t.db.url })).out.trim(),
    );
    await second.get('/api/rounds').expect(200);
    expect(await cli(['token', 'revoke', 'crm'], { DATABASE_URL: t.db.url })).toMatchObject({
      code: 0,
      out: 'Revoked 1 token named "crm".\n',
    });
    await second.get('/api/rounds').expect(401);
    expect(await cli(['token', 'revoke'], { DATABASE_URL: t.db.url })).toMatchObject({ code: 64 });

    const { cookie, csrf } = await session('view@norden.test');
    const page = await http.get('/rounds').set('Cookie', cookie).expect(200);
    expect(page.text).toContain('<html lang="sv">');
    expect(page.text).not.toContain('action="/rounds"'); // no form to schedule a round
    await http.post('/rounds').set('Cookie', cookie).type('form').send({ _csrf: csrf, year: '2024', deadline: '2024-12-01' }).expect(403);
    expect(await sql(t.db.url, `SELECT count(*)::int AS n FROM "ReportingRound"`)).toEqual([{ n: 0 }]);
  });

  it('needs the CSRF value on every form a session posts', async () => {
    const { cookie, csrf } = await session('sek@norden.test');
    await http.post('/rounds').set('Cookie', cookie).type('form').send({ year: '2024', deadline: '2024-12-01' }).expect(403);
    expect(await sql(t.db.url, `SELECT count(*)::int AS n FROM "ReportingRound"`)).toEqual([{ n: 0 }]);
    const created = await http
      .post('/rounds')
      .set('Cookie', cookie)
      .type('form')
      .send({ _csrf: csrf, year: '2024', deadline: '2024-12-01' })
      .expect(303);
    expect(created.headers.location).toMatch(/^\/rounds\/\d+$/);
    const bad = await http
      .post('/rounds')
      .set('Cookie', cookie)
      .type('form')
      .send({ _csrf: csrf, year: '2024', deadline: '2024-12-01' })
      .expect(409);
    expect(bad.text).toContain('There is already a reporting round for 2024');
  });

  it('shows the queue board to admins only', async () => {
    const admin = await session('admin@norden.test');
    const board = await http.get('/admin/queues').set('Cookie', admin.cookie).expect(200);
    expect(board.text).toContain('<div id="root"');
    const secretariat = await session('sek@norden.test');
    await http.get('/admin/queues').set('Cookie', secretariat.cookie).expect(403);
  });

  it('refuses writes to the queue board that do not come from its own page', async () => {
    const admin = await session('admin@norden.test');
    const reports = t.app.get(QueueService).queue('reports');
    const pause = (headers: Record<string, string>) =>
      http.put('/admin/queues/api/queues/reports/pause').set('Cookie', admin.cookie).set(headers);
    for (const headers of [
      { Origin: 'https://evil.example' },
      { Origin: 'null' },
      { Referer: 'https://evil.example/page' },
      { Origin: 'https://handlingsplan.test', 'Sec-Fetch-Site': 'same-site' }, // a sibling subdomain
      {}, // no browser's: the board's own page always says where it comes from
    ] as Record<string, string>[]) {
      expect({ headers, status: (await pause(headers)).status }).toEqual({ headers, status: 403 });
    }
    expect(await reports.isPaused()).toBe(false);
    await pause({ Origin: 'https://handlingsplan.test', 'Sec-Fetch-Site': 'same-origin' }).expect(200);
    expect(await reports.isPaused()).toBe(true);
    await http
      .put('/admin/queues/api/queues/reports/resume')
      .set('Cookie', admin.cookie)
      .set('Referer', 'https://handlingsplan.test/admin/queues/')
      .expect(200);
    expect(await reports.isPaused()).toBe(false);
  });

  it('refuses a sign-in or sign-out posted from another site (login CSRF)', async () => {
    const signIn = (headers: Record<string, string>) =>
      http.post('/login').set(headers).type('form').send({ email: 'sek@norden.test', password: PASSWORD });
    for (const headers of [
      { Origin: 'https://evil.example' },
      { Origin: 'null' },
      { Referer: 'http://evil.example/' },
      { 'Sec-Fetch-Site': 'cross-site' },
    ] as Record<string, string>[]) {
      const refused = await signIn(headers);
      expect({ headers, status: refused.status, cookie: refused.headers['set-cookie'] }).toEqual({
        headers,
        status: 403,
        cookie: undefined,
      });
      expect(refused.text).toContain('did not come from a page of this service');
    }
    // The page as the service's own address serves it, and as it is reached directly.
    await signIn({ Origin: 'https://handlingsplan.test' }).expect(303);
    // As Chromium posts the sign-in form: Origin withheld by the page's referrer policy, Sec-Fetch-Site decides.
    await signIn({ Origin: 'null', 'Sec-Fetch-Site': 'same-origin' }).expect(303);
    const host = (
      await signIn({ Origin: 'http://direct.test:3000', Host: 'direct.test:3000', 'Sec-Fetch-Site': 'same-origin' }).expect(303)
    ).headers;
    const cookie = (host['set-cookie'] as unknown as string[])[0]!.split(';')[0]!;

    await http.post('/logout').set('Cookie', cookie).set('Origin', 'https://evil.example').expect(403);
    await http.get('/').set('Cookie', cookie).expect(200); // still signed in
    await http.post('/logout').set('Cookie', cookie).set('Origin', 'https://handlingsplan.test').expect(303);
    await http.get('/').set('Cookie', cookie).expect(303);
  });

  it('lets only an admin edit contacts, and refuses an invalid address without changing anything', async () => {
    const [org] = await sql<{ id: number }>(t.db.url, `SELECT id FROM "Organisation" WHERE name = 'Kvarkenrådet'`);
    const admin = await session('admin@norden.test');
    const refused = await http
      .post(`/organisations/${org!.id}/contacts`)
      .set('Cookie', admin.cookie)
      .type('form')
      .send({ _csrf: admin.csrf, contacts: 'kansli@kvarken.org\nnot-an-address' })
      .expect(400);
    expect(refused.text).toContain('Not an email address: not-an-address. Nothing was changed.');
    expect(await sql(t.db.url, `SELECT email, placeholder FROM "Contact" WHERE "organisationId" = $1`, [org!.id])).toEqual([
      { email: 'kvarken@example.org', placeholder: true },
    ]);
    await http
      .post(`/organisations/${org!.id}/contacts`)
      .set('Cookie', admin.cookie)
      .type('form')
      .send({ _csrf: admin.csrf, contacts: 'kansli@kvarken.org' })
      .expect(303);
    expect(await sql(t.db.url, `SELECT email, placeholder FROM "Contact" WHERE "organisationId" = $1`, [org!.id])).toEqual([
      { email: 'kansli@kvarken.org', placeholder: false },
    ]);
    const secretariat = await session('sek@norden.test');
    await http
      .post(`/organisations/${org!.id}/contacts`)
      .set('Cookie', secretariat.cookie)
      .type('form')
      .send({ _csrf: secretariat.csrf, contacts: 'x@y.org' })
      .expect(403);
  });

  it('sends a browser after signing in only to a path of its own', async () => {
    const user = 'redirect@norden.test';
    await t.app.get(UsersService).createUser({ email: user, password: PASSWORD, role: 'viewer' });
    const after = async (next: string) =>
      (await http.post('/login').type('form').send({ email: user, password: PASSWORD, next }).expect(303)).headers.location;
    expect(await after('/rounds?state=missing')).toBe('/rounds?state=missing');
    for (const elsewhere of ['/\\evil.example', '//evil.example', 'https://evil.example/', '/\t/evil.example', 'javascript:alert(1)']) {
      expect({ next: elsewhere, location: await after(elsewhere) }).toEqual({ next: elsewhere, location: '/' });
    }
    const login = await http.get(`/login?next=${encodeURIComponent('/\\evil.example')}`).expect(200);
    expect(login.text).not.toContain('evil.example');
  });

  it('ignores a day the calendar does not have on the overdue page, and says so', async () => {
    const { cookie } = await session('sek@norden.test');
    for (const asOf of ['2023-13-45', '2023-02-30']) {
      const page = await http.get(`/overdue?asOf=${asOf}`).set('Cookie', cookie).expect(200);
      expect(page.text).toMatch(/class="notice warn">[^<]*asOf/);
    }
    await t.api.get('/api/attainment?asOf=2023-13-45').expect(400);
  });

  it('slows down password guessing and signs out', async () => {
    for (let i = 0; i < 5; i++)
      await http
        .post('/login')
        .type('form')
        .send({ email: 'admin@norden.test', password: `wrong ${i}` })
        .expect(401);
    const locked = await http.post('/login').type('form').send({ email: 'admin@norden.test', password: PASSWORD }).expect(429);
    expect(locked.text).toContain('Too many failed attempts');

    const { cookie, csrf } = await session('sek@norden.test');
    await http.post('/logout').set('Cookie', cookie).type('form').send({ _csrf: csrf }).expect(303);
    await http.get('/').set('Cookie', cookie).expect(303);
  });

  it('lets 40 parallel wrong passwords check no more than the limit, and refuses the right one while locked', async () => {
    const email = 'parallel@norden.test';
    await t.app.get(UsersService).createUser({ email, password: PASSWORD, role: 'viewer' });
    const attempt = (password: string) =>
      http
        .post('/login')
        .type('form')
        .send({ email, password })
        .then((response) => response.status);
    const wrong = Array.from({ length: 40 }, (_, i) => attempt(`wrong ${i}`));
    // Once a refusal has come back the limit is used up; the right password arrives while the
    // passwords let through may still be being checked.
    const refused = wrong.map((status) => status.then((s) => (s === 429 ? s : new Promise<never>(() => {}))));
    await Promise.race([...refused, Promise.all(wrong)]);
    const right = await attempt(PASSWORD);
    const statuses = await Promise.all(wrong);
    expect(statuses.filter((s) => s === 401)).toHaveLength(5); // checked, and wrong
    expect(statuses.filter((s) => s === 429)).toHaveLength(35); // refused unchecked
    expect(right).toBe(429);
  });

  it('refuses an address after twenty wrong passwords, however many arrive at once, and does not count successes', async () => {
    const auth = t.app.get(AuthService);
    // The address's count as the service keeps it, filled up to 18 of its 20 without 18 slow password checks.
    const addresses = t.app.get(RateLimiter).limit('login-ip', 20, 15 * 60);
    const fill = async (client: string, n: number) => {
      for (let i = 0; i < n; i++) await addresses.take(client);
    };
    const reasonOf = (attempt: Promise<unknown>) =>
      attempt.then(
        () => 'signed in',
        (error: SignInRefused) => error.reason,
      );

    await fill('192.0.2.77', 18);
    const reasons = await Promise.all(
      Array.from({ length: 10 }, (_, i) => reasonOf(auth.signIn(`nobody${i}@norden.test`, 'wrong password', '192.0.2.77'))),
    );
    expect(reasons.filter((r) => r === 'invalid')).toHaveLength(2);
    expect(reasons.filter((r) => r === 'locked')).toHaveLength(8);
    expect(await reasonOf(auth.signIn('view@norden.test', PASSWORD, '192.0.2.77'))).toBe('locked');

    await fill('192.0.2.78', 19);
    expect(await reasonOf(auth.signIn('view@norden.test', PASSWORD, '192.0.2.78'))).toBe('signed in');
    expect(await reasonOf(auth.signIn('view@norden.test', 'wrong password', '192.0.2.78'))).toBe('invalid'); // the 20th
    expect(await reasonOf(auth.signIn('view@norden.test', PASSWORD, '192.0.2.78'))).toBe('locked');
  });

  it('answers a malformed cookie (bad percent-encoding) like no cookie, never with a 5xx', async () => {
    const cookie = 'hp_session=%ZZ; hp_answer_csrf=%E0%A4%A';
    expect((await http.get('/health').set('Cookie', cookie)).status).toBe(200);
    expect((await http.get('/login').set('Cookie', cookie)).status).toBe(200);
    const overview = await http.get('/').set('Cookie', cookie);
    expect(overview.status).toBe(303);
    expect(overview.headers.location).toBe('/login?next=%2F');
    expect((await http.get('/admin/queues').set('Cookie', cookie)).status).toBe(303);
    expect((await http.get(`/r/${'Z'.repeat(43)}`).set('Cookie', cookie)).status).toBe(404);
    const post = await http
      .post(`/r/${'Z'.repeat(43)}`)
      .set('Cookie', cookie)
      .type('form')
      .send({ csrf: 'x' });
    expect(post.status).toBe(404);
    expect((await http.post('/logout').set('Cookie', cookie)).status).toBe(303);
  });

  it('sends each dashboard page with its Content-Security-Policy and no framing', async () => {
    const { cookie } = await session('sek@norden.test');
    for (const response of [await http.get('/login').expect(200), await http.get('/rounds').set('Cookie', cookie).expect(200)]) {
      expect(response.headers['content-security-policy']).toBe(
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
      );
      expect(response.headers['x-frame-options']).toBe('DENY');
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['referrer-policy']).toBe('same-origin');
      expect(response.headers['cache-control']).toBe('no-store');
    }
    // Every other response has the same protections, from helmet.
    const health = await http.get('/health').expect(200);
    expect(health.headers['x-frame-options']).toBe('DENY');
    expect(health.headers['x-content-type-options']).toBe('nosniff');
    expect(health.headers['referrer-policy']).toBe('no-referrer');
  });

  it('records when a token was last used, to the minute, without a write on every request', async () => {
    const lastUsed = async () =>
      (await sql<{ at: string }>(t.db.url, `SELECT to_char("lastUsedAt", 'HH24:MI:SS') AS at FROM "ApiToken" WHERE name = 'tests'`))[0]!.at;
    t.clock.set('2024-11-01T09:00:00Z');
    await t.api.get('/api/organisations').expect(200);
    expect(await lastUsed()).toBe('09:00:00');
    t.clock.set('2024-11-01T09:00:59Z');
    await t.api.get('/api/organisations').expect(200);
    expect(await lastUsed()).toBe('09:00:00');
    t.clock.set('2024-11-01T09:01:00Z');
    await t.api.get('/api/organisations').expect(200);
    expect(await lastUsed()).toBe('09:01:00');
  });

  it('expires sessions', async () => {
    const { cookie } = await session('view@norden.test');
    t.clock.set('2024-11-02T08:00:00Z');
    expect((await http.get('/').set('Cookie', cookie).expect(303)).headers.location).toBe('/login?next=%2F');
  });

  it('creates users from the command line, refusing weak passwords', async () => {
    const env = { DATABASE_URL: t.db.url, HANDLINGSPLAN_PASSWORD: 'short' };
    expect(await cli(['user', 'create', '--email', 'new@norden.test', '--role', 'admin'], env)).toMatchObject({
      code: 2,
      err: expect.stringContaining('password: must be at least 12 characters'),
    });
    expect(await cli(['user', 'create', '--email', 'new@norden.test', '--role', 'boss'], env)).toMatchObject({ code: 64 });
    // Long enough but guessable: blanks, repeats, common passwords, the address itself.
    for (const [weak, rule] of [
      [' '.repeat(12), 'it repeats one character'],
      ['aaaaaaaaaaaa', 'it repeats one character'],
      ['password1234', 'it is close to a commonly used password'],
      ['1qaz2wsx3edc4rfv', 'it is a commonly used password'],
      ['new@norden.test', 'it contains the email address'],
    ]) {
      expect(
        await cli(['user', 'create', '--email', 'new@norden.test', '--role', 'admin'], { ...env, HANDLINGSPLAN_PASSWORD: weak }),
      ).toMatchObject({
        code: 2,
        err: expect.stringContaining(`password: must not be easy to guess, and this one is: ${rule}`),
      });
    }
    await expect(t.app.get(UsersService).createUser({ email: 'x@norden.test', password: ' '.repeat(12), role: 'viewer' })).rejects.toThrow(
      /password: must not be easy to guess/,
    );
    expect(await sql(t.db.url, `SELECT count(*)::int AS n FROM "User" WHERE email IN ('new@norden.test', 'x@norden.test')`)).toEqual([
      { n: 0 },
    ]);
    const created = await cli(['user', 'create', '--email', 'New@Norden.test', '--role', 'admin'], {
      ...env,
      HANDLINGSPLAN_PASSWORD: PASSWORD,
    });
    expect(created).toMatchObject({ code: 0, out: expect.stringContaining('Created admin new@norden.test') });
    expect(
      await cli(['user', 'create', '--email', 'new@norden.test', '--role', 'admin'], { ...env, HANDLINGSPLAN_PASSWORD: PASSWORD }),
    ).toMatchObject({ code: 2, err: expect.stringContaining('already exists') });
  });

  it('changes a password from the command line by the same rules, ending the sessions', async () => {
    const { cookie } = await session('view@norden.test');
    const env = { DATABASE_URL: t.db.url };
    expect(
      await cli(['user', 'password', '--email', 'view@norden.test'], { ...env, HANDLINGSPLAN_PASSWORD: ' '.repeat(12) }),
    ).toMatchObject({
      code: 2,
      err: expect.stringContaining('password: must not be easy to guess, and this one is: it repeats one character'),
    });
    await http.get('/').set('Cookie', cookie).expect(200); // nothing changed
    expect(await cli(['user', 'password', '--email', 'nobody@norden.test'], { ...env, HANDLINGSPLAN_PASSWORD: PASSWORD })).toMatchObject({
      code: 2,
      err: expect.stringContaining('There is no user'),
    });
    const renewed = 'a different long passphrase';
    expect(await cli(['user', 'password', '--email', 'View@Norden.test'], { ...env, HANDLINGSPLAN_PASSWORD: renewed })).toMatchObject({
      code: 0,
      out: 'Changed the password of view@norden.test; their sessions have ended.\n',
    });
    await http.get('/').set('Cookie', cookie).expect(303);
    await http.post('/login').type('form').send({ email: 'view@norden.test', password: PASSWORD }).expect(401);
    await http.post('/login').type('form').send({ email: 'view@norden.test', password: renewed }).expect(303);
  });
});
