/**
 * Every queue and job of the service in one place: names, payloads, ids and options.
 * Payloads carry ids only; handlers re-read the database and skip what no longer applies.
 */
export const QUEUE_NAMES = ['mail', 'rounds', 'reports', 'follows'] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

export interface JobPayloads {
  /** Deliver one outbox message. */
  'mail.deliver': { outboxId: number };
  /** Advance every round whose next step is due, and re-enqueue stranded mail. */
  'rounds.tick': Record<string, never>;
  /** Build an annual report's snapshot and render its formats (one at a time: each starts a Chromium). */
  'reports.generate': { reportId: number };
  /** Mail each follower one digest of the changes in what they follow since their last one (daily). */
  'follows.digest': Record<string, never>;
}
export type JobName = keyof JobPayloads;

export const JOB_NAMES = ['mail.deliver', 'rounds.tick', 'reports.generate', 'follows.digest'] as const satisfies readonly JobName[];

export const queueOf = (job: JobName): QueueName => job.split('.')[0] as QueueName;

/**
 * Deterministic ids make enqueueing idempotent: the same message is never queued twice while its
 * job exists. (BullMQ reserves ":" for its own keys, hence the dashes.)
 */
export const jobIds = {
  deliver: (outboxId: number) => `deliver-${outboxId}`,
  report: (reportId: number) => `report-${reportId}`,
};

/** Ids of the job schedulers: one of each exists in Redis however many instances upsert it. */
export const SCHEDULERS = {
  tick: 'tick',
  followDigest: 'follow-digest',
} as const;

/** The cron pattern of a daily job at `at` (HH:MM), run in the configured time zone. */
export const dailyAt = (at: string) => {
  const [hour, minute] = at.split(':').map(Number);
  return `${minute} ${hour} * * *`;
};

/**
 * How soon a job whose worker died is taken over: its lock (renewed every lockDuration / 2 while
 * the worker lives) runs out after lockDuration, and the next stalled check, every
 * stalledInterval, moves it back to waiting: at most 15 s together. A job may stall twice (a
 * second crash); the deliver job itself decides whether a message is sent again.
 */
export const STALLED_JOBS = { lockDuration: 10_000, stalledInterval: 5_000, maxStalledCount: 2 } as const;

/**
 * Thrown by a handler that cannot do its work yet and must not spend an attempt on it (another
 * worker may still be doing it): the job is run again after `delayMs`.
 */
export class RunLater extends Error {
  constructor(
    readonly delayMs: number,
    reason: string,
  ) {
    super(reason);
    this.name = 'RunLater';
  }
}
