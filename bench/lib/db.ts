import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import pg from 'pg';
import { REPO } from './paths.js';

/**
 * Bench databases: created on the PostgreSQL named by BENCH_ADMIN_DATABASE_URL (default: the
 * local one the tests use), migrated by the service's own CLI, and always named
 * handlingsplan_bench_* so a stray one is easy to find and drop.
 */
export const ADMIN_URL =
  process.env.BENCH_ADMIN_DATABASE_URL ?? process.env.TEST_ADMIN_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

function urlFor(name: string): string {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function withClient<T>(url: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

export interface BenchDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

const live = new Set<BenchDatabase>();

export async function createBenchDatabase(label: string): Promise<BenchDatabase> {
  const name = `handlingsplan_bench_${label}_${randomBytes(3).toString('hex')}`;
  await withClient(ADMIN_URL, (client) => client.query(`CREATE DATABASE "${name}"`));
  const db: BenchDatabase = {
    name,
    url: urlFor(name),
    drop: async () => {
      live.delete(db);
      await withClient(ADMIN_URL, (client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
  };
  live.add(db);
  await promisify(execFile)(process.execPath, ['dist/cli.js', 'db', 'migrate'], {
    cwd: REPO,
    env: { PATH: process.env.PATH ?? '', DATABASE_URL: db.url },
    timeout: 120_000,
  });
  return db;
}

/** Drops every bench database this process created and has not dropped yet. */
export async function dropAllBenchDatabases(): Promise<void> {
  for (const db of [...live]) await db.drop().catch(() => undefined);
}

/**
 * An API token with the admin role, written straight into the database, for the routes that
 * need one once access control is in place. Returns null when the schema has no tokens yet.
 */
export async function createApiToken(url: string): Promise<string | null> {
  return withClient(url, async (client) => {
    const { rows } = await client.query<{ t: string | null }>(`SELECT to_regclass('"ApiToken"')::text AS t`);
    if (!rows[0]?.t) return null;
    const token = `hp_${randomBytes(32).toString('base64url')}`;
    await client.query(`INSERT INTO "ApiToken" (name, "tokenHash", role) VALUES ('bench', $1, 'admin')`, [
      createHash('sha256').update(token).digest('hex'),
    ]);
    return token;
  });
}
