// The local cluster itself: the bootstrap address stands in for DC/OS's broker VIP; clients given only that address
// must work, also while a broker is down.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Partitioners, logLevel } from 'kafkajs';
import { createKafkaClient } from '../../services/common/kafka-client';
import { provisionTopics } from '../../services/topics/provisioner';
import { kafkaClient, quietLogger, testBootstrap, testCluster, uniqueName, withAdmin } from '../harness/cluster';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const bootstrap = testBootstrap();
const cluster = testCluster();
const topics: string[] = [];

after(async () => {
  if (topics.length > 0) await withAdmin((admin) => admin.deleteTopics({ topics, timeout: 30_000 }));
});

async function createTopic(prefix: string, partitions: number): Promise<string> {
  const name = uniqueName(prefix);
  await provisionTopics({ bootstrap, topics: [{ name, partitions, replicationFactor: 3, config: { 'min.insync.replicas': '2' } }], timeoutMs: 30_000, security: testCluster().clientSecurity('topicsProvisioner'), logger: quietLogger('cluster-test') });
  topics.push(name);
  return name;
}

/** Consumes `topic` from the beginning with a fresh group until `want` holds every expected value (or time runs out). */
async function consumeValues(topic: string, expected: ReadonlySet<string>, timeoutMs: number): Promise<Set<string>> {
  const seen = new Set<string>();
  const consumer = kafkaClient('cluster-test-consumer').consumer({ groupId: uniqueName('cluster-test'), sessionTimeout: 6000, heartbeatInterval: 1000, rebalanceTimeout: 10_000 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void seen.add(message.value?.toString() ?? '') });
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && [...expected].some((v) => !seen.has(v))) await sleep(200);
  } finally {
    await consumer.disconnect();
  }
  return seen;
}

describe('local cluster behind the bootstrap address', () => {
  it('advertises every broker on its own address, in its own rack, behind one bootstrap address', async () => {
    assert.equal(cluster.bootstrap, bootstrap);
    const described = await withAdmin((admin) => admin.describeCluster());
    const advertised = described.brokers.map((b) => `${b.nodeId}@${b.host}:${b.port}`).sort();
    assert.deepEqual(advertised, cluster.brokers.map((b) => `${b.id}@${b.host}:${b.port}`).sort());
    assert.ok(!cluster.brokers.some((b) => `${b.host}:${b.port}` === bootstrap), 'the bootstrap address is not a broker address');
    assert.equal(new Set(cluster.brokers.map((b) => b.rack)).size, 3);
  });

  it('lets a client that knows only the bootstrap address produce and consume', async () => {
    const topic = await createTopic('bootstrap-roundtrip', 3);
    const producer = kafkaClient('cluster-test-producer').producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const values = Array.from({ length: 30 }, (_, i) => `roundtrip-${i}`);
    try {
      await producer.send({ topic, acks: -1, messages: values.map((value, i) => ({ key: String(i), value })) });
    } finally {
      await producer.disconnect();
    }
    const seen = await consumeValues(topic, new Set(values), 60_000);
    assert.deepEqual([...seen].sort(), [...values].sort());
  });

  it('keeps acks=all produce and consume working with one broker killed, losing no acknowledged message', async (t) => {
    const topic = await createTopic('broker-loss', 6);
    const metadata = await withAdmin((admin) => admin.fetchTopicMetadata({ topics: [topic] }));
    const victim = metadata.topics[0].partitions.find((p) => p.partitionId === 0)!.leader;
    t.after(async () => {
      if (!cluster.isBrokerRunning(victim)) await cluster.startBroker(victim, 120_000);
      await cluster.waitForInSync(120_000);
    });

    const producer = kafkaClient('cluster-test-producer').producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: { retries: 12, initialRetryTime: 300, maxRetryTime: 3000 },
    });
    await producer.connect();
    const acked = new Set<string>();
    let failed = 0;
    let ackedAfterKill = 0;
    let killed = false;
    let producing = true;
    const loop = (async () => {
      for (let i = 0; producing; i++) {
        const value = `loss-${i}`;
        try {
          await producer.send({ topic, acks: -1, messages: [{ key: String(i), value }] });
          acked.add(value);
          if (killed) ackedAfterKill++;
        } catch {
          failed++; // not acknowledged: allowed to be missing
        }
        await sleep(10);
      }
    })();
    try {
      const warmUp = Date.now() + 60_000;
      while (acked.size < 100 && Date.now() < warmUp) await sleep(50);
      assert.ok(acked.size >= 100, `100 writes acknowledged before the kill (got ${acked.size}, ${failed} failed)`);
      await cluster.killBroker(victim, 'SIGKILL');
      killed = true;
      assert.equal(cluster.isBrokerRunning(victim), false);
      const deadline = Date.now() + 60_000;
      while (ackedAfterKill < 100 && Date.now() < deadline) await sleep(100);
    } finally {
      producing = false;
      await loop;
      await producer.disconnect();
    }
    assert.ok(ackedAfterKill >= 100, `acks=all writes succeed with 2 of 3 brokers (${ackedAfterKill} after the kill, ${failed} failed)`);

    // New clients still get in through the bootstrap address: HAProxy's check took the dead broker out of rotation.
    for (let attempt = 0; attempt < 6; attempt++) {
      const admin = createKafkaClient({ security: cluster.clientSecurity('localOperator'), clientId: 'bootstrap-probe', brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 } }).admin();
      await admin.connect();
      const { brokers } = await admin.describeCluster();
      await admin.disconnect();
      assert.deepEqual(brokers.map((b) => b.nodeId).sort(), cluster.brokers.map((b) => b.id).filter((id) => id !== victim).sort());
    }

    const seen = await consumeValues(topic, acked, 90_000);
    const lost = [...acked].filter((v) => !seen.has(v));
    assert.deepEqual(lost, [], `${lost.length} of ${acked.size} acknowledged messages lost`);

    await cluster.startBroker(victim, 120_000);
    await cluster.waitForInSync(120_000, [topic]);
    const healed = await withAdmin((admin) => admin.fetchTopicMetadata({ topics: [topic] }));
    for (const p of healed.topics[0].partitions) assert.equal(p.isr.length, 3, `partition ${p.partitionId} back to 3 in-sync replicas`);
  });
});
