import { RateLimiter } from '../../src/common/rate-limiter.js';
import { AppConfig } from '../../src/config/config.module.js';
import { RedisService } from '../../src/queue/redis.service.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { redisCommandsDuring } from '../support/redis-commands.js';

/**
 * The failure counts that stop link guessing live in Redis, shared by every instance; each process
 * also remembers the clients it saw blocked, so that a valid link costs no Redis round trip.
 */
describe('counting wrong links per client across instances', () => {
  let t: TestApp;
  let a: RateLimiter;
  let b: RateLimiter;

  beforeAll(async () => {
    t = await startTestApp();
    // Two processes' limiters over the same Redis and prefix.
    a = t.app.get(RateLimiter);
    b = new RateLimiter(t.app.get(RedisService), t.app.get(AppConfig));
  });
  afterAll(() => t.close());

  it('blocks at the limit, in the process that saw it at once and in another with its next failure', async () => {
    const client = `203.0.113.${Math.floor(Math.random() * 200)}`;
    for (let i = 1; i < 5; i++) expect(await a.countFailure('token', client, 5, 60)).toBe(i);
    expect(a.isKnownBlocked('token', client)).toBe(false);
    expect(await a.countFailure('token', client, 5, 60)).toBe(5);
    expect(a.isKnownBlocked('token', client)).toBe(true);
    expect(await b.isBlocked('token', client, 5)).toBe(true); // Redis says so to anyone who asks…
    expect(b.isKnownBlocked('token', client)).toBe(false); // …but the other process has not had to ask yet
    expect(await b.countFailure('token', client, 5, 60)).toBe(6);
    expect(b.isKnownBlocked('token', client)).toBe(true);
  });

  it('forgets a block when its window ends, and when it is reset', async () => {
    const client = '198.51.100.7';
    await a.countFailure('token', client, 1, 1);
    expect(a.isKnownBlocked('token', client)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(a.isKnownBlocked('token', client)).toBe(false);
    expect(await a.isBlocked('token', client, 1)).toBe(false);

    await a.countFailure('token', client, 1, 60);
    expect(a.isKnownBlocked('token', client)).toBe(true);
    await a.reset('token', client);
    expect(a.isKnownBlocked('token', client)).toBe(false);
    expect(await a.isBlocked('token', client, 1)).toBe(false);
  });

  it('counts unknown links in Redis, and refuses a client known to be blocked without asking it', async () => {
    const http = t.app.getHttpServer();
    const { default: request } = await import('supertest');
    await redisCommandsDuring(t.app, async (commands) => {
      // No round is open in this app: an unknown link is the only kind there is, and each one counts.
      await request(http)
        .get(`/r/${'Q'.repeat(43)}`)
        .expect(404);
      expect(commands).toEqual(expect.arrayContaining(['incr']));
      commands.length = 0;
      for (let i = 0; i < 30; i++) await request(http).get(`/r/${String(i).padStart(43, 'B')}`);
      const refused = await request(http).get(`/r/${'C'.repeat(43)}`);
      expect(refused.status).toBe(429);
      // Refused from memory: the last request sent nothing to Redis.
      const before = commands.length;
      await request(http)
        .get(`/r/${'D'.repeat(43)}`)
        .expect(429);
      expect(commands.length).toBe(before);
    });
  });
});
