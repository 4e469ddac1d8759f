import { readFileSync } from 'node:fs';
import { stripVTControlCharacters } from 'node:util';
import { simpleParser } from 'mailparser';
import { bareNodemailer } from './lib/bare-sender.js';
import { cpuBetween, describeCpu, readCpu, type CpuReading } from './lib/cpu-census.js';
import { queuePrefix, type BenchContext } from './lib/context.js';
import { createApiToken, createBenchDatabase, withClient, type BenchDatabase } from './lib/db.js';
import { generatePlan, roundShape } from './lib/generate.js';
import { request } from './lib/http.js';
import { Service, type ProcessFigures } from './lib/service.js';
import { now, SmtpSink } from './lib/smtp-sink.js';
import { count, kib, mib, seconds, verdict, type Table } from './lib/stats.js';

/** A plan whose round is open, kept for the answers benchmark. */
export interface RoundFixture {
  db: BenchDatabase;
  roundId: number;
  requests: number;
}

export const POOL_SIZE = 5;
const TARGET_MS = 60_000;
const TARGET_N = 10_000;
const TARGET_RATIO = 0.8;

async function outboxState(url: string) {
  return withClient(url, async (client) => {
    const { rows } = await client.query<{ pending: number; sent: number; failed: number }>(
      `SELECT count(*) FILTER (WHERE status = 'pending')::int AS pending, count(*) FILTER (WHERE status = 'sent')::int AS sent,
              count(*) FILTER (WHERE status IN ('failed', 'skipped'))::int AS failed FROM "OutboxMessage"`,
    );
    return rows[0]!;
  });
}

function deadlineIn(days: number): string {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}

export function serviceEnv(ctx: BenchContext, name: string, sink: SmtpSink | null): Record<string, string> {
  return {
    APP_SECRET: ctx.appSecret,
    QUEUE_PREFIX: queuePrefix(ctx, name),
    SMTP_RATE_PER_SECOND: '0',
    SMTP_POOL_SIZE: String(POOL_SIZE),
    MAIL_OUTBOX_DIR: `${ctx.logDir}/outbox-${name}`,
    ...(sink ? { SMTP_URL: sink.url } : {}),
  };
}

export const PROBE_ORGANISATIONS = 10_000;

/**
 * The scope probe: opening a round whose digests list more milestones than one SQL statement can
 * take as parameters (10,000 organisations × 3 due + 1 optional = 40,000). Only the opening is
 * timed; the service is stopped as soon as it has answered.
 */
async function scopeProbe(ctx: BenchContext): Promise<string[]> {
  const db = await createBenchDatabase('probe');
  const sink = await SmtpSink.start();
  try {
    const generated = await generatePlan(db.url, roundShape(PROBE_ORGANISATIONS, ctx.year, 3, 1));
    const token = await createApiToken(db.url);
    const service = await Service.start({ name: 'probe', databaseUrl: db.url, logDir: ctx.logDir, env: serviceEnv(ctx, 'probe', sink) });
    try {
      const t0 = now();
      const response = await request('POST', `${service.url}/api/rounds`, {
        body: { year: ctx.year, deadline: deadlineIn(30) },
        headers: token ? { authorization: `Bearer ${token}` } : {},
      });
      const took = now() - t0;
      await new Promise((resolve) => setTimeout(resolve, 500)); // let the error reach the log file
      const log = stripVTControlCharacters(readFileSync(service.logFile, 'utf8'));
      const code = [/Invalid `prisma\.(\w+\.\w+)\(\)` invocation/.exec(log)?.[1], /code: '(P\d{4})'/.exec(log)?.[1]]
        .filter(Boolean)
        .join(' ');
      const ok = response.status === 201;
      ctx.log(`fan-out: scope probe answered ${response.status}${code ? ` (${code})` : ''} in ${seconds(took)}`);
      return [
        `scope probe: open a round with ${count(PROBE_ORGANISATIONS)} organisations × (3 due + 1 optional) = ${count(generated.milestones)} milestones in scope`,
        ok ? 'opened' : `HTTP ${response.status}${code ? ` (${code})` : ''}`,
        seconds(took),
        '',
        'opens (201)',
        verdict(ok),
      ];
    } finally {
      await service.stop();
    }
  } finally {
    await sink.stop();
    await db.drop();
  }
}

