import { validateConfiguration } from '../../src/config/configuration.js';
import { PlanImportService } from '../../src/plan/plan-import.service.js';
import { QueueService } from '../../src/queue/queue.service.js';
import { RoundScheduler } from '../../src/scheduler/round-scheduler.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/databases.js';
import { TestRedisCluster } from '../support/redis-cluster.js';
import { outboxSettled } from '../support/outbox.js';
import { settled } from '../support/settled.js';
import { TestSmtpServer } from '../support/smtp.js';

const SMALL = new URL('../fixtures/small-plan.yaml', import.meta.url).pathname;

/**
 * The same service on a three-node Redis Cluster instead of one Redis: BullMQ's scripts touch
 * several keys at once, which a cluster allows only within one hash slot, hence the hash-tagged
 * QUEUE_PREFIX. Proven with a real cluster of redis-server processes on loopback.
 */
describe('queues on a Redis Cluster', () => {
  let cluster: TestRedisCluster;
  let smtp: TestSmtpServer;
  let db: TestDatabase;
  const instances: TestApp[] = [];

  beforeAll(async () => {
    cluster = await new TestRedisCluster().start();
    smtp = await new TestSmtpServer().start();
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await Promise.all(instances.map((instance) => instance.close()));
    await smtp?.stop();
    await db?.drop();
    await cluster?.stop();
  });

  it('refuses a queue prefix without a hash tag on a cluster, naming the variable', () => {
    expect(() =>
      validateConfiguration({
        DATABASE_URL: 'postgresql://x@localhost/db',
        REDIS_CLUSTER_NODES: cluster.nodes,
        QUEUE_PREFIX: 'handlingsplan',
      }),
    ).toThrow(/QUEUE_PREFIX: must contain a \{hash tag\}/);
    expect(() =>
      validateConfiguration({ DATABASE_URL: 'postgresql://x@localhost/db', REDIS_CLUSTER_NODES: 'http://127.0.0.1:7000' }),
    ).toThrow(/REDIS_CLUSTER_NODES\.0: must be a URL starting with redis:/);
  });

  it('an API and a worker instance open a round, send every digest and reminder once, with one schedule, all keys in one slot', async () => {
    const env = {
      SMTP_URL: smtp.url,
      SECRETARIAT_EMAIL: 'sek@norden.test',
      REDIS_CLUSTER_NODES: cluster.nodes,
      REDIS_URL: 'redis://127.0.0.1:1',
    };
    instances.push(await startTestApp({ db, env: { ...env, PROCESS_ROLE: 'api' }, now: '2024-11-01T08:00:00Z' }));
    instances.push(await startTestApp({ db, env: { ...env, PROCESS_ROLE: 'worker' }, now: '2024-11-01T08:00:00Z' }));
    const [api, worker] = instances as [TestApp, TestApp];

    // REDIS_URL points nowhere: everything below goes through the cluster.
    const health = (await api.api.get('/health').expect(200)).body;
    expect(health.info.redis.status).toBe('up');
    expect((await worker.app.get(QueueService).queue('rounds').getJobSchedulers()).map((s) => s.key)).toEqual(['tick']);

    await api.app.get(PlanImportService).importFile(SMALL);
    await api.api.post('/api/rounds').send({ year: 2024, deadline: '2024-12-01' }).expect(201);
    await outboxSettled(db.url);
    await smtp.waitFor(3); // two digests and the no-contact notice to the secretariat
    const subjects = smtp.received.map((mail) => mail.subject);

    for (const instance of instances) instance.clock.set('2024-11-24T08:00:00Z');
    expect((await worker.app.get(RoundScheduler).tick()).steps.map((s) => s.step)).toEqual(['reminder:-7']);
    await outboxSettled(db.url);
    await smtp.waitFor(5);
    await settled(worker, { smtp });
    expect(smtp.received).toHaveLength(5);
    expect(new Set(smtp.received.map((mail) => mail.messageId)).size).toBe(5);
    expect(subjects).toHaveLength(3);

    // Every queue key of this service sits in the slot of the prefix's hash tag, on one node.
    const client = await cluster.client();
    try {
      const prefix = api.env.QUEUE_PREFIX!;
      const masters = client.nodes('master');
      const keys = (await Promise.all(masters.map((node) => node.keys(`${prefix}:*`)))).map((found) => found.length);
      const total = keys.reduce((a, b) => a + b, 0);
      expect(total).toBeGreaterThan(5);
      expect(keys.filter((n) => n > 0)).toHaveLength(1);
      // COUNTKEYSINSLOT counts on the node it is sent to: ask the one holding the keys.
      const holder = masters[keys.findIndex((n) => n > 0)]!;
      const slot = Number(await holder.cluster('KEYSLOT', prefix));
      expect(await holder.cluster('COUNTKEYSINSLOT', slot)).toBe(total);
    } finally {
      client.disconnect();
    }
  });
});
