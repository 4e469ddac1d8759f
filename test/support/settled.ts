import type { INestApplication } from '@nestjs/common';
import type { JobType } from 'bullmq';
import { QueueService } from '../../src/queue/queue.service.js';
import { sqlOne } from './sql.js';
import type { TestSmtpServer } from './smtp.js';

/**
 * Polls `condition` until it holds, and fails with what `describe` says after `ms`. The short
 * pause between polls only paces the loop: the test goes on as soon as the condition holds.
 */
export async function until(
  condition: () => boolean | Promise<boolean>,
  {
    ms = 20_000,
    every = 25,
    describe = () => 'condition',
  }: { ms?: number; every?: number; describe?: () => string | Promise<string> } = {},
): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`still not settled after ${ms} ms: ${await describe()}`);
    await new Promise((resolve) => setTimeout(resolve, every));
  }
}

/** Jobs of one queue that are still to run or running (a retry waiting out its backoff is "delayed"). */
const UNFINISHED: JobType[] = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children'];

export interface Quiet {
  mail: number;
  reports: number;
  rounds: number;
  pendingOutbox: number;
  smtpReceiving: number;
}

/** What is still in flight: unfinished jobs per queue, pending outbox rows, messages the SMTP server is still taking in. */
export async function inFlight(t: { app: INestApplication; db: { url: string } }, smtp?: TestSmtpServer): Promise<Quiet> {
  const queues = t.app.get(QueueService);
  const count = async (name: 'mail' | 'reports' | 'rounds', states: JobType[]) => {
    const counts = await queues.queue(name).getJobCounts(...states);
    return Object.values(counts).reduce((sum, n) => sum + n, 0);
  };
  const [mail, reports, rounds, { n: pendingOutbox }] = await Promise.all([
    count('mail', UNFINISHED),
    count('reports', UNFINISHED),
    // The tick's job scheduler always keeps its next run delayed: only a tick running or due counts.
    count('rounds', ['waiting', 'active', 'prioritized']),
    sqlOne<{ n: number }>(t.db.url, `SELECT count(*)::int AS n FROM "OutboxMessage" WHERE status = 'pending'`),
  ]);
  return { mail, reports, rounds, pendingOutbox, smtpReceiving: smtp?.receiving ?? 0 };
}

/**
 * Waits until the service has nothing left to send: no mail, report or tick job waiting, running
 * or delayed for a retry in its queues, no pending outbox row, and (given the test's SMTP server)
 * no message half-received. A job completes only after the SMTP server accepted its message, so
 * once this holds every message that was going to arrive has arrived, and "nothing more was sent"
 * can be asserted at once instead of after a sleep.
 */
export async function settled(
  t: { app: INestApplication; db: { url: string } },
  { smtp, ms = 20_000 }: { smtp?: TestSmtpServer; ms?: number } = {},
) {
  let last: Quiet | undefined;
  await until(
    async () => {
      last = await inFlight(t, smtp);
      return Object.values(last).every((n) => n === 0);
    },
    { ms, describe: () => JSON.stringify(last) },
  );
}
