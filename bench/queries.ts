import { createHmac } from 'node:crypto';
import type { BenchContext } from './lib/context.js';
import { createApiToken, createBenchDatabase, withClient } from './lib/db.js';
import { generatePlan, roundShape } from './lib/generate.js';
import { get, request } from './lib/http.js';
import { PgCounter, type PgCounts } from './lib/pg-counter.js';
import { Service } from './lib/service.js';
import { SmtpSink } from './lib/smtp-sink.js';
import { count, type Table } from './lib/stats.js';
import { serviceEnv } from './fanout.js';

/**
 * Diagnosis, not timing: how many SQL statements (and round trips to PostgreSQL) each operation
 * costs, counted by a proxy on the wire. The API and the worker run as separate processes
 * (PROCESS_ROLE=api and worker) behind separate proxies, so their statements are told apart. A
 * figure that grows with the number of organisations or answers is a query per row.
 */
export async function queries(ctx: BenchContext, sizes: number[]): Promise<Table> {
  const rows: string[][] = [];
  const fixed = (value: number) => (Number.isInteger(value) ? String(value) : value.toFixed(1));
  /** A row of figures per operation, averaged over `n` of them; `wallMs` is the client's time for all n. */
  const row = (organisations: string, operation: string, counts: PgCounts, n: number, wallMs?: number) => [
    organisations,
    operation,
    count(n),
    fixed(counts.statements / n),
    fixed(counts.roundTrips / n),
    wallMs === undefined ? '—' : `${(wallMs / n).toFixed(1)} ms`,
    `${(counts.waitMs / n).toFixed(1)} ms`,
  ];
  for (const organisations of sizes) {
    const db = await createBenchDatabase(`queries${organisations}`);
    const sink = await SmtpSink.start();
    const apiCounter = await PgCounter.start(new URL(db.url));
    const workerCounter = await PgCounter.start(new URL(db.url));
    const services: Service[] = [];
    try {
      await generatePlan(db.url, roundShape(organisations, ctx.year));
      const token = await createApiToken(db.url);
      const auth: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
      const env = serviceEnv(ctx, `queries-${organisations}`, sink);
      const api = await Service.start({
        name: `queries-api-${organisations}`,
        databaseUrl: apiCounter.url(db.url),
        logDir: ctx.logDir,
        env: { ...env, PROCESS_ROLE: 'api' },
      });
      services.push(api);
      const worker = await Service.start({
        name: `queries-worker-${organisations}`,
        databaseUrl: workerCounter.url(db.url),
        logDir: ctx.logDir,
        env: { ...env, PROCESS_ROLE: 'worker' },
      });
      services.push(worker);
      await new Promise((resolve) => setTimeout(resolve, 500));

      // Opening the round (POST /api/rounds, which also answers with the round's detail).
      let api0 = apiCounter.snapshot();
      let worker0 = workerCounter.snapshot();
      const delivered = sink.waitFor(organisations, 300_000);
      const opened = await request('POST', `${api.url}/api/rounds`, {
        body: { year: ctx.year, deadline: new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10) },
        headers: auth,
      });
      if (opened.status !== 201)
        throw new Error(`POST /api/rounds answered ${opened.status}: ${opened.body.toString('utf8').slice(0, 300)}`);
      const roundId = (JSON.parse(opened.body.toString('utf8')) as { id: number }).id;
      rows.push(row(count(organisations), 'open a round: POST /api/rounds (whole request)', apiCounter.since(api0), 1, opened.ms));
      if (!(await delivered)) throw new Error('the digests were not delivered within 300 s');
      await settle(db.url);
      rows.push(row('', 'deliver a digest (worker)', workerCounter.since(worker0), organisations));

      // Answers: the same link answered with three milestones, then with one.
      const links = await withClient(db.url, async (client) => {
        const { rows: found } = await client.query<{ nonce: string }>(
          `SELECT "tokenNonce" AS nonce FROM "ReportRequest" WHERE "roundId" = $1 ORDER BY id LIMIT 40`,
          [roundId],
        );
        return found.map((row) => createHmac('sha256', ctx.appSecret).update(`answer:${row.nonce}`).digest('base64url'));
      });
      const submitAll = async (answers: number) => {
        const started = performance.now();
        for (const link of links.slice(0, 20)) {
          const body = {
            answers: [1, 2, 3].slice(0, answers).map((number) => ({ number, state: 'in_progress', progress: 60, comment: 'On track.' })),
            final: false,
          };
          const response = await request('POST', `${api.url}/api/answers/${link}`, { body });
          if (response.status !== 200)
            throw new Error(`POST /api/answers answered ${response.status}: ${response.body.toString('utf8').slice(0, 300)}`);
        }
        return performance.now() - started;
      };
      for (const answers of [1, 3]) {
        await settle(db.url);
        sink.reset();
        api0 = apiCounter.snapshot();
        worker0 = workerCounter.snapshot();
        const confirmations = sink.waitFor(20, 60_000);
        const wallMs = await submitAll(answers);
        const submitted = apiCounter.since(api0);
        await confirmations;
        await settle(db.url);
        const confirmed = workerCounter.since(worker0);
        rows.push(
          row('', `answer a link: POST /api/answers/<token> with ${answers} answer${answers > 1 ? 's' : ''}`, submitted, 20, wallMs),
        );
        if (answers === 1) rows.push(row('', 'deliver an answer confirmation (worker)', confirmed, 20));
      }
      // GETs: one to warm up, then ten counted.
      const gets: [string, string, Record<string, string>][] = [
        ['show a link: GET /api/answers/<token>', `/api/answers/${links[0]}`, {}],
        ['GET /api/attainment', '/api/attainment', auth],
        ['GET /api/goals/1/attainment', '/api/goals/1/attainment', auth],
        ['GET /api/milestones/overdue', '/api/milestones/overdue', auth],
      ];
      for (const [label, path, headers] of gets) {
        const warm = await get(`${api.url}${path}`, headers);
        api0 = apiCounter.snapshot();
        let wallMs = 0;
        for (let i = 0; i < 10; i++) wallMs += (await get(`${api.url}${path}`, headers)).ms;
        rows.push(row('', `${label}${warm.status === 200 ? '' : ` (${warm.status})`}`, apiCounter.since(api0), 10, wallMs));
      }
    } finally {
      for (const service of services) await service.stop();
      await sink.stop();
      await apiCounter.stop();
      await workerCounter.stop();
      await db.drop();
    }
  }
  return {
    title: '6. SQL statements per operation (diagnosis, counted on the wire)',
    columns: ['organisations', 'operation (figures per operation)', 'n', 'statements', 'round trips', 'wall time', 'waiting on PostgreSQL'],
    rows,
    notes: [
      'a figure that grows with the organisations, or with the answers in one submission, is a statement per row; statements = round trips means nothing is pipelined',
      '"waiting on PostgreSQL": time from each Sync/Query to its ReadyForQuery, summed; wall time minus that is the service\'s own work (Prisma, rendering, JSON); times are through the counting proxy, so slightly higher than in benchmarks 1–3',
      'API (PROCESS_ROLE=api) and worker (PROCESS_ROLE=worker) run as separate processes, each through its own counting proxy; GETs are single cold-ish requests',
    ],
  };
}

/** Waits (at most 30 s) until no outbox message is pending. */
async function settle(url: string): Promise<void> {
  const until = Date.now() + 30_000;
  while (Date.now() < until) {
    const pending = await withClient(
      url,
      async (client) =>
        (await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM "OutboxMessage" WHERE status = 'pending'`)).rows[0]!.n,
    );
    if (pending === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
