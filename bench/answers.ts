import { createHmac } from 'node:crypto';
import type { BenchContext } from './lib/context.js';
import { cpuBetween, describeCpu, readCpu } from './lib/cpu-census.js';
import { withClient } from './lib/db.js';
import { closedLoop, get } from './lib/http.js';
import { Service } from './lib/service.js';
import { SmtpSink } from './lib/smtp-sink.js';
import { count, mib, ms, percentile, verdict, type Table } from './lib/stats.js';
import { serviceEnv, type RoundFixture } from './fanout.js';

const TARGET_RPS = 1_000;
const TARGET_P99_MS = 100;
const STATES = ['in_progress', 'at_risk', 'delayed', 'completed'] as const;

/** The token of an answer link, derived as the service derives it (src/common/signed-links.ts). */
export function answerToken(secret: string, nonce: string): string {
  return createHmac('sha256', secret).update(`answer:${nonce}`).digest('base64url');
}

/**
 * Benchmark 3: answers through the JSON twin of the link form, POST /api/answers/<token>, from a
 * fixed number of concurrent clients in a closed loop, each submission for the next
 * organisation's link and answering every milestone its digest asked about. Every submission is
 * recorded for real (updates, milestone states, a confirmation mail queued and delivered).
 */
export async function answers(
  ctx: BenchContext,
  fixture: RoundFixture,
  options: { concurrency: number; durationMs: number; split?: boolean },
): Promise<Table> {
  // split: the API (PROCESS_ROLE=api) takes the answers and a worker process (PROCESS_ROLE=worker)
  // sends the confirmations, as a deployment would run them; otherwise one process does both.
  const split = options.split ?? false;
  const links = await withClient(fixture.db.url, async (client) => {
    const { rows } = await client.query<{ nonce: string; numbers: number[] }>(
      `SELECT r."tokenNonce" AS nonce, array_agg(rm.number ORDER BY rm.number) FILTER (WHERE NOT rm.optional) AS numbers
       FROM "ReportRequest" r JOIN "RequestMilestone" rm ON rm."requestId" = r.id
       WHERE r."roundId" = $1 AND r.status IN ('sent', 'answered') GROUP BY r.id ORDER BY r.id`,
      [fixture.roundId],
    );
    return rows.map((row) => ({ token: answerToken(ctx.appSecret, row.nonce), numbers: row.numbers ?? [] }));
  });
  if (links.length === 0) throw new Error('the round has no requests to answer');

  const sink = await SmtpSink.start();
  const name = split ? 'answers-split' : 'answers';
  const env = { ...serviceEnv(ctx, name, sink), TOKEN_FAILURES_PER_IP: '1000000' };
  const service = await Service.start({
    name,
    databaseUrl: fixture.db.url,
    logDir: ctx.logDir,
    env: split ? { ...env, PROCESS_ROLE: 'api' } : env,
  });
  const worker = split
    ? await Service.start({
        name: `${name}-worker`,
        databaseUrl: fixture.db.url,
        logDir: ctx.logDir,
        env: { ...env, PROCESS_ROLE: 'worker' },
      })
    : null;
  const cpu = () => service.sampler.figures().cpuMs + (worker?.sampler.figures().cpuMs ?? 0);
  try {
    const probe = await get(`${service.url}/api/answers/${links[0]!.token}`);
    if (probe.status !== 200)
      throw new Error(`GET /api/answers/<token> answered ${probe.status}: ${probe.body.toString('utf8').slice(0, 300)}`);

    const next = (i: number) => {
      const link = links[i % links.length]!;
      return {
        method: 'POST',
        url: `${service.url}/api/answers/${link.token}`,
        body: {
          answers: link.numbers.map((number, k) => ({
            number,
            state: STATES[(i + k) % STATES.length],
            progress: STATES[(i + k) % STATES.length] === 'completed' ? 100 : 20 + ((i * 7 + k * 13) % 70),
            comment: `Bench answer ${i}.${number}: the working group met in October and the report is being drafted.`,
          })),
          final: false,
        },
      };
    };
    ctx.log(
      `answers: warming up, then ${options.durationMs / 1000} s at concurrency ${options.concurrency} over ${count(links.length)} links`,
    );
    await closedLoop({ concurrency: options.concurrency, durationMs: 3_000, maxRequests: 500, next: (i) => next(i + 1_000_000) });
    const before = (await sink.count()).count;
    const roles = new Map([
      [service.pid, split ? 'service API' : 'service'],
      ...(worker ? [[worker.pid, 'service worker'] as const] : []),
      [sink.pid, 'SMTP sink'],
    ]);
    const cpuBefore = cpu();
    const censusBefore = readCpu(roles);
    const result = await closedLoop({ concurrency: options.concurrency, durationMs: options.durationMs, maxRequests: 200_000, next });
    const census = cpuBetween(censusBefore, readCpu(roles));
    const cpuDuring = cpu() - cpuBefore;
    const delivered = (await sink.count()).count - before;
    const backlog = await withClient(fixture.db.url, async (client) => {
      const { rows } = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM "OutboxMessage" WHERE status = 'pending'`);
      return rows[0]!.n;
    });
    const figures = await service.stop();
    ctx.processes.push({ bench: `answers (concurrency ${options.concurrency}${split ? ', API process' : ''})`, figures });
    if (worker) ctx.processes.push({ bench: `answers (concurrency ${options.concurrency}, worker process)`, figures: await worker.stop() });

    const ok = result.latencies.length;
    const rps = result.requests / (result.elapsedMs / 1000);
    const p99 = percentile(result.latencies, 99);
    const answersPer = links[0]!.numbers.length;
    return {
      title: `3${split ? 'b' : ''}. Answers: POST /api/answers/<token> at concurrency ${options.concurrency}${split ? ', API and worker as separate processes' : ''}`,
      columns: ['figure', 'value', 'target', 'verdict'],
      rows: [
        ['submissions', `${count(result.requests)} in ${(result.elapsedMs / 1000).toFixed(1)} s (${count(result.errors)} errors)`, '', ''],
        ['submissions per second', rps.toFixed(0), `≥ ${count(TARGET_RPS)}`, verdict(result.errors === 0 && rps >= TARGET_RPS)],
        ['latency p50', ms(percentile(result.latencies, 50)), '', ''],
        ['latency p90', ms(percentile(result.latencies, 90)), '', ''],
        ['latency p99', ms(p99), `< ${TARGET_P99_MS} ms`, verdict(ok > 0 && p99 < TARGET_P99_MS)],
        ['latency max', ms(percentile(result.latencies, 100)), '', ''],
        [
          `service CPU per submission (API and worker${split ? ' processes' : ''}, with the confirmations delivered)`,
          ms(cpuDuring / result.requests),
          '',
          '',
        ],
        ['confirmation mails delivered during the run', count(delivered), '', ''],
        ['confirmation mails still pending at the end', count(backlog), '', ''],
        [
          split ? 'API process peak RSS' : 'service peak RSS',
          mib(figures.peakRss),
          '< 250 MiB',
          verdict(figures.peakRss < 250 * 1024 * 1024),
        ],
      ],
      notes: [
        `${count(links.length)} links of the round opened by benchmark 1; each submission answers the ${answersPer} milestones its digest asked about (final: false), links in turn`,
        `statuses: ${Object.entries(result.statuses)
          .map(([status, n]) => `${status}: ${count(n)}`)
          .join(', ')}${result.firstError ? `; first error: ${result.firstError}` : ''}`,
        split
          ? 'TOKEN_FAILURES_PER_IP=1000000; the API process (PROCESS_ROLE=api) records answers and queues confirmations, a worker process (PROCESS_ROLE=worker) delivers them'
          : `TOKEN_FAILURES_PER_IP=1000000; API and worker in one process (PROCESS_ROLE=all), so confirmations are delivered while answers come in; service CPU ${(figures.cpuMs / 1000).toFixed(1)} s`,
        'the load generator runs in the bench process on the same 2 cores as the service, PostgreSQL and Redis',
        describeCpu('during the measured run', census, result.requests, 'submission'),
      ],
    };
  } finally {
    await service.stop();
    await worker?.stop();
    await sink.stop();
  }
}
