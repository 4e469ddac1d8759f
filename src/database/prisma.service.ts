import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import { createHash } from 'node:crypto';
import pg from 'pg';
import { Prisma, PrismaClient } from '../generated/prisma/client.js';
import { AppConfig } from '../config/config.module.js';

/**
 * Row parsers for statements run on the pool directly: `timestamp(3)` columns hold UTC (as Prisma
 * writes them), so they are read as UTC whatever the process's time zone; everything else as pg
 * reads it.
 */
const TIMESTAMP_WITHOUT_TIME_ZONE = 1114;
const utcTypes = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === TIMESTAMP_WITHOUT_TIME_ZONE && format !== 'binary'
      ? (value: string) => new Date(`${value.replace(' ', 'T')}Z`)
      : pg.types.getTypeParser(oid, format as 'text')) as pg.CustomTypesConfig['getTypeParser'],
};

/**
 * The one Prisma client of the process; only repositories use it. Its connections come from a pg
 * pool, which `query()` and `sqlTransaction()` also use for the statements that are hot (an
 * answer, a link lookup, the deliver job's outbox) or carry large arguments (a round's opening):
 * through Prisma's query engine a statement costs about five times the CPU of the same statement
 * on the pool, more with large arguments (bench/RESULTS.md, 4 and 15). Prepared statements have a
 * second pool (see `preparedPool`).
 */
@Injectable()
export class PrismaService extends PrismaClient implements OnApplicationShutdown, Sql {
  private readonly pool: pg.Pool;
  /**
   * Connections for the prepared statements only, whose sessions always use a statement's generic
   * plan: they are keyed reads and writes whose best plan does not depend on the values, and left
   * to choose, PostgreSQL planned the answer's statement anew on every call. Prisma's adapter
   * prepares its statements too, some of which need plans made for their values (the overdue list:
   * p95 22 → 162 ms at 1M milestones with a generic plan), so this cannot be the shared pool.
   */
  private readonly preparedPool: pg.Pool;
  private readonly logger = new Logger(PrismaService.name);

  constructor(config: AppConfig) {
    const pool = new pg.Pool({ connectionString: config.get('DATABASE_URL') });
    super({ adapter: new PrismaPg(pool) });
    this.pool = pool;
    // Set at connection start-up, so no statement of its own (a DATABASE_URL with its own `options` takes precedence).
    this.preparedPool = new pg.Pool({ connectionString: config.get('DATABASE_URL'), options: '-c plan_cache_mode=force_generic_plan' });
    // An idle connection dropped by the server must not end the process; the pool replaces it.
    for (const each of [pool, this.preparedPool])
      each.on('error', (error) => this.logger.warn(`idle database connection failed: ${error.message}`));
  }

  /**
   * Runs one statement (built with `Prisma.sql`) on the pool, outside Prisma: one round trip, and
   * atomic on its own. Returns the rows as PostgreSQL sends them, timestamps read as UTC.
   *
   * `prepared`: for a hot statement whose text never varies (its values are parameters) and whose
   * best plan does not depend on them. It runs on connections of its own, each of which prepares it
   * once and keeps its generic plan: planning the link lookup cost PostgreSQL 0.8 ms per answer
   * against 0.2 ms to run it (bench/RESULTS.md, 22). The name comes from the text, so two
   * different statements can never share one.
   */
  async query<Row>(statement: Prisma.Sql, options: { prepared?: boolean } = {}): Promise<Row[]> {
    const config: pg.QueryConfig = { text: statement.text, values: statement.values, types: utcTypes };
    if (options.prepared) config.name = preparedName(statement.text);
    const result = await (options.prepared ? this.preparedPool : this.pool).query(config);
    return result.rows as Row[];
  }

  /**
   * Runs `work` in a transaction on one pool connection, outside Prisma: for writes whose
   * parameters are large (a round's opening writes hundreds of digests per chunk), where Prisma's
   * engine would spend more CPU on the arguments than PostgreSQL spends on the rows. Commits when
   * `work` resolves, rolls back when it throws; a connection that cannot even roll back is
   * discarded, not returned to the pool.
   */
  async sqlTransaction<T>(work: (sql: Sql) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    const sql: Sql = {
      query: async <Row>(statement: Prisma.Sql) =>
        (await client.query({ text: statement.text, values: statement.values, types: utcTypes })).rows as Row[],
    };
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await work(sql);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackFailed: Error) => (broken = rollbackFailed));
      throw error;
    } finally {
      client.release(broken);
    }
  }

  /** Last of all: the queue's jobs in progress and the HTTP requests in flight still need the pools until then. */
  async onApplicationShutdown(): Promise<void> {
    await this.$disconnect();
    // Given a pool, the adapter leaves it to its owner.
    for (const each of [this.pool, this.preparedPool]) if (!each.ended) await each.end();
  }
}

const preparedNames = new Map<string, string>();
/** A prepared statement's name: a digest of its text (remembered: the same few texts come back). */
function preparedName(text: string): string {
  let name = preparedNames.get(text);
  if (name === undefined) {
    name = `hp_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
    preparedNames.set(text, name);
  }
  return name;
}

/** A timestamp parameter for a `timestamp(3)` column, which holds UTC as Prisma writes it. */
export const utc = (at: Date) => Prisma.sql`(${at.toISOString()}::timestamptz AT TIME ZONE 'UTC')`;

/** A Prisma transaction client, for repositories that take part in a caller's transaction. */
export type Tx = Parameters<Parameters<PrismaService['$transaction']>[0]>[0];

/**
 * Where a statement built with `Prisma.sql` runs: the pool (`PrismaService` itself, each statement
 * on its own), a pool transaction (`sqlTransaction`), or a Prisma transaction (`viaPrisma(tx)`),
 * so a repository's statement can take part in whichever transaction its caller holds.
 * Timestamps go in through `utc()`: on the pool a Date parameter would carry the process's offset.
 */
export interface Sql {
  query<Row>(statement: Prisma.Sql): Promise<Row[]>;
}

export const viaPrisma = (tx: Tx): Sql => ({ query: <Row>(statement: Prisma.Sql) => tx.$queryRaw<Row[]>(statement) });
