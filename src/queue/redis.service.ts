import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { Redis } from 'ioredis';
import { AppConfig } from '../config/config.module.js';

/**
 * A Redis connection for everything that is not a BullMQ worker (health checks, rate limits,
 * queue producers). BullMQ needs maxRetriesPerRequest: null on blocking connections; this shared
 * one keeps the default so a check fails fast instead of waiting forever.
 */
@Injectable()
export class RedisService implements OnModuleDestroy {
  readonly client: Redis;

  constructor(config: AppConfig) {
    this.client = new Redis(config.get('REDIS_URL'), { lazyConnect: true, enableOfflineQueue: true, connectTimeout: 5_000 });
  }

  async ping(): Promise<string> {
    return this.client.ping();
  }

  async onModuleDestroy(): Promise<void> {
    this.client.disconnect();
  }
}
