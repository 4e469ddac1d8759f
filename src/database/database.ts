import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import {
  Kysely,
  PostgresDialect,
  sql,
  type Compilable,
  type CompiledQuery,
  type PostgresPool,
  type PostgresPoolClient,
  type RawBuilder,
  type Transaction,
} from 'kysely';
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
 * connection parses a statement's text once; the statements of a repository are fixed texts with
 * their values as parameters (lists go in as one array parameter), so the names stay few.
 * PostgreSQL chooses per statement between a plan for its values and its generic plan, except for
 * the statements compiled once (`PreparedStatement`), which always run with their generic plan.
 */
@Injectable()
export class Database implements OnApplicationShutdown {
  readonly db: Db;
  private readonly pool: pg.Pool;
  private readonly logger = new Logger(Database.name);

  constructor(config: AppConfig) {
    this.pool = new pg.Pool({
      connectionString: config.get('DATABASE_URL'),
      // Set at connection start-up, so the hot statements never wait for a SET (see `preparing`).
      options: '-c plan_cache_mode=force_generic_plan',
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

/**
 * A statement built and compiled once, then run with new values: for the few statements on the hot
 * paths (a link opened, an answer recorded, a mail delivered), where building and compiling the
 * query on every call costs the service more than PostgreSQL spends running it. PostgreSQL runs
 * it with its generic plan: these are keyed reads and writes whose best plan does not depend on
 * the values, and left to choose, it plans a statement with a list parameter anew on every call.
 *
 * `build` gets placeholders instead of the values: it may put them anywhere a value goes, but not
 * look at them (no `.map`, no `$if`); each one becomes a parameter filled in on every run.
 */
export class PreparedStatement<Values extends object, Row> {
  private compiled: { query: CompiledQuery<Row>; slots: (keyof Values | undefined)[] } | undefined;

  constructor(private readonly build: (db: Db, values: Values) => Compilable<Row>) {}

  async execute(db: Db, values: Values): Promise<Row[]> {
    const { query, slots } = (this.compiled ??= this.compile(db));
    const parameters = query.parameters.map((constant, i) => {
      const slot = slots[i];
      return slot === undefined ? constant : values[slot];
    });
    return (await db.executeQuery<Row>({ ...query, parameters })).rows;
  }

  private compile(db: Db) {
    const placeholders = new Proxy({} as Values, { get: (_, key) => new Placeholder(key) });
    const query = this.build(db, placeholders).compile();
    genericPlans.add(query.sql);
    const slots = query.parameters.map((parameter) => (parameter instanceof Placeholder ? (parameter.key as keyof Values) : undefined));
    return { query, slots };
  }
}

class Placeholder {
  constructor(readonly key: string | symbol) {}
}

/** The texts of the statements compiled once, which run with their generic plan. */
const genericPlans = new Set<string>();
type PlanMode = 'auto' | 'force_generic_plan';
/** Each connection's plan_cache_mode, as last set (new connections start in force_generic_plan, see the pool). */
const planModes = new WeakMap<pg.PoolClient, PlanMode>();

/**
 * The pool as Kysely sees it, with every statement prepared under a name derived from its text,
 * and the connection's plan mode switched when a statement with parameters needs the other one.
 * Connections start in the mode of the statements compiled once, so the hot paths never switch;
 * under steady load a connection serves mostly one kind, so a switch costs a round trip only now
 * and then.
 */
function preparing(pool: pg.Pool): PostgresPool {
  return {
    connect: async () => {
      const client = await pool.connect();
      const query = async (text: string, values?: readonly unknown[]) => {
        // Without parameters a statement has one plan whatever the mode.
        const mode: PlanMode | undefined = !values?.length ? undefined : genericPlans.has(text) ? 'force_generic_plan' : 'auto';
        if (mode !== undefined && (planModes.get(client) ?? 'force_generic_plan') !== mode) {
          await client.query(`SET plan_cache_mode = ${mode}`);
          planModes.set(client, mode);
        }
        try {
          return await client.query({ name: preparedName(text), text, values: values as unknown[] });
        } finally {
          // A rollback (to a savepoint too) also undoes a SET made after it.
          if (text.startsWith('rollback')) planModes.delete(client);
        }
      };
      const wrapped = {
        query: (text: string | object, values?: readonly unknown[]) =>
          typeof text === 'string' ? query(text, values) : client.query(text as never),
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
