import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { Redis } from 'ioredis';
import { ADMIN_URL, withClient } from './db.js';

/** What the figures were measured on, from /proc and the servers themselves. */
export async function describeMachine(redisUrl: string): Promise<string[]> {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? cpus()[0]?.model ?? 'unknown';
  const meminfo = readFileSync('/proc/meminfo', 'utf8');
  const memKb = Number(/^MemTotal:\s+(\d+) kB/m.exec(meminfo)?.[1] ?? 0);
  const postgres = await withClient(ADMIN_URL, async (client) => {
    const version = (await client.query<{ v: string }>('SELECT version() AS v')).rows[0]!.v.split(' on ')[0];
    const settings = (
      await client.query<{ name: string; setting: string; unit: string | null }>(
        `SELECT name, setting, unit FROM pg_settings WHERE name IN ('shared_buffers', 'work_mem', 'max_parallel_workers_per_gather')`,
      )
    ).rows;
    const show = settings.map(
      (s) =>
        `${s.name}=${s.unit === '8kB' ? `${(Number(s.setting) * 8) / 1024}MB` : s.unit === 'kB' ? `${Number(s.setting) / 1024}MB` : s.setting}`,
    );
    return `${version} (${show.join(', ')})`;
  }).catch((error: Error) => `unreachable: ${error.message}`);
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  const redisVersion = await redis
    .connect()
    .then(() => redis.info('server'))
    .then((info) => /^redis_version:(.+)$/m.exec(info)?.[1]?.trim() ?? 'unknown')
    .catch((error: Error) => `unreachable: ${error.message}`)
    .finally(() => redis.disconnect());
  return [
    `CPU: ${cpus().length} × ${model} (/proc/cpuinfo)`,
    `memory: ${(memKb / 1024 / 1024).toFixed(1)} GiB (/proc/meminfo MemTotal)`,
    `Node.js ${process.version}, ${postgres}, Redis ${redisVersion}, all on this machine (loopback)`,
  ];
}
