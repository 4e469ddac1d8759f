import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/config.module.js';
import { RedisService } from '../queue/redis.service.js';

/**
 * Counts failures per key in Redis (shared by every instance) within a fixed window. Used to
 * slow down guessing: answer-link tokens, and sign-in passwords.
 */
@Injectable()
export class RateLimiter {
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
    const key = this.key(scope, subject);
    const [[, count]] = (await this.redis.client.multi().incr(key).expire(key, windowSeconds, 'NX').exec()) as [[null, number], [null, number]];
    return count;
  }

  async reset(scope: string, subject: string): Promise<void> {
    await this.redis.client.del(this.key(scope, subject));
  }
}
