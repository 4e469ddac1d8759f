import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Kysely, PostgresDialect, sql, type PostgresPool, type PostgresPoolClient, type RawBuilder, type Transaction } from 'kysely';
import { createHash } from 'node:crypto';
import pg from 'pg';
import { AppConfig } from '../config/config.module.js';
import type { DB } from '../generated/db/schema.js';

/** The database, typed from prisma/schema.prisma. A transaction is a `Db` too. */
export type Db = Kysely<DB>;
/** The one transaction type repositories accept; services hold it without looking inside. */
export type Tx = Transaction<DB>;

const INT8 = 20;

/**
 * The one way to the database: Kysely over one pg pool. Only repositories use it.
 *
 * Every statement is sent as a named prepared statement (its name a digest of its text), so each
 * connection parses and plans a statement's text once and PostgreSQL may keep its generic plan;
 * the statements of a repository are fixed texts with their values as parameters (lists go in as
 * one array parameter), so the names stay few.
 */
@Injectable()
export class Database implements OnApplicationShutdown {
  readonly db: Db;
  private readonly pool: pg.Pool;
  private readonly logger = new Logger(Database.name);

  constructor(config: AppConfig) {
    this.pool = new pg.Pool({
      connectionString: config.get('DATABASE_URL'),
      // int8 columns (budgets) as bigint; counts are cast to int where they are selected.
      types: {
        getTypeParser: ((oid: number, format: 'text') =>
          oid === INT8 ? BigInt : (pg.types.getTypeParser(oid, format) as (value: string) => unknown)) as never,
      },
    });
    // An idle connection dropped by the server must not end the process; the pool replaces it.
    this.pool.on('error', (error) => this.logger.warn(`idle database connection failed: ${error.message}`));
    this.db = new Kysely<DB>({ dialect: new PostgresDialect({ pool: preparing(this.pool) }) });
  }

  transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(work);
  }

  /** One trivial statement: the database answers. */
  async ping(): Promise<void> {
    await sql`SELECT 1`.execute(this.db);
  }

  /** Last of all: the queue's jobs in progress and the HTTP requests in flight still need the pool until then. */
  async onApplicationShutdown(): Promise<void> {
    await this.db.destroy();
  }
}

/** The pool as Kysely sees it, with every statement prepared under a name derived from its text. */
function preparing(pool: pg.Pool): PostgresPool {
  return {
    connect: async () => {
      const client = await pool.connect();
      const wrapped = {
        query: (text: string | object, values?: readonly unknown[]) =>
          typeof text === 'string'
            ? client.query({ name: preparedName(text), text, values: values as unknown[] })
            : client.query(text as never),
        release: () => client.release(),
      };
      return wrapped as unknown as PostgresPoolClient;
    },
    end: () => pool.end(),
  };
}

const preparedNames = new Map<string, string>();
function preparedName(text: string): string {
  let name = preparedNames.get(text);
  if (name === undefined) {
    name = `hp_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
    preparedNames.set(text, name);
  }
  return name;
}

/** `count(*)` as a JavaScript number (PostgreSQL counts in int8). */
export const countAll = (): RawBuilder<number> => sql<number>`count(*)::int`;
