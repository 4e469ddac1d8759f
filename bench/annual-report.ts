import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import type { BenchContext } from './lib/context.js';
import { createApiToken, createBenchDatabase } from './lib/db.js';
import { generatePlan, spreadShape } from './lib/generate.js';
import { get, request } from './lib/http.js';
import { REPO } from './lib/paths.js';
import { Service } from './lib/service.js';
import { count, kib, mib, ms, seconds, verdict, type Table } from './lib/stats.js';
import { serviceEnv } from './fanout.js';

const FORMATS = ['html', 'pdf', 'docx', 'xlsx'] as const;
const TARGETS: Record<(typeof FORMATS)[number], number | null> = { html: 2_000, pdf: 5_000, docx: 2_000, xlsx: null };
const REAL_PLAN = 'seeds/nordic-regional-2021-24.yaml';

/**
 * Benchmark 5: the annual report, asked for through the API as the secretariat would, made by the
 * job. The service times each format itself and logs it ("html 231 kB in 84 ms, …"); the bench
 * reads those figures from the log and times the whole, from POST to ready, by polling.
 */
export async function annualReport(ctx: BenchContext, generatedSize: number): Promise<Table> {
  const rows: string[][] = [];
  const notes: string[] = [];
  const cases = [
    {
      label: 'real plan (109 milestones)',
      year: 2023,
      prepare: async (url: string) =>
        void (await promisify(execFile)(process.execPath, ['dist/cli.js', 'plan', 'import', REAL_PLAN], {
          cwd: REPO,
          env: { PATH: process.env.PATH ?? '', DATABASE_URL: url },
        })),
    },
    {
      label: `generated, ${count(generatedSize)} milestones`,
      year: ctx.year - 1,
      prepare: async (url: string) => {
        const generated = await generatePlan(url, spreadShape(generatedSize, ctx.year));
        notes.push(
          `generated plan: ${count(generated.milestones)} milestones in ${count(generated.contributions)} contributions, ${count(generated.updates)} updates`,
        );
      },
    },
  ];
  for (const [index, example] of cases.entries()) {
    const db = await createBenchDatabase(`report${index}`);
    try {
      await example.prepare(db.url);
      const token = (await createApiToken(db.url))!;
      const headers = { authorization: `Bearer ${token}` };
      const name = `report-${index}`;
      const service = await Service.start({
        name,
        databaseUrl: db.url,
        logDir: ctx.logDir,
        env: { ...serviceEnv(ctx, name, null), LOG_JSON: 'false' },
      });
      try {
        const started = performance.now();
        const asked = await request('POST', `${service.url}/api/annual-reports`, { body: { year: example.year, language: 'da' }, headers });
        if (asked.status !== 202)
          throw new Error(`POST /api/annual-reports answered ${asked.status}: ${asked.body.toString('utf8').slice(0, 200)}`);
        const id = (JSON.parse(asked.body.toString('utf8')) as { id: number }).id;
        let status = 'queued';
        let error = '';
        const until = performance.now() + 15 * 60_000;
        while (status === 'queued' || status === 'generating') {
          if (performance.now() > until) throw new Error(`report ${id} still ${status} after 15 minutes`);
          await new Promise((resolve) => setTimeout(resolve, 100));
          // The job renders in the same process (PROCESS_ROLE=all) and holds its event loop for
          // seconds at a time; a kept-alive connection may be closed meanwhile: ask again.
          const response = await get(`${service.url}/api/annual-reports/${id}`, headers).catch(() => null);
          if (!response) continue;
          const report = JSON.parse(response.body.toString('utf8')) as { status: string; error: string | null };
          status = report.status;
          error = report.error ?? '';
        }
        const total = performance.now() - started;
        if (status !== 'ready') {
          rows.push([example.label, 'all', status, '—', '—', '', `failed: ${error.slice(0, 200)}`]);
          continue;
        }
        // "annual report 1 … ready: html 231 kB in 84 ms, pdf 1024 kB in 2100 ms, …"
        const log = readFileSync(service.logFile, 'utf8');
        const line =
          log
            .split('\n')
            .reverse()
            .find((l) => /html \d+ kB in \d+ ms/.test(l)) ?? '';
        const snapshot = /snapshot in (\d+) ms/.exec(line);
        rows.push([example.label, 'snapshot (the data, from the database)', snapshot ? ms(Number(snapshot[1])) : '—', '', '', '', 'n/a']);
        for (const format of FORMATS) {
          const match = new RegExp(`${format} (\\d+) kB in (\\d+) ms`).exec(line);
          const took = match ? Number(match[2]) : NaN;
          const target = TARGETS[format];
          const isReal = index === 0;
          rows.push([
            example.label,
            format,
            ms(took),
            match ? kib(Number(match[1]) * 1024) : '—',
            '',
            isReal && target ? `< ${seconds(target, 0)}` : '',
            isReal && target ? verdict(took < target) : 'n/a',
          ]);
        }
        rows.push([example.label, 'POST → ready (snapshot, every format, storing, mail)', ms(total), '', '', '', 'n/a']);
      } catch (error) {
        rows.push([
          example.label,
          'all',
          '—',
          '—',
          '',
          '',
          `did not complete: ${String((error as Error).message)
            .replace(/\|/g, '/')
            .slice(0, 200)}`,
        ]);
      } finally {
        const figures = await service.stop();
        ctx.processes.push({ bench: `annual report (${example.label})`, figures });
        rows.push([example.label, 'service peak RSS', '', '', mib(figures.peakRss), '', 'n/a']);
      }
    } finally {
      await db.drop();
    }
  }
  return {
    title: '5. Annual report generation (one report, Danish, made by the job; per-format times as the service logs them)',
    columns: ['plan', 'format', 'time', 'size', 'memory', 'target', 'verdict'],
    rows,
    notes: [
      ...notes,
      'PDF: headless Chromium (Debian package) started per report, included in its time; the targets apply to the real plan',
    ],
  };
}
