// Does PostgreSQL (DATABASE_URL's server) and/or Redis (REDIS_URL) answer? Exit 0 when all asked do.
// Usage: node scripts/probe.mjs postgres|redis|both [--create-database]
import net from 'node:net';

const what = process.argv[2] ?? 'both';
const createDatabase = process.argv.includes('--create-database');

async function postgres() {
  const { default: pg } = await import('pg');
  const target = new URL(process.env.DATABASE_URL);
  const name = decodeURIComponent(target.pathname.slice(1));
  const maintenance = new URL(target);
  maintenance.pathname = '/postgres';
  const client = new pg.Client({ connectionString: maintenance.toString(), connectionTimeoutMillis: 2000 });
  await client.connect();
  try {
    if (createDatabase) {
      const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (!rowCount) {
        await client.query(`CREATE DATABASE "${name.replaceAll('"', '""')}"`);
        console.log(`created database ${name}`);
      }
    }
  } finally {
    await client.end();
  }
}

function redis() {
  const url = new URL(process.env.REDIS_URL);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: url.hostname, port: Number(url.port || 6379), timeout: 2000 });
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (data) => {
      socket.end();
      if (/^(\+PONG|-NOAUTH)/.test(data.toString())) resolve();
      else reject(new Error(data.toString().trim()));
    });
    socket.on('timeout', () => socket.destroy(new Error('timeout')));
    socket.on('error', reject);
  });
}

try {
  if (what === 'postgres' || what === 'both') await postgres();
  if (what === 'redis' || what === 'both') await redis();
} catch (error) {
  if (process.env.PROBE_VERBOSE) console.error(`${what}: ${error.message}`);
  process.exit(1);
}
