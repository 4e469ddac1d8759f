import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { annualReport } from './annual-report.js';
import { answers } from './answers.js';
import { fanout, type RoundFixture } from './fanout.js';
import { queries } from './queries.js';
import { rollups } from './rollups.js';
import type { BenchContext } from './lib/context.js';
import { dropAllBenchDatabases } from './lib/db.js';
import { describeMachine } from './lib/machine.js';
import { waitForQuiet } from './lib/quiet.js';
import { REPO } from './lib/paths.js';
import { killAllChildren, startNodeArgs } from './lib/service.js';
import { count, mib, renderTable, seconds, verdict, type Table } from './lib/stats.js';

/**
 * npm run bench [-- --full] [-- --only fanout,rollups,answers,report,queries]
 *
 * Runs the benchmarks against the built service (dist/), PostgreSQL and Redis on this machine,
 * prints a table per benchmark and writes them to bench/results/<size>-<date>.md.
 */
const USAGE = `Usage: npm run bench [-- --full] [-- --only fanout,rollups,answers,report,queries]

  (default)  quick size: 1,000 organisations; roll-ups at 10k and 100k milestones; 20 s of answers
  --full     full size: 10,000 organisations; roll-ups at 10k, 100k and 1M milestones; 30 s of answers
  --only     a comma-separated subset of fanout, rollups, answers, report, queries (answers opens a
             round itself if fanout is not run; report makes the annual report of the real plan and
             of 100k generated milestones; queries counts SQL statements per operation)
  --keep     keep the bench databases (handlingsplan_bench_*) instead of dropping them

Needs PostgreSQL (BENCH_ADMIN_DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/postgres)
and Redis (BENCH_REDIS_URL, default redis://127.0.0.1:6379). Results: bench/results/.`;

const BENCHES = ['fanout', 'rollups', 'answers', 'report', 'queries'] as const;
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

async function deleteQueueKeys(prefixes: string[]): Promise<void> {
  if (prefixes.length === 0) return;
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  try {
    for (const prefix of prefixes) {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length) await redis.del(...keys);
      } while (cursor !== '0');
    }
  } finally {
    redis.disconnect();
  }
}

