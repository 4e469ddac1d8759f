import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { AppConfig } from '../config/config.module.js';
import { connectRedis, type RedisConnection } from './redis-connection.js';

/**
 * A Redis connection for everything that is not a BullMQ worker (health checks, rate limits,
 * queue producers). BullMQ needs maxRetriesPerRequest: null on blocking connections; this shared
 * one keeps the default so a check fails fast instead of waiting forever.
 */
@Injectable()
export class RedisService implements OnModuleDestroy {
  readonly client: RedisConnection;

  constructor(config: AppConfig) {
    this.client = connectRedis(config, { lazyConnect: true, enableOfflineQueue: true, connectTimeout: 5_000 });
  }

  async ping(): Promise<string> {
    return this.client.ping();
  }

  async onModuleDestroy(): Promise<void> {
    this.client.disconnect();
  }
}
