import { Injectable } from '@nestjs/common';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { AppConfig } from '../config/config.module.js';
import { RedisService } from '../queue/redis.service.js';

/** Keys refused from memory, at most this many per limit (the oldest go first). */
const BLOCKED_HERE_MAX = 10_000;

/** Makes attempt limits counted in Redis, under the queue prefix, on the shared connection. */
@Injectable()
export class RateLimiter {
  constructor(
    private readonly redis: RedisService,
    private readonly config: AppConfig,
  ) {}

  /** `points` attempts per key in a window of `windowSeconds`, which the key's first attempt opens. */
  limit(scope: string, points: number, windowSeconds: number): AttemptLimit {
    return new AttemptLimit(
      new RateLimiterRedis({
        storeClient: this.redis.client,
        keyPrefix: `${this.config.get('QUEUE_PREFIX')}:ratelimit:${scope}`,
        points,
        duration: windowSeconds,
      }),
    );
  }
}

/**
 * Attempts per key, counted atomically in Redis and so shared by every instance. A process also
 * remembers the keys it saw use up their points, until their window ends, so that a hot path can
 * refuse them without asking Redis (`blocked`) and ask Redis only when something fails. Another
 * instance learns of a block with the key's next attempt there.
 */
export class AttemptLimit {
  private readonly blockedUntil = new Map<string, number>();

  constructor(private readonly limiter: RateLimiterRedis) {}

  /** Without I/O: whether this process has seen the key use up its points in a window that has not ended. */
  blocked(key: string): boolean {
    const until = this.blockedUntil.get(key);
    if (until === undefined) return false;
    if (until > Date.now()) return true;
    this.blockedUntil.delete(key);
    return false;
  }

  /** Takes a point for an attempt: false if none was left, and the attempt is refused. */
  async take(key: string): Promise<boolean> {
    if (this.blocked(key)) return false;
    try {
      const result = await this.limiter.consume(key);
      if (result.remainingPoints === 0) this.remember(key, result.msBeforeNext);
      return true;
    } catch (error) {
      if (!(error instanceof RateLimiterRes)) throw error;
      this.remember(key, error.msBeforeNext);
      return false;
    }
  }

  /** Gives back the point an attempt took (it succeeded, and only failures should count). */
  async giveBack(key: string): Promise<void> {
    this.blockedUntil.delete(key);
    await this.limiter.reward(key);
  }

  /** Forgets the key's attempts. */
  async reset(key: string): Promise<void> {
    this.blockedUntil.delete(key);
    await this.limiter.delete(key);
  }

  private remember(key: string, ms: number): void {
    if (this.blockedUntil.size >= BLOCKED_HERE_MAX) this.blockedUntil.delete(this.blockedUntil.keys().next().value!);
    this.blockedUntil.set(key, Date.now() + ms);
  }
}
