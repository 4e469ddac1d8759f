import {
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { DelayedError, Queue, Worker, type Job, type JobsOptions } from 'bullmq';
import { AppConfig } from '../config/config.module.js';
import { connectRedis, type RedisConnection } from './redis-connection.js';
import {
  dailyAt,
  JOB_NAMES,
  QUEUE_NAMES,
  SCHEDULERS,
  STALLED_JOBS,
  queueOf,
  RunLater,
  type JobName,
  type JobPayloads,
  type QueueName,
} from './jobs.js';

export type JobHandler<N extends JobName> = (payload: JobPayloads[N], job: Job<JobPayloads[N]>) => Promise<unknown>;

/**
 * BullMQ for the whole service. Capabilities register one handler per job name; the process
 * refuses to start when a job has no handler (a job that would wait forever) or two. Workers run
 * only where PROCESS_ROLE includes the worker; the API process just enqueues. All keys share one
 * hash-tagged prefix, so every queue lives in one Redis Cluster slot.
 */
@Injectable()
export class QueueService implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger(QueueService.name);
  private readonly handlers = new Map<JobName, JobHandler<JobName>>();
  private readonly queues = new Map<QueueName, Queue>();
  private readonly workers: Worker[] = [];
  private readonly connections: RedisConnection[] = [];
  private connection?: RedisConnection;

  constructor(
    private readonly config: AppConfig,
    private readonly schedules: SchedulerRegistry,
  ) {}

  handle<N extends JobName>(name: N, handler: JobHandler<N>): void {
    if (this.handlers.has(name)) throw new Error(`Job ${name} has two handlers; each job must have exactly one.`);
    this.handlers.set(name, handler as unknown as JobHandler<JobName>);
  }

  get runsWorkers(): boolean {
    return this.config.get('PROCESS_ROLE') !== 'api';
  }

  queue(name: QueueName): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: this.redis(), prefix: this.config.get('QUEUE_PREFIX') });
      this.queues.set(name, queue);
    }
    return queue;
  }

  async add<N extends JobName>(name: N, payload: JobPayloads[N], options: JobsOptions = {}): Promise<void> {
    await this.queue(queueOf(name)).add(name, payload, options);
  }

  async addBulk<N extends JobName>(name: N, jobs: { payload: JobPayloads[N]; options: JobsOptions }[]): Promise<void> {
    if (jobs.length === 0) return;
    // One job (an answer's confirmation) is one script call; BullMQ's bulk wraps even one in MULTI/EXEC.
    if (jobs.length === 1) return this.add(name, jobs[0]!.payload, jobs[0]!.options);
    await this.queue(queueOf(name)).addBulk(jobs.map((job) => ({ name, data: job.payload, opts: job.options })));
  }

  async onApplicationBootstrap(): Promise<void> {
    const missing = JOB_NAMES.filter((name) => !this.handlers.has(name));
    if (missing.length > 0) throw new Error(`No handler for job(s) ${missing.join(', ')}: they would wait forever.`);
    if (!this.runsWorkers) return;

    for (const queueName of QUEUE_NAMES) {
      const worker = new Worker<JobPayloads[JobName]>(queueName, (job, token) => this.run(job, token), {
        connection: this.redis({ blocking: true }),
        prefix: this.config.get('QUEUE_PREFIX'),
        concurrency: queueName === 'mail' ? this.config.get('SMTP_POOL_SIZE') * 2 : 1,
        // A worker killed mid-job leaves it "active": its lock runs out within lockDuration and the
        // next check, every stalledInterval, hands the job to another worker: within 15 s.
        ...STALLED_JOBS,
        // Rendering a very large annual report holds the event loop for many seconds (DOCX and XLSX
        // are built synchronously), so the lock cannot be renewed every 15 s as for mail; a report
        // job keeps its lock for ten minutes instead, and is taken over only after that.
        ...(queueName === 'reports' ? { lockDuration: 600_000 } : {}),
      });
      worker.on('failed', (job, error) =>
        this.logger.warn(`${job?.name} ${job?.id} failed (attempt ${job?.attemptsMade}): ${error.message}`),
      );
      worker.on('error', (error) => this.logger.error(`worker ${queueName}: ${error.message}`));
      this.workers.push(worker);
    }
    await this.ensureSchedulers();
    // After a Redis flush the schedulers are gone too: every worker process puts them back.
    this.schedules.addInterval(
      'ensure-job-schedulers',
      setInterval(() => void this.ensureSchedulers().catch(() => undefined), 60_000),
    );
  }

  /** Idempotent: upserting a scheduler by id never makes a second one. */
  async ensureSchedulers(): Promise<void> {
    await this.queue('rounds').upsertJobScheduler(
      SCHEDULERS.tick,
      { every: this.config.get('TICK_SECONDS') * 1000 },
      { name: 'rounds.tick', data: {}, opts: { removeOnComplete: 100, removeOnFail: 100 } },
    );
    await this.queue('follows').upsertJobScheduler(
      SCHEDULERS.followDigest,
      { pattern: dailyAt(this.config.get('FOLLOW_DIGEST_AT')), tz: this.config.get('TZ') },
      {
        name: 'follows.digest',
        data: {},
        opts: { removeOnComplete: 100, removeOnFail: 100, attempts: 3, backoff: { type: 'exponential', delay: 60_000 } },
      },
    );
  }

  private async run(job: Job<JobPayloads[JobName]>, token?: string): Promise<unknown> {
    const handler = this.handlers.get(job.name as JobName);
    if (!handler) throw new Error(`No handler for job ${job.name}`);
    try {
      return await handler(job.data, job);
    } catch (error) {
      if (!(error instanceof RunLater) || token === undefined) throw error;
      this.logger.log(`${job.name} ${job.id}: ${error.message}; again in ${Math.ceil(error.delayMs / 1000)} s`);
      // BullMQ's way to put an active job back without counting an attempt.
      await job.moveToDelayed(Date.now() + error.delayMs, token);
      throw new DelayedError();
    }
  }

  private redis({ blocking = false } = {}): RedisConnection {
    // Workers block on Redis and need maxRetriesPerRequest: null; producers share one connection.
    // BullMQ does not close connections it was given, so every one is kept here and closed on shutdown.
    if (blocking) {
      const connection = connectRedis(this.config, { maxRetriesPerRequest: null });
      this.connections.push(connection);
      return connection;
    }
    if (!this.connection) {
      this.connection = connectRedis(this.config, { maxRetriesPerRequest: null });
      this.connections.push(this.connection);
    }
    return this.connection;
  }

  /**
   * The first step of a shutdown: take no more jobs and let those in progress finish (close()
   * waits for them), while the database, the SMTP pool and Redis are all still open. A send caught
   * by a SIGTERM is then recorded as sent, not retried by the next worker as a duplicate.
   */
  async beforeApplicationShutdown(): Promise<void> {
    if (this.schedules.doesExist('interval', 'ensure-job-schedulers')) this.schedules.deleteInterval('ensure-job-schedulers');
    await Promise.all(this.workers.map((worker) => worker.close()));
  }

  /** The last step, after the HTTP server has stopped: requests in flight could still enqueue until then. */
  async onApplicationShutdown(): Promise<void> {
    await Promise.all([...this.queues.values()].map((queue) => queue.close()));
    await Promise.all(this.connections.map((connection) => connection.quit().catch(() => connection.disconnect())));
  }
}
