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
  let limiter: RateLimiter;
  let other: RateLimiter;

  beforeAll(async () => {
    t = await startTestApp();
    // Two processes' limiters over the same Redis and prefix.
    limiter = t.app.get(RateLimiter);
    other = new RateLimiter(t.app.get(RedisService), t.app.get(AppConfig));
  });
  afterAll(() => t.close());

  it('blocks at the limit, in the process that saw it at once and in another with its next failure', async () => {
    const a = limiter.limit('token', 5, 60);
    const b = other.limit('token', 5, 60);
    const client = `203.0.113.${Math.floor(Math.random() * 200)}`;
    for (let i = 1; i < 5; i++) expect(await a.take(client)).toBe(true);
    expect(a.blocked(client)).toBe(false);
    expect(await a.take(client)).toBe(true); // the last point…
    expect(a.blocked(client)).toBe(true); // …and from now on refused here without asking Redis
    expect(b.blocked(client)).toBe(false); // the other process has not had to ask yet…
    expect(await b.take(client)).toBe(false); // …and Redis refuses it there
    expect(b.blocked(client)).toBe(true);
  });

  it('counts atomically: of 40 parallel attempts, exactly the limit get through', async () => {
    const a = limiter.limit('token', 5, 60);
    const b = other.limit('token', 5, 60);
    const client = '192.0.2.40';
    const taken = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).take(client)));
    expect(taken.filter(Boolean)).toHaveLength(5);
  });

  it('forgets a block when its window ends, and when it is reset', async () => {
    const client = '198.51.100.7';
    const short = limiter.limit('token', 1, 1);
    expect(await short.take(client)).toBe(true);
    expect(short.blocked(client)).toBe(true);
    expect(await short.take(client)).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(short.blocked(client)).toBe(false);
    expect(await short.take(client)).toBe(true); // a new window

    const long = limiter.limit('token', 1, 60);
    await short.reset(client);
    expect(await long.take(client)).toBe(true);
    expect(long.blocked(client)).toBe(true);
    await long.reset(client);
    expect(long.blocked(client)).toBe(false);
    expect(await long.take(client)).toBe(true);
  });

  it('counts unknown links in Redis, and refuses a client known to be blocked without asking it', async () => {
    const http = t.app.getHttpServer();
    const { default: request } = await import('supertest');
    await redisCommandsDuring(t.app, async (commands) => {
      // No round is open in this app: an unknown link is the only kind there is, and each one counts.
      await request(http)
        .get(`/r/${'Q'.repeat(43)}`)
        .expect(404);
      expect(commands).not.toEqual([]);
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
