import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { attachLocalCluster } from '../../local/cluster';
import { metricValue, dataFilePath, readFlightLines, replay } from '../harness/demo';
import { Pipeline, waitFor } from '../harness/service-pipeline';

describe('prediction service: a broker killed mid-stream', () => {
  it('keeps processing with 2 of 3 brokers and loses no acknowledged record; the broker is restarted after', async (t) => {
    const statePath = process.env.KAFKA_CLUSTER_STATE;
    assert.ok(statePath, 'KAFKA_CLUSTER_STATE names the cluster test/run.ts started');
    const cluster = attachLocalCluster(statePath);
    // Outputs are verified after the broker is back, by a reader that never saw the failure.
    const pipeline = await Pipeline.create({ name: 'svc-broker', collect: false });
    const victimBroker = 2;
    try {
      const instances = await pipeline.spawnGroup(3);
      const records = readFlightLines(dataFilePath(), 3000, 'brk-');
      let killing: Promise<void> | undefined;
      const acknowledged = await replay(pipeline.producer, records, {
        topic: pipeline.topics.input,
        ratePerSecond: 200,
        onProgress: (sent) => {
          if (sent >= 600 && !killing) killing = cluster.killBroker(victimBroker, 'SIGKILL');
        },
      });
      await killing;
      assert.equal(acknowledged, records.length, 'every record acknowledged (acks=all, 2 of 3 replicas left)');

      // Every input is processed while the broker is still down: the group's committed offsets reach the end of
      // every input partition. (The instances' counters can miss a batch whose commit reached the broker after the
      // client gave up on it; the committed offsets cannot.)
      const admin = pipeline.kafka.admin();
      await admin.connect();
      try {
        await waitFor('the group to commit every input record', 90000, async () => {
          try {
            const [ends, committed] = await Promise.all([
              admin.fetchTopicOffsets(pipeline.topics.input),
              admin.fetchOffsets({ groupId: pipeline.groupId, topics: [pipeline.topics.input] }),
            ]);
            const done = new Map(committed[0].partitions.map((p) => [p.partition, Number(p.offset)]));
            return ends.every((end) => (done.get(end.partition) ?? -1) >= Number(end.high));
          } catch {
            return false; // the cluster is failing over; ask again
          }
        });
      } finally {
        await admin.disconnect();
      }
      const texts = await Promise.all(instances.map((i) => i.metrics()));
      const counted = texts.reduce((n, text) => n + metricValue(text, 'predictor_records_out_total') + metricValue(text, 'predictor_records_dead_lettered_total'), 0);
      t.diagnostic(`instances counted ${counted} processed records for ${records.length} inputs`);
      assert.equal(cluster.isBrokerRunning(victimBroker), false, 'processed with the broker down');
      const health = await Promise.all(instances.map((i) => i.probe('/healthz')));
      assert.deepEqual(health, [200, 200, 200]);
      assert.ok(instances.every((i) => i.running), 'no instance crashed');

      await cluster.startBroker(victimBroker, 120000);
      await cluster.waitForInSync(120000);
      // A kafkajs reader can stall on a partition whose leader moves back to the restarted broker; a second fresh
      // reader tells that apart from a lost record. Either way every key must be found.
      const keys = records.map((r) => r.key);
      let verify = await pipeline.freshCollector();
      if (!(await verify.waitForKeys(records.length, 90000))) {
        const missing = verify.missingKeys(keys);
        t.diagnostic(`first reader: ${verify.distinctKeys()} of ${records.length} keys; missing ${missing.slice(0, 10).join(' ')}`);
        verify = await pipeline.freshCollector();
        await verify.waitForKeys(records.length, 90000);
      }
      assert.deepEqual(verify.missingKeys(keys), [], `all records readable after recovery: ${verify.distinctKeys()} of ${records.length} keys read`);
      t.diagnostic(`${verify.duplicateKeys().length} duplicates (allowed at-least-once)`);
    } finally {
      await pipeline.teardown();
      if (!cluster.isBrokerRunning(victimBroker)) await cluster.startBroker(victimBroker, 120000);
      await cluster.waitForInSync(120000);
    }
  });
});
