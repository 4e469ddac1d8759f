import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock.js';
import { Database } from '../database/database.js';

/** What the demo reads and writes beside the services it drives. */
@Injectable()
export class DemoRepository {
  constructor(
    private readonly database: Database,
    private readonly clock: Clock,
  ) {}

  /** Adds a note to every plan. */
  async addPlanNote(note: string): Promise<void> {
    await this.database.db
      .updateTable('Plan')
      .set((eb) => ({ notes: eb.fn<string[]>('array_append', [eb.ref('notes'), eb.val(note)]), updatedAt: this.clock.now() }))
      .execute();
  }

  /** Every message still waiting for delivery, oldest first. */
  async pendingMessageIds(): Promise<number[]> {
    const rows = await this.database.db.selectFrom('OutboxMessage').select('id').where('status', '=', 'pending').orderBy('id').execute();
    return rows.map((row) => row.id);
  }

  /** The requests of a round whose mail went out and that are not answered yet, in the order they were made. */
  async sentRequestIds(roundId: number): Promise<number[]> {
    const rows = await this.database.db
      .selectFrom('ReportRequest')
      .select('id')
      .where('roundId', '=', roundId)
      .where('status', '=', 'sent')
      .orderBy('id')
      .execute();
    return rows.map((row) => row.id);
  }
}