const loadAverage = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      full: { type: 'boolean', default: false },
      only: { type: 'string' },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const selected = values.only ? values.only.split(',').map((name) => name.trim()) : [...BENCHES];
  const unknown = selected.filter((name) => !(BENCHES as readonly string[]).includes(name));
  if (unknown.length) {
    console.error(`Unknown benchmark(s): ${unknown.join(', ')}\n\n${USAGE}`);
    return 64;
  }
  const full = values.full;
  const size = full
    ? { organisations: 10_000, rollups: [10_000, 100_000, 1_000_000], samples: 30, answersMs: 30_000 }
    : { organisations: 1_000, rollups: [10_000, 100_000], samples: 20, answersMs: 20_000 };
  const concurrency = 10;

  const started = new Date();
  const loadAtStart = loadAverage();
  const ctx: BenchContext = {
    full,
    logDir: mkdtempSync(join(tmpdir(), 'handlingsplan-bench-')),
    appSecret: randomBytes(32).toString('hex'),
    runId: randomBytes(3).toString('hex'),
    year: started.getFullYear(),
    queuePrefixes: [],
    processes: [],
    log: (message) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`),
  };
  const command = `npm run bench${full ? ' -- --full' : ''}${values.only ? ` -- --only ${values.only}` : ''}`;
  const machine = await describeMachine(REDIS_URL);
  const header = [
    `# handlingsplan benchmarks (${full ? 'full' : 'quick'} size)`,
    '',
    `- date: ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    `- command: \`${command}\``,
    ...(process.env.BENCH_SERVICE_ENV
      ? [`- BENCH_SERVICE_ENV: \`${process.env.BENCH_SERVICE_ENV}\` (added to every service's environment)`]
      : []),
    ...(process.env.BENCH_NODE_ARGS
      ? [
          `- BENCH_NODE_ARGS: \`${process.env.BENCH_NODE_ARGS}\` (added to the start script's node options; the last value of an option counts)`,
        ]
      : []),
    ...machine.map((line) => `- ${line}`),
    `- service: \`node ${[...startNodeArgs(), ''].join(' ')}dist/main.js\` (as \`npm start\`), PROCESS_ROLE=all, NODE_ENV=production, one fresh process per benchmark; logs in ${ctx.logDir}`,
    `- load average (1, 5, 15 min) before the run: ${loadAtStart} — other work on the machine skews the figures`,
    '',
  ].join('\n');
  console.log(header);

  const sections: string[] = [];
  const emit = (table: Table) => {
    const text = renderTable(table);
    sections.push(text);
    console.log(text);
  };
  const failed = (name: string, error: unknown) => {
    ctx.log(`${name} failed: ${(error as Error).stack ?? String(error)}`);
    emit({
      title: `${name}: did not complete`,
      columns: ['error'],
      rows: [
        [
          String((error as Error).message ?? error)
            .replace(/\|/g, '\\|')
            .slice(0, 500),
        ],
      ],
      notes: [],
    });
  };

  const onSignal = () => {
    killAllChildren();
    void Promise.allSettled([values.keep ? Promise.resolve() : dropAllBenchDatabases(), deleteQueueKeys(ctx.queuePrefixes)]).then(() =>
      process.exit(130),
    );
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  let fixture: RoundFixture | null = null;
  try {
    if (selected.includes('fanout')) {
      try {
        const quiet = await waitForQuiet(ctx.log);
        const result = await fanout(ctx, size.organisations);
        fixture = result.fixture;
        emit({ ...result.table!, notes: [...result.table!.notes, quiet] });
      } catch (error) {
        failed('1. Round fan-out', error);
      }
    }
    if (selected.includes('rollups')) {
      try {
        const quiet = await waitForQuiet(ctx.log);
        const table = await rollups(ctx, size.rollups, size.samples);
        emit({ ...table, notes: [...table.notes, quiet] });
      } catch (error) {
        failed('2. Roll-ups', error);
      }
    }
    if (selected.includes('answers')) {
      try {
        fixture ??= (await fanout(ctx, size.organisations, false)).fixture;
        const quiet = await waitForQuiet(ctx.log);
        const table = await answers(ctx, fixture, { concurrency, durationMs: size.answersMs });
        emit({ ...table, notes: [...table.notes, quiet] });
        const quietAgain = await waitForQuiet(ctx.log);
        const splitTable = await answers(ctx, fixture, { concurrency, durationMs: size.answersMs, split: true });
        emit({ ...splitTable, notes: [...splitTable.notes, quietAgain] });
      } catch (error) {
        failed('3. Answers', error);
      }
    }
    if (selected.includes('report')) {
      try {
        const quiet = await waitForQuiet(ctx.log);
        const table = await annualReport(ctx, 100_000);
        emit({ ...table, notes: [...table.notes, quiet] });
      } catch (error) {
        failed('5. Annual report', error);
      }
    }
    emit({
      title: '4. Peak memory of the service process (VmHWM from /proc/<pid>/status)',
      columns: ['benchmark', 'RSS when ready', 'peak RSS (VmHWM)', 'highest sampled VmRSS', 'CPU time', 'target', 'verdict'],
      rows: ctx.processes.map(({ bench, figures }) => [
        bench,
        mib(figures.startRss),
        mib(figures.peakRss),
        mib(figures.sampledRss),
        seconds(figures.cpuMs, 1),
        '< 250 MiB',
        verdict(figures.peakRss < 250 * 1024 * 1024),
      ]),
      notes: ['one service process per benchmark (per size for roll-ups), API and worker together (PROCESS_ROLE=all)'],
    });
    if (selected.includes('queries')) {
      try {
        emit(await queries(ctx, full ? [100, 1_000, 10_000] : [100, 1_000]));
      } catch (error) {
        failed('6. SQL statements per operation', error);
      }
    }
  } finally {
    killAllChildren();
    if (!values.keep) await dropAllBenchDatabases();
    await deleteQueueKeys(ctx.queuePrefixes).catch((error: Error) => ctx.log(`could not delete queue keys: ${error.message}`));
  }

  const resultsDir = join(REPO, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, `${full ? 'full' : 'quick'}-${started.toISOString().slice(0, 16).replace(/:/g, '-')}.md`);
  writeFileSync(file, `${header}\n${sections.join('\n')}\nLoad average (1, 5, 15 min) after the run: ${loadAverage()}.\n`);
  ctx.log(
    `done in ${seconds(Date.now() - started.getTime(), 0)}; written to ${file.slice(REPO.length + 1)} (${count(sections.length)} tables)`,
  );
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    killAllChildren();
    process.exit(1);
  },
);
