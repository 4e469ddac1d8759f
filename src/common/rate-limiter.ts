import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/config.module.js';
import { RedisService } from '../queue/redis.service.js';

/** Blocked subjects this process has seen, at most this many (the oldest go first). */
const KNOWN_BLOCKED_MAX = 10_000;

/**
 * Counts failures per key in Redis (shared by every instance) within a fixed window. Used to
 * slow down guessing: answer-link tokens, and sign-in passwords.
 *
 * A process also remembers the subjects it saw blocked, until their window ends, so that a hot
 * path can refuse them without asking Redis and ask Redis only when something fails: an answer
 * with a valid link then costs no Redis round trip at all. Another instance learns of a block with
 * the subject's next failure there.
 */
@Injectable()
export class RateLimiter {
  private readonly knownBlocked = new Map<string, number>();

  constructor(
    private readonly redis: RedisService,
    private readonly config: AppConfig,
  ) {}

  private key(scope: string, subject: string): string {
    return `${this.config.get('QUEUE_PREFIX')}:ratelimit:${scope}:${subject}`;
  }

  async isBlocked(scope: string, subject: string, limit: number): Promise<boolean> {
    const count = Number((await this.redis.client.get(this.key(scope, subject))) ?? 0);
    return count >= limit;
  }

  async recordFailure(scope: string, subject: string, windowSeconds: number): Promise<number> {
    return (await this.increment(this.key(scope, subject), windowSeconds)).count;
  }

  /** One failure more in the subject's window (which the first failure opens), and how long the window has left. */
  private async increment(key: string, windowSeconds: number): Promise<{ count: number; remainingMs: number }> {
    const [[, count], , [, ttl]] = (await this.redis.client.multi().incr(key).expire(key, windowSeconds, 'NX').pttl(key).exec()) as [
      [null, number],
      [null, number],
      [null, number],
    ];
    return { count, remainingMs: ttl > 0 ? ttl : windowSeconds * 1000 };
  }

  /** Without I/O: whether this process has seen the subject blocked in a window that has not ended. */
  isKnownBlocked(scope: string, subject: string): boolean {
    const key = this.key(scope, subject);
    const until = this.knownBlocked.get(key);
    if (until === undefined) return false;
    if (until > Date.now()) return true;
    this.knownBlocked.delete(key);
    return false;
  }

  /**
   * Records a failure and returns the failures in the window so far. Once they reach `limit` the
   * subject is blocked, as isBlocked says, and this process remembers it until the window's end
   * (see isKnownBlocked).
   */
  async countFailure(scope: string, subject: string, limit: number, windowSeconds: number): Promise<number> {
    const key = this.key(scope, subject);
    const { count, remainingMs } = await this.increment(key, windowSeconds);
    if (count >= limit) {
      if (this.knownBlocked.size >= KNOWN_BLOCKED_MAX) this.knownBlocked.delete(this.knownBlocked.keys().next().value!);
      this.knownBlocked.set(key, Date.now() + remainingMs);
    }
    return count;
  }

  async reset(scope: string, subject: string): Promise<void> {
    this.knownBlocked.delete(this.key(scope, subject));
    await this.redis.client.del(this.key(scope, subject));
  }
}
