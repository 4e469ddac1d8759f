import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { admin, createTestDatabase, databaseUrl } from '../support/databases.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const MAIN = new URL('../../dist/main.js', import.meta.url).pathname;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function health(port: number): Promise<number | 'refused'> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2_000) })).status;
  } catch {
    return 'refused';
  }
}

async function until(condition: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what} (waited ${ms / 1000} s)`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * A supervisor (systemd, a container runtime, `npm run up` under one) stops the service by sending
 * SIGTERM to the process it started: `npm start`. npm hands the signal to its script's process;
 * had that been a shell running node, the shell would have died and node lived on, orphaned,
 * still serving and still holding its jobs.
 */
describe('npm start under a supervisor', () => {
  it('passes SIGTERM on to the service, which shuts down', async () => {
    if (!existsSync(MAIN))
      throw new Error('This test runs the built service (dist/main.js): run `npm run build` first (npm run test:all does).');
    const db = await createTestDatabase();
    const port = await freePort();
    // A process group of its own, so that whatever is left over can be stopped at the end.
    const npm = spawn('npm', ['start', '--silent'], {
      cwd: ROOT,
      detached: true,
      stdio: 'ignore',
      env: {
        ...process.env,
        NODE_ENV: 'test',
        PROCESS_ROLE: 'api',
        PORT: String(port),
        DATABASE_URL: db.url,
        REDIS_URL: 'redis://127.0.0.1:6379',
        QUEUE_PREFIX: `{hp-test-${process.env.HANDLINGSPLAN_TEST_RUN ?? 'adhoc'}-${db.name.slice(-10)}}`,
        YEARLY_ROUND: 'false',
        ANNUAL_REPORT_AUTO: 'false',
      },
    });
    const exited = new Promise<void>((resolve) => npm.once('exit', () => resolve()));
    try {
      await until(async () => (await health(port)) === 200, 60_000, 'the service did not answer /health');
      npm.kill('SIGTERM');
      await exited;
      // The service itself must be gone too, not just npm.
      await until(async () => (await health(port)) === 'refused', 20_000, 'the service was still answering after npm had been stopped');
    } finally {
      try {
        process.kill(-npm.pid!, 'SIGKILL');
      } catch {
        // the group is gone already: nothing was left over
      }
      await db.drop();
    }
  });

  it('refuses to start on a database that lacks migrations, and says which command to run', async () => {
    const name = `handlingsplan_test_${process.env.HANDLINGSPLAN_TEST_RUN ?? 'adhoc'}_unmigrated_${process.pid}`;
    await admin((client) => client.query(`CREATE DATABASE "${name}"`));
    try {
      const port = await freePort();
      const node = spawn(process.execPath, [MAIN], {
        cwd: ROOT,
        stdio: ['ignore', 'ignore', 'pipe'],
        env: { ...process.env, NODE_ENV: 'test', PROCESS_ROLE: 'api', PORT: String(port), DATABASE_URL: databaseUrl(name) },
      });
      let stderr = '';
      node.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => node.once('exit', resolve));
      expect(code).toBe(1);
      expect(stderr).toMatch(/The database lacks \d+ migration\(s\) \(\d{14}_\w+, .*\): run `npm run cli -- db migrate` first/);
      expect(await health(port)).toBe('refused');
    } finally {
      await admin((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    }
  });
});
