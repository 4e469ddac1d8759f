import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { REPO } from './paths.js';
import { get } from './http.js';

/** Peak memory and CPU of one process, read from /proc while it runs. */
export interface ProcessFigures {
  /** VmHWM: the kernel's peak resident set size of the process, in bytes. */
  peakRss: number;
  /** The highest VmRSS seen by sampling every 100 ms, in bytes. */
  sampledRss: number;
  /** User + system CPU time, in ms. */
  cpuMs: number;
  /** VmRSS once the service answered /health, before any work, in bytes. */
  startRss: number;
}

const CLOCK_TICKS = 100; // USER_HZ on Linux

export function readProcess(pid: number): { rss: number; hwm: number; cpuMs: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
    // Fields after the command name (which is in parentheses): utime and stime are the 12th and 13th.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpuMs = ((Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS) * 1000;
    return { rss: kb('VmRSS'), hwm: kb('VmHWM'), cpuMs };
  } catch {
    return null;
  }
}

/** Samples a process every 100 ms until stopped; `figures()` is the last reading with the sampled maximum. */
export class ProcessSampler {
  private sampledRss = 0;
  startRss = NaN;
  private last: { rss: number; hwm: number; cpuMs: number } | null = null;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly pid: number) {
    this.timer = setInterval(() => this.sample(), 100);
    this.timer.unref();
    this.sample();
  }

  sample(): void {
    const now = readProcess(this.pid);
    if (!now) return;
    this.last = now;
    this.sampledRss = Math.max(this.sampledRss, now.rss);
  }

  figures(): ProcessFigures {
    this.sample();
    return { peakRss: this.last?.hwm ?? NaN, sampledRss: this.sampledRss, cpuMs: this.last?.cpuMs ?? NaN, startRss: this.startRss };
  }

  stop(): ProcessFigures {
    const figures = this.figures();
    clearInterval(this.timer);
    return figures;
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const running = new Set<ChildProcess>();

/** The node options of package.json's start script (`exec node <options> dist/main.js`). */
export function startNodeArgs(): string[] {
  const start = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
  const match = /^(?:exec )?node((?: --?[\w-]+(?:=\S+)?)*) dist\/main\.js$/.exec(start);
  if (!match) throw new Error(`package.json's start script is not "exec node [options] dist/main.js": ${start}`);
  return match[1]!.split(' ').filter(Boolean);
}

/** BENCH_SERVICE_ENV: space-separated NAME=value settings for every service the bench starts. */
export function serviceEnvFromBench(): Record<string, string> {
  const pairs = (process.env.BENCH_SERVICE_ENV ?? '').split(' ').filter(Boolean);
  return Object.fromEntries(
    pairs.map((pair) => {
      const at = pair.indexOf('=');
      if (at < 1) throw new Error(`BENCH_SERVICE_ENV: "${pair}" is not NAME=value`);
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
  );
}

/** A child killed by a signal keeps exitCode null: look at both. */
export const alive = (child: ChildProcess) => child.exitCode === null && child.signalCode === null;

/** Ends every child process this bench started and has not stopped yet (on errors and Ctrl-C). */
export function killAllChildren(): void {
  for (const child of running) if (alive(child) && child.pid) process.kill(child.pid, 'SIGKILL');
}

export function track(child: ChildProcess): ChildProcess {
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

export interface ServiceOptions {
  name: string;
  databaseUrl: string;
  logDir: string;
  env?: Record<string, string>;
}

/**
 * The service as it runs in production: `npm start`'s command in a child process of its own, with
 * PROCESS_ROLE=all (API and worker in one process), configured only through its environment.
 */
export class Service {
  readonly url: string;
  readonly sampler: ProcessSampler;
  readonly logFile: string;

  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
    logFile: string,
  ) {
    this.url = `http://127.0.0.1:${port}`;
    this.sampler = new ProcessSampler(child.pid!);
    this.logFile = logFile;
  }

  get pid(): number {
    return this.child.pid!;
  }

  static async start(options: ServiceOptions): Promise<Service> {
    const port = await freePort();
    const logFile = join(options.logDir, `service-${options.name}.log`);
    const log = createWriteStream(logFile);
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      NODE_ENV: 'production',
      PROCESS_ROLE: 'all',
      PORT: String(port),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      DATABASE_URL: options.databaseUrl,
      REDIS_URL: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379',
      YEARLY_ROUND: 'false',
      // The yearly annual report would start generating in the background on a fresh plan; it is not measured here.
      ANNUAL_REPORT_AUTO: 'false',
      // Only the bench moves rounds forward; the reconciler would find nothing to do anyway.
      TICK_SECONDS: '3600',
      TZ: 'Europe/Copenhagen',
      // For comparing a setting by hand, e.g. BENCH_SERVICE_ENV='MAIL_COMPOSE_THREADS=0'.
      ...serviceEnvFromBench(),
      ...options.env,
    };
    // What `npm start` runs, V8 settings included, so the figures are the deployed service's; for
    // profiling a run by hand add e.g. BENCH_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof'.
    const nodeArgs = [...startNodeArgs(), ...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean)];
    const child = track(spawn(process.execPath, [...nodeArgs, 'dist/main.js'], { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] }));
    child.stdout!.pipe(log, { end: false });
    child.stderr!.pipe(log, { end: false });
    const service = new Service(child, port, logFile);
    const until = Date.now() + 60_000;
    for (;;) {
      if (!alive(child)) throw new Error(`the service exited with ${child.exitCode ?? child.signalCode} while starting; see ${logFile}`);
      const health = await get(`${service.url}/health`).catch(() => null);
      if (health?.status === 200) {
        service.sampler.startRss = readProcess(child.pid!)?.rss ?? NaN;
        return service;
      }
      if (Date.now() > until) {
        await service.stop();
        throw new Error(`the service did not become healthy within 60 s; see ${logFile}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /** Stops the process (SIGTERM, then SIGKILL after 15 s) and returns its figures. */
  async stop(): Promise<ProcessFigures> {
    const figures = this.sampler.stop();
    if (alive(this.child)) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => alive(this.child) && this.child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
    return figures;
  }
}