/**
 * Benchmark 1: a plan with `organisations` organisations, each with three open milestones due in
 * the reporting year; POST /api/rounds opens the round, and the clock
 * runs until the local SMTP sink has accepted every digest. Then the baseline: nodemailer alone
 * sends as many copies of one of those digests to the same sink with the same pool.
 */
export async function fanout(
  ctx: BenchContext,
  organisations: number,
  measure = true,
): Promise<{ table: Table | null; fixture: RoundFixture }> {
  const db = await createBenchDatabase('round');
  ctx.log(`fan-out: generating ${count(organisations)} organisations in ${db.name}`);
  const generated = await generatePlan(db.url, roundShape(organisations, ctx.year));
  ctx.log(`fan-out: generated ${count(generated.milestones)} milestones in ${seconds(generated.ms)}`);
  const token = await createApiToken(db.url);
  const sink = await SmtpSink.start();
  let service: Service | null = await Service.start({
    name: 'fanout',
    databaseUrl: db.url,
    logDir: ctx.logDir,
    env: serviceEnv(ctx, 'fanout', sink),
  });
  let serviceFigures: ProcessFigures | null = null;
  try {
    const timeoutMs = Math.max(120_000, organisations * 60);
    const reached = sink.waitFor(organisations, timeoutMs);
    const roles = new Map([
      [service.pid, 'service'],
      [sink.pid, 'SMTP sink'],
    ]);
    const census0 = readCpu(roles);
    const t0 = now();
    const response = await request('POST', `${service.url}/api/rounds`, {
      body: { year: ctx.year, deadline: deadlineIn(30) },
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
    const postMs = now() - t0;
    const cpuAtPost = service.sampler.figures().cpuMs;
    const censusAtPost = readCpu(roles);
    if (response.status !== 201)
      throw new Error(`POST /api/rounds answered ${response.status}: ${response.body.toString('utf8').slice(0, 500)}`);
    const round = JSON.parse(response.body.toString('utf8')) as { id: number; totals: { expected: number } };
    const fixture: RoundFixture = { db, roundId: round.id, requests: round.totals.expected };
    if (!measure) {
      await reached;
      return { table: null, fixture };
    }
    ctx.log(
      `fan-out: round ${round.id} opened in ${seconds(postMs)} with ${count(round.totals.expected)} requests; waiting for the digests`,
    );
    const done = await reached;
    const censusDone = readCpu(roles);
    const serviceMs = done ? done.at - t0 : NaN;
    const deliveryCpuMs = service.sampler.figures().cpuMs - cpuAtPost;
    // Accepted by the server is not yet recorded as sent: wait (bounded) for the outbox to settle.
    let outbox = await outboxState(db.url);
    const settleUntil = Date.now() + 60_000;
    while (outbox.pending > 0 && Date.now() < settleUntil) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      outbox = await outboxState(db.url);
    }
    const settledMs = now() - t0;
    const received = (await sink.count()).count;
    // The secretariat's view of the round: every request with its state.
    const detail = await request('GET', `${service.url}/api/rounds/${round.id}`, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
    serviceFigures = await service.stop();
    service = null;
    ctx.processes.push({ bench: `fan-out (${count(organisations)} digests)`, figures: serviceFigures });

    // The baseline, with a message the service rendered.
    const raw = await sink.sample();
    if (!raw) throw new Error('the SMTP sink kept no message to copy');
    const parsed = await simpleParser(raw);
    const address = (field: typeof parsed.to) => (Array.isArray(field) ? field[0] : field)?.value[0]?.address ?? 'someone@example.org';
    sink.reset();
    ctx.log(`fan-out: bare nodemailer loop, ${count(organisations)} messages of ${(raw.length / 1024).toFixed(1)} KiB`);
    const bareReached = sink.waitFor(organisations, timeoutMs);
    const bareCensus: { window?: [CpuReading, CpuReading] } = {};
    const bareStart = readCpu(roles);
    const bare = await bareNodemailer(
      {
        url: sink.url,
        poolSize: POOL_SIZE,
        inFlight: POOL_SIZE * 2,
        count: organisations,
        message: {
          from: address(parsed.from),
          to: address(parsed.to),
          replyTo: parsed.replyTo ? address(parsed.replyTo) : undefined,
          subject: parsed.subject ?? '',
          html: typeof parsed.html === 'string' ? parsed.html : '',
          text: parsed.text ?? '',
        },
      },
      timeoutMs,
      {
        onStart: (pid) => roles.set(pid, 'bare nodemailer loop'),
        beforeExit: async () => {
          await bareReached;
          bareCensus.window = [bareStart, readCpu(roles)];
        },
      },
    );
    const bareDone = await bareReached;
    const bareMs = bareDone ? bareDone.at - bare.startedAt : NaN;
    const ratio = bareMs / serviceMs;
    const full = organisations >= TARGET_N;
    const rate = (n: number, t: number) => (Number.isFinite(t) ? `${(n / (t / 1000)).toFixed(0)} msg/s` : '—');

    const table: Table = {
      title: `1. Round fan-out: ${count(organisations)} organisations, one digest each`,
      columns: ['what', 'messages', 'time', 'throughput', 'target', 'verdict'],
      rows: [
        ['POST /api/rounds answered (requests + outbox written, jobs enqueued)', count(round.totals.expected), seconds(postMs), '', '', ''],
        ['service: POST → first digest accepted by the SMTP sink', done ? '1' : '', seconds(done ? done.firstAt - t0 : NaN), '', '', ''],
        [
          'service: POST → all digests accepted by the SMTP sink',
          done ? count(organisations) : `${count(received)} of ${count(organisations)} (timed out)`,
          seconds(serviceMs),
          rate(organisations, serviceMs),
          full ? `< ${TARGET_MS / 1000} s for ${count(TARGET_N)}` : `< ${TARGET_MS / 1000} s for ${count(TARGET_N)} (full size only)`,
          full ? verdict(serviceMs < TARGET_MS) : 'n/a',
        ],
        [
          'service: POST → every outbox row marked sent',
          `${count(outbox.sent)} sent, ${outbox.failed} failed, ${outbox.pending} pending`,
          seconds(settledMs),
          '',
          '',
          '',
        ],
        [
          `GET /api/rounds/:id afterwards (${kib(detail.body.length)}, HTTP ${detail.status})`,
          count(round.totals.expected),
          seconds(detail.ms),
          '',
          '',
          '',
        ],
        [
          'bare nodemailer loop, same pool, same sink',
          bareDone ? count(bare.sent) : `${count(bare.sent)} (timed out)`,
          seconds(bareMs),
          rate(organisations, bareMs),
          '',
          '',
        ],
        [
          'ratio: service throughput / bare throughput',
          '',
          '',
          `${ratio.toFixed(2)}×`,
          `≥ ${TARGET_RATIO}×`,
          verdict(ratio >= TARGET_RATIO),
        ],
        await scopeProbe(ctx).catch((error: Error) => ['scope probe', `did not run: ${error.message}`, '', '', '', 'n/a']),
      ],
      notes: [
        `plan: ${count(generated.organisations)} organisations × 1 contact, ${count(generated.milestones)} milestones (3 open, due ${ctx.year}, each), ${count(generated.updates)} earlier comments quoted in the digests; generated in ${seconds(generated.ms)}`,
        `SMTP_POOL_SIZE=${POOL_SIZE}, SMTP_RATE_PER_SECOND=0, mail worker concurrency 2 × pool; baseline keeps ${POOL_SIZE * 2} sends in flight; digest size ${(raw.length / 1024).toFixed(1)} KiB`,
        `service process: peak RSS ${mib(serviceFigures.peakRss)}, CPU ${seconds(serviceFigures.cpuMs, 1)} in all; sink and baseline each run in a process of their own`,
        `CPU per message while delivering: service ${(deliveryCpuMs / organisations).toFixed(2)} ms (from the POST's answer to the last digest, /proc), bare nodemailer ${(bare.cpuMs / organisations).toFixed(2)} ms`,
        describeCpu('opening (POST → its answer)', cpuBetween(census0, censusAtPost), organisations, 'digest'),
        describeCpu('delivering (POST answered → last digest accepted)', cpuBetween(censusAtPost, censusDone), organisations, 'digest'),
        ...(bareCensus.window ? [describeCpu('bare nodemailer loop', cpuBetween(...bareCensus.window), organisations, 'message')] : []),
        `delivery phase alone (first digest → last): service ${rate(organisations - 1, done ? done.at - done.firstAt : NaN)} against bare ${rate(organisations, bareMs)}`,
        ...(bare.failed ? [`baseline failures: ${bare.failed} (${bare.firstError})`] : []),
      ],
    };
    return { table, fixture };
  } finally {
    if (service) {
      const figures = await service.stop();
      if (!serviceFigures && measure) ctx.processes.push({ bench: `fan-out (${count(organisations)} digests, aborted)`, figures });
    }
    await sink.stop();
  }
}
