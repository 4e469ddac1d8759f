import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '../config/config.module.js';
import { connectRedis, type RedisConnection } from './redis-connection.js';

/**
 * A Redis connection for everything that is not a BullMQ worker (health checks, rate limits,
 * queue producers). BullMQ needs maxRetriesPerRequest: null on blocking connections; this shared
 * one keeps the default so a check fails fast instead of waiting forever.
 */
@Injectable()
export class RedisService implements OnApplicationShutdown {
  readonly client: RedisConnection;

  constructor(config: AppConfig) {
    this.client = connectRedis(config, { lazyConnect: true, enableOfflineQueue: true, connectTimeout: 5_000 });
  }

  async ping(): Promise<string> {
    return this.client.ping();
  }

  /** After the HTTP server has stopped: a request in flight may still count a failed link. */
  onApplicationShutdown(): void {
    this.client.disconnect();
  }
}
