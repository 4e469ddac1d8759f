import { PlanImportService } from '../../src/plan/plan-import.service.js';
import { startTestApp } from '../support/app.js';
import { createTestDatabase } from '../support/databases.js';
import { sql } from '../support/sql.js';
import { TestSmtpServer } from '../support/smtp.js';

const SMALL = new URL('../fixtures/small-plan.yaml', import.meta.url).pathname;

describe('shutting down while mail is being sent', () => {
  it('lets the sends in flight finish and records them before the database and the SMTP pool close', async () => {
    const smtp = await new TestSmtpServer().start();
    const db = await createTestDatabase();
    try {
      // The server holds each message for a second before accepting it: the shutdown comes in between.
      const t = await startTestApp({ db, env: { SMTP_URL: smtp.url, SMTP_TIMEOUT_MS: '10000' }, now: '2024-11-01T08:00:00Z' });
      await t.app.get(PlanImportService).importFile(SMALL);
      smtp.set({ holdMs: 1_000 });
      await t.api.post('/api/rounds').send({ year: 2024, deadline: '2024-12-01' }).expect(201);
      const until = Date.now() + 10_000;
      while (smtp.dataStarted === 0) {
        if (Date.now() > until) throw new Error('no message was ever sent');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }

      await t.app.close(); // what SIGTERM does

      const messages = await sql<{ status: string; attempts: number; lastError: string | null }>(
        db.url,
        `SELECT status::text, attempts, "lastError" FROM "OutboxMessage" ORDER BY id`,
      );
      expect(smtp.received.length).toBeGreaterThan(0);
      // Every message the server accepted is recorded as sent, once and without an error: none was
      // cut off by a closed pool, so none will be sent again by the next worker.
      expect(messages.filter((message) => message.status === 'sent')).toHaveLength(smtp.received.length);
      expect(messages.filter((message) => message.lastError !== null)).toEqual([]);
      expect(messages.filter((message) => message.status === 'sent').every((message) => message.attempts === 1)).toBe(true);
    } finally {
      await smtp.stop();
      await db.drop();
    }
  });
});
