import type { ProcessFigures } from './service.js';

/** What every benchmark gets from the runner. */
export interface BenchContext {
  full: boolean;
  logDir: string;
  appSecret: string;
  runId: string;
  /** The reporting year of rounds, and the reference year of roll-ups (the current year). */
  year: number;
  /** Every QUEUE_PREFIX handed to a service, so the runner can delete their keys afterwards. */
  queuePrefixes: string[];
  /** Peak memory of every service process, by the benchmark that ran it. */
  processes: { bench: string; figures: ProcessFigures }[];
  log: (message: string) => void;
}

export function queuePrefix(ctx: BenchContext, name: string): string {
  const prefix = `{hp-bench-${ctx.runId}-${name}}`;
  ctx.queuePrefixes.push(prefix);
  return prefix;
}
