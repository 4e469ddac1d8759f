import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/**
 * Who spent the machine's CPU between two moments: every process on it, read from /proc and
 * grouped by role. The service's own CPU is not the whole cost of a digest or an answer:
 * PostgreSQL, Redis and the SMTP sink share the same cores, and on two cores their share decides
 * how far the service can go. The census turns that into a figure: CPU per operation, and the
 * rate the cores could carry at that cost.
 */

const CLOCK_TICKS = 100; // USER_HZ on Linux

/** pid → label for the processes the bench started (services, the sink, the baseline). */
export type Roles = ReadonlyMap<number, string>;

/** Cumulative CPU (ms) per process or thread, with the group it counts in. */
export interface CpuReading {
  at: number;
  entries: Map<string, { group: string; ms: number }>;
}

function cpuMs(statPath: string): { comm: string; ms: number } | null {
  try {
    const stat = readFileSync(statPath, 'utf8');
    const close = stat.lastIndexOf(')');
    const fields = stat.slice(close + 2).split(' ');
    return { comm: stat.slice(stat.indexOf('(') + 1, close), ms: ((Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS) * 1000 };
  } catch {
    return null; // the process ended between listing and reading
  }
}

export function readCpu(roles: Roles): CpuReading {
  const entries = new Map<string, { group: string; ms: number }>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    const label = roles.get(pid);
    if (label !== undefined && label.startsWith('service')) {
      // Node's threads all say "node"; only the main one is told apart (its id is the process's).
      // The others are the mail compose threads, V8's garbage collection helpers and libuv's pool.
      for (const tid of readdirSync(`/proc/${pid}/task`)) {
        const thread = cpuMs(`/proc/${pid}/task/${tid}/stat`);
        if (thread) entries.set(`${pid}/${tid}`, { group: `${label}: ${tid === name ? 'main thread' : 'other threads'}`, ms: thread.ms });
      }
      continue;
    }
    const proc = cpuMs(`/proc/${pid}/stat`);
    if (!proc || proc.ms === 0) continue;
    const group =
      label ??
      (pid === process.pid
        ? 'bench (load generator, clock)'
        : proc.comm.startsWith('postgres')
          ? 'PostgreSQL'
          : proc.comm === 'redis-server'
            ? 'Redis'
            : 'everything else');
    entries.set(name, { group, ms: proc.ms });
  }
  return { at: performance.now(), entries };
}

export interface CpuSpent {
  /** ms of CPU per group, largest first. */
  groups: { group: string; ms: number }[];
  totalMs: number;
  wallMs: number;
}

/** CPU between two readings; a process that started in between counts from zero. */
export function cpuBetween(before: CpuReading, after: CpuReading): CpuSpent {
  const groups = new Map<string, number>();
  for (const [key, { group, ms }] of after.entries) {
    const spent = ms - (before.entries.get(key)?.ms ?? 0);
    if (spent > 0) groups.set(group, (groups.get(group) ?? 0) + spent);
  }
  const sorted = [...groups].map(([group, ms]) => ({ group, ms })).sort((a, b) => b.ms - a.ms);
  return { groups: sorted, totalMs: sorted.reduce((sum, g) => sum + g.ms, 0), wallMs: after.at - before.at };
}

/**
 * One line for the notes: CPU per operation by group, the machine's load over the window, and
 * the rate the cores could carry if every one of them did nothing else.
 */
export function describeCpu(what: string, spent: CpuSpent, operations: number, unit: string): string {
  const cores = availableParallelism();
  const per = (ms: number) => (ms / operations).toFixed(2);
  const shown = spent.groups.filter((g) => g.ms / operations >= 0.005);
  const ceiling = (cores * 1000) / (spent.totalMs / operations);
  return (
    `CPU per ${unit}, ${what}, every process on the machine (/proc): ` +
    shown.map((g) => `${g.group} ${per(g.ms)} ms`).join(', ') +
    `; ${per(spent.totalMs)} ms in all, the ${cores} cores ${((100 * spent.totalMs) / (cores * spent.wallMs)).toFixed(0)} % busy` +
    ` → at this cost the cores carry at most ${ceiling.toFixed(0)} ${unit}s/s`
  );
}
