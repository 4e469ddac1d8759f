import type { BenchContext } from './lib/context.js';
import { createApiToken, createBenchDatabase, withClient } from './lib/db.js';
import { generatePlan, spreadShape } from './lib/generate.js';
import { get, request } from './lib/http.js';
import { Service } from './lib/service.js';
import { count, kib, median, mib, ms, percentile, seconds, verdict, type Table } from './lib/stats.js';
import { serviceEnv } from './fanout.js';

const TARGET_SIZE = 1_000_000;
/**
 * Today's figures; the figures of record of the last full year, approved (issue 15: p95 < 300 and
 * < 100 ms at 1M); and of the year before, not approved, so counted from the history per request.
 */
const endpoints = (year: number) => [
  { path: '/api/attainment', targetMs: 200 },
  { path: '/api/goals/1/attainment', targetMs: 200 },
  { path: '/api/milestones/overdue', targetMs: 50 },
  { path: `/api/attainment?year=${year - 1}`, targetMs: 300 },
  { path: `/api/goals/1/attainment?year=${year - 1}`, targetMs: 100 },
  { path: `/api/attainment?year=${year - 2}`, targetMs: null },
  { path: `/api/goals/1/attainment?year=${year - 2}`, targetMs: null },
];

/**
 * Benchmark 2: the roll-ups and the overdue list on plans of increasing size, each generated in
 * a database of its own and served by a fresh process. Requests are sequential (one client):
 * a few to warm up, then `samples` timed ones, at most a minute per endpoint.
 */
export async function rollups(ctx: BenchContext, sizes: number[], samples: number): Promise<Table> {
  const rows: string[][] = [];
  const notes: string[] = [];
  for (const size of sizes) {
    const db = await createBenchDatabase(`rollup${size}`);
    try {
      const shape = spreadShape(size, ctx.year);
      ctx.log(
        `roll-ups: generating ${count(size)} milestones (${count(shape.contributions)} contributions, ${count(shape.organisations)} organisations)`,
      );
      const generated = await generatePlan(db.url, shape);
      notes.push(
        `${count(generated.milestones)} milestones: ${count(generated.contributions)} contributions of ${count(generated.organisations)} organisations under 5 goals and 25 interventions, ${count(generated.updates)} updates; generated and vacuumed in ${seconds(generated.ms, 1)}`,
      );
      const service = await Service.start({
        name: `rollups-${size}`,
        databaseUrl: db.url,
        logDir: ctx.logDir,
        env: serviceEnv(ctx, `rollups-${size}`, null),
      });
      try {
        // A public dashboard sends no credentials; use a token only if the route wants one.
        let headers: Record<string, string> = {};
        // The last full year had its round and is approved: its figures are counted once, now.
        const token = await createApiToken(db.url);
        await closedRound(db.url, generated.planId, ctx.year - 1);
        const approval = await request('POST', `${service.url}/api/records/${ctx.year - 1}/approve`, {
          body: { plan: generated.planId },
          headers: { authorization: `Bearer ${token}` },
        });
        if (approval.status !== 201)
          throw new Error(`approving ${ctx.year - 1} answered ${approval.status}: ${approval.body.toString('utf8')}`);
        rows.push([count(size), `POST /api/records/${ctx.year - 1}/approve`, '201', '1', ms(approval.ms), '', '', '', 'n/a']);
        ctx.log(`roll-ups: ${count(size)} approving ${ctx.year - 1} took ${ms(approval.ms)}`);
        for (const endpoint of endpoints(ctx.year)) {
          const url = `${service.url}${endpoint.path}`;
          let first = await get(url, headers);
          if (first.status === 401 || first.status === 403) {
            const token = await createApiToken(db.url);
            if (token) {
              headers = { authorization: `Bearer ${token}` };
              const note = `${endpoint.path} answered ${first.status} without credentials; timed with an API token`;
              if (!notes.includes(note)) notes.push(note);
              first = await get(url, headers);
            }
          }
          if (first.status !== 200) {
            rows.push([
              count(size),
              endpoint.path,
              `${first.status} ${first.body.toString('utf8').slice(0, 80)}`,
              '—',
              '—',
              '—',
              '—',
              '',
              'n/a',
            ]);
            continue;
          }
          for (let i = 0; i < 2; i++) await get(url, headers);
          const times: number[] = [];
          let bytes = first.body.length;
          const until = performance.now() + 60_000;
          while (times.length < samples && performance.now() < until) {
            const response = await get(url, headers);
            if (response.status !== 200) throw new Error(`${endpoint.path} answered ${response.status} during the run`);
            times.push(response.ms);
            bytes = response.body.length;
          }
          const p95 = percentile(times, 95);
          const atTarget = size >= TARGET_SIZE && endpoint.targetMs !== null;
          rows.push([
            count(size),
            endpoint.path,
            '200',
            `${times.length}`,
            ms(median(times)),
            ms(p95),
            kib(bytes),
            endpoint.targetMs === null ? '' : atTarget ? `p95 < ${endpoint.targetMs} ms` : `(p95 < ${endpoint.targetMs} ms at 1M)`,
            atTarget ? verdict(p95 < endpoint.targetMs) : 'n/a',
          ]);
          ctx.log(`roll-ups: ${count(size)} ${endpoint.path}: median ${ms(median(times))}, p95 ${ms(p95)}`);
        }
      } finally {
        const figures = await service.stop();
        ctx.processes.push({ bench: `roll-ups (${count(size)} milestones)`, figures });
        rows.push([
          count(size),
          'service peak RSS',
          '',
          '',
          mib(figures.peakRss),
          '',
          '',
          '< 250 MiB',
          verdict(figures.peakRss < 250 * 1024 * 1024),
        ]);
      }
    } finally {
      await db.drop();
    }
  }
  return {
    title: '2. Roll-ups and the overdue list (sequential requests, one client)',
    columns: ['milestones', 'endpoint', 'status', 'n', 'median', 'p95', 'response', 'target', 'verdict'],
    rows,
    notes: [
      ...notes,
      `no query parameters: the current plan, today as asOf (reference year ${ctx.year}), the first page of 50 overdue milestones`,
      `?year=${ctx.year - 1}: a year with a closed round, approved before the timing (its figures are kept at approval); ?year=${ctx.year - 2}: a year with no round and no approval, counted from the history on every request`,
      'the tree grows with the square root of the milestone count (2·√N contributions, one organisation per five), so the responses stay a size a dashboard can use',
    ],
  };
}

/** A round of `year` that has run its course (opened, closed), as a plan's past years have. */
function closedRound(url: string, planId: number, year: number): Promise<void> {
  return withClient(url, async (client) => {
    await client.query(
      `INSERT INTO "ReportingRound" ("planId", year, "opensAt", deadline, "graceUntil", state, "openedAt", "closedAt", "updatedAt")
       VALUES ($1, $2, make_timestamptz($2, 11, 1, 8, 0, 0, 'UTC'), make_timestamptz($2, 12, 1, 23, 0, 0, 'UTC'),
               make_timestamptz($2, 12, 15, 23, 0, 0, 'UTC'), 'closed', make_timestamptz($2, 11, 1, 8, 0, 0, 'UTC'),
               make_timestamptz($2, 12, 15, 23, 0, 0, 'UTC'), now())`,
      [planId, year],
    );
  });
}
