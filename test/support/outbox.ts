import { sqlOne } from './sql.js';

/** Waits until the outbox has no pending message: the worker delivered, or gave up on, everything. */
export async function outboxSettled(url: string, ms = 20_000): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    const { n } = await sqlOne<{ n: number }>(url, `SELECT count(*)::int AS n FROM "OutboxMessage" WHERE status = 'pending'`);
    if (n === 0) return;
    if (Date.now() > until) throw new Error(`${n} message(s) still pending`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
