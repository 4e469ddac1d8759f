import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { AppConfig } from '../config/config.module.js';

/** One Redis or a Redis Cluster: ioredis gives both the same command interface. */
export type RedisConnection = Redis | Cluster;

/**
 * A connection to the configured Redis: REDIS_CLUSTER_NODES when set (the client discovers the
 * rest of the cluster from them and follows MOVED/ASK redirections), otherwise REDIS_URL.
 * Credentials and TLS are taken from the first node's URL and apply to every node.
 */
export function connectRedis(config: Pick<AppConfig, 'get'>, options: RedisOptions = {}): RedisConnection {
  const nodes = config.get('REDIS_CLUSTER_NODES');
  if (!nodes?.length) return new Redis(config.get('REDIS_URL'), options);
  const first = new URL(nodes[0]!);
  const redisOptions: RedisOptions = {
    ...options,
    username: decodeURIComponent(first.username) || undefined,
    password: decodeURIComponent(first.password) || undefined,
    tls: first.protocol === 'rediss:' ? {} : undefined,
  };
  return new Cluster(
    nodes.map((node) => {
      const url = new URL(node);
      return { host: url.hostname, port: Number(url.port || 6379) };
    }),
    {
      redisOptions,
      lazyConnect: options.lazyConnect,
      enableOfflineQueue: options.enableOfflineQueue,
    },
  );
}
