// Drops the databases this run's suites made (a suite that crashed cannot drop its own) and deletes
// their queue keys from Redis (a round of 33,200 milestones leaves 16,000), and only those: another
// run may be using its own at this moment. Plain JavaScript because Jest loads global hooks outside
// its module mapping.
import { Redis } from 'ioredis';
import pg from 'pg';

export default async function globalTeardown() {
  const client = new pg.Client({
    connectionString: process.env.TEST_ADMIN_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres',
  });
  await client.connect();
  try {
    const run = process.env.HANDLINGSPLAN_TEST_RUN ?? 'none';
    const { rows } = await client.query(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [`handlingsplan\\_test\\_${run}\\_%`]);
    for (const { datname } of rows) await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
  // Prefixes are `{hp-test-<run>-<database>}` (test/support/app.ts).
  const redis = new Redis('redis://127.0.0.1:6379', { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    const pattern = `{hp-test-${process.env.HANDLINGSPLAN_TEST_RUN ?? 'none'}-*`;
    for (let cursor = '0'; ;) {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      if (keys.length > 0) await redis.unlink(...keys);
      cursor = next;
      if (cursor === '0') break;
    }
  } catch (error) {
    console.warn(`global teardown: could not delete this run's queue keys: ${error.message}`);
  } finally {
    redis.disconnect();
  }
}
