import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import nodemailer, { type TransportOptions } from 'nodemailer';
import { track } from './service.js';
import { now } from './smtp-sink.js';

/**
 * The baseline: nodemailer alone, in a process of its own, with the same pooled transport as the
 * service (same pool size, no rate limit) and as many sends in flight as the service's mail worker
 * runs jobs (2 × pool size), sending `count` copies of a message the service rendered.
 */
export interface BareMessage {
  from: string;
  to: string;
  replyTo?: string;
  subject: string;
  html: string;
  text: string;
}

interface Run {
  url: string;
  poolSize: number;
  inFlight: number;
  count: number;
  message: BareMessage;
}

export interface BareResult {
  sent: number;
  failed: number;
  startedAt: number;
  endedAt: number;
  /** CPU time of the sending process while it sent, in ms. */
  cpuMs: number;
  firstError?: string;
}

async function runBare(run: Run): Promise<BareResult> {
  const transporter = nodemailer.createTransport({
    url: run.url,
    pool: true,
    maxConnections: run.poolSize,
    connectionTimeout: 30_000,
    greetingTimeout: 30_000,
    socketTimeout: 30_000,
  } as TransportOptions);
  const domain = run.message.from.split('@')[1];
  let next = 0;
  let sent = 0;
  let failed = 0;
  let firstError: string | undefined;
  const startedAt = now();
  const cpu = process.cpuUsage();
  const lane = async () => {
    while (next < run.count) {
      const i = next++;
      try {
        await transporter.sendMail({
          ...run.message,
          to: run.message.to.replace('@', `+${i}@`),
          messageId: `<${randomUUID()}@${domain}>`,
          headers: { 'Auto-Submitted': 'auto-generated', 'X-Auto-Response-Suppress': 'OOF, AutoReply' },
          disableFileAccess: true,
          disableUrlAccess: true,
        });
        sent++;
      } catch (error) {
        failed++;
        firstError ??= (error as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: run.inFlight }, lane));
  const endedAt = now();
  const used = process.cpuUsage(cpu);
  transporter.close();
  return { sent, failed, startedAt, endedAt, cpuMs: (used.user + used.system) / 1000, firstError };
}

if (process.argv[2] === '--bare') {
  // Stays until the parent lets go, so that its CPU can still be read once the sink has everything.
  process.on('disconnect', () => process.exit(0));
  process.once('message', (run: Run) => {
    void runBare(run).then((result) => process.send!(result));
  });
}

/**
 * Runs the baseline in a child process and returns its result (with the child's CPU time).
 * `onStart` learns the child's pid; `beforeExit` runs while the child, done, is still there.
 */
export function bareNodemailer(
  run: Run,
  timeoutMs: number,
  hooks: { onStart?: (pid: number) => void; beforeExit?: () => Promise<void> } = {},
): Promise<BareResult> {
  const child = track(fork(new URL(import.meta.url).pathname, ['--bare'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  hooks.onStart?.(child.pid!);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the bare nodemailer loop did not finish within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    child.once('message', (result: BareResult) => {
      clearTimeout(timer);
      void Promise.resolve(hooks.beforeExit?.())
        .finally(() => child.disconnect())
        .then(() => resolve(result), reject);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`the bare nodemailer loop exited with ${code}`));
    });
    child.send(run);
  });
}
