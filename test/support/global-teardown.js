// Drops the databases this run's suites made (a suite that crashed cannot drop its own), and only
// those: another run may be using its own at this moment. Plain JavaScript because Jest loads
// global hooks outside its module mapping.
import pg from 'pg';

export default async function globalTeardown() {
  const client = new pg.Client({ connectionString: process.env.TEST_ADMIN_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres' });
  await client.connect();
  try {
    const run = process.env.HANDLINGSPLAN_TEST_RUN ?? 'none';
    const { rows } = await client.query(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [`handlingsplan\\_test\\_${run}\\_%`]);
    for (const { datname } of rows) await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}
