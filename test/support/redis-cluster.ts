import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Cluster } from 'ioredis';

const run = promisify(execFile);

/** A port that is free, and whose cluster bus port (+10000) is free too. */
async function freePort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 30_000);
    const free = async (p: number) =>
      new Promise<boolean>((resolve) => {
        const server = createServer().once('error', () => resolve(false));
        server.listen(p, '127.0.0.1', () => server.close(() => resolve(true)));
      });
    if ((await free(port)) && (await free(port + 10_000))) return port;
  }
}

/**
 * A real three-node Redis Cluster on loopback (redis-server processes in cluster mode, slots
 * assigned with redis-cli), for the tests that prove the queues work on a cluster too. Nothing is
 * kept on disk beyond a temporary folder that is removed on stop.
 */
export class TestRedisCluster {
  readonly ports: number[] = [];
  private readonly processes: ChildProcess[] = [];
  private dir = '';

  get nodes(): string {
    return this.ports.map((port) => `redis://127.0.0.1:${port}`).join(',');
  }

  async start(size = 3): Promise<this> {
    this.dir = mkdtempSync(join(tmpdir(), 'hp-redis-cluster-'));
    for (let i = 0; i < size; i++) this.ports.push(await freePort());
    for (const port of this.ports) {
      const child = spawn(
        'redis-server',
        [
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          `nodes-${port}.conf`,
          '--save',
          '',
          '--appendonly',
          'no',
          '--dir',
          this.dir,
        ],
        { stdio: 'ignore' },
      );
      child.once('error', (error) => {
        throw new Error(
          `redis-server could not be started for the cluster test (${error.message}); install Redis 7 (apt-get install redis-server).`,
        );
      });
      this.processes.push(child);
    }
    for (const port of this.ports)
      await waitFor(async () => (await run('redis-cli', ['-p', String(port), 'ping'])).stdout.trim() === 'PONG');
    await run('redis-cli', [
      '--cluster',
      'create',
      ...this.ports.map((port) => `127.0.0.1:${port}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ]);
    for (const port of this.ports)
      await waitFor(async () => (await run('redis-cli', ['-p', String(port), 'cluster', 'info'])).stdout.includes('cluster_state:ok'));
    return this;
  }

  /** A connected client of the cluster, for looking at where the keys went. */
  async client(): Promise<Cluster> {
    const client = new Cluster(this.ports.map((port) => ({ host: '127.0.0.1', port })));
    await new Promise<void>((resolve, reject) => client.once('ready', resolve).once('error', reject));
    return client;
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.processes.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGKILL');
          }),
      ),
    );
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}

async function waitFor(check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > until) throw new Error('the test Redis Cluster did not come up in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
