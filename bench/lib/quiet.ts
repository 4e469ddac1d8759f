import { readFileSync } from 'node:fs';

/**
 * This machine is shared (other sessions run test suites on it): before each benchmark, wait a
 * bounded time for the CPUs to be mostly idle, and say how busy they were.
 */
function cpuTimes(): { busy: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((sum, value) => sum + value, 0);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0); // idle + iowait
  return { busy: total - idle, total };
}

/** The share of all CPUs that was busy over `ms`. */
export async function cpuBusy(ms: number): Promise<number> {
  const before = cpuTimes();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const after = cpuTimes();
  return (after.busy - before.busy) / Math.max(1, after.total - before.total);
}

/** Waits (at most `maxMs`) until the CPUs are less than `threshold` busy; returns a line for the notes. */
export async function waitForQuiet(log: (message: string) => void, threshold = 0.2, maxMs = 180_000): Promise<string> {
  const started = Date.now();
  let busy = await cpuBusy(2_000);
  while (busy >= threshold && Date.now() - started < maxMs) {
    log(`the CPUs are ${(busy * 100).toFixed(0)}% busy with other work; waiting for them to settle`);
    busy = await cpuBusy(5_000);
  }
  const waited = Math.round((Date.now() - started) / 1000);
  return `CPUs ${(busy * 100).toFixed(0)}% busy with other work just before this benchmark${waited > 3 ? ` (after waiting ${waited} s)` : ''}${busy >= threshold ? ' — figures skewed' : ''}`;
}
