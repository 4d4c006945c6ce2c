import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { attachLocalCluster } from '../../local/cluster';
import { metricValue, dataFilePath, readFlightLines, replay, sleep } from '../harness/demo';
import { InFlightProbe, Pipeline, waitFor } from '../harness/service-pipeline';

/** How long outputs in flight are watched after the killed broker has left the cluster (leaders move then). */
const AFTER_DEREGISTRATION_MS = 3000;

describe('prediction service: a broker killed mid-stream', () => {
  it('keeps processing with 2 of 3 brokers and loses no acknowledged record; the broker is restarted after', async (t) => {
    const statePath = process.env.KAFKA_CLUSTER_STATE;
    assert.ok(statePath, 'KAFKA_CLUSTER_STATE names the cluster test/run.ts started');
    const cluster = attachLocalCluster(statePath);
    // Outputs are verified after the broker is back, by a reader that never saw the failure.
    const pipeline = await Pipeline.create({ name: 'svc-broker', collect: false });
    let victimBroker = 2;
    try {
      const instances = await pipeline.spawnGroup(3);
      victimBroker = await pipeline.brokerLeadingMostOutputs();
      const records = readFlightLines(dataFilePath(), 3000, 'brk-');
      let killing: Promise<void> | undefined;
      let sampling: Promise<number> | undefined;
      const acknowledged = await replay(pipeline.producer, records, {
        topic: pipeline.topics.input,
        ratePerSecond: 200,
        onProgress: (sent) => {
          if (sent >= 600 && !killing) {
            killing = (async () => {
              const probe = await InFlightProbe.start(instances);
              const kill = cluster.killBroker(victimBroker, 'SIGKILL');
              sampling = probe.peakUntil(kill.then(() => sleep(AFTER_DEREGISTRATION_MS)));
              await kill;
            })();
          }
        },
      });
      await killing;
      const inFlight = await sampling!;
      t.diagnostic(`${inFlight} outputs in flight from the kill until ${AFTER_DEREGISTRATION_MS} ms after the broker left (each instance's most at once, summed)`);
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
      const finalTexts = await Promise.all(instances.map((i) => i.metrics()));
      const total = (name: string) => finalTexts.reduce((n, text) => n + metricValue(text, name), 0);
      // A key written twice by one instance was re-sent by it; by two, its partition moved before the commit went
      // through (a member dropped from the group while the group coordinator failed over).
      const duplicateKeys = verify.duplicateKeys();
      const resent = duplicateKeys.filter((key) => new Set((verify.predictions.get(key) ?? []).map((o) => o.message.instanceId)).size === 1);
      t.diagnostic(
        `${duplicateKeys.length} duplicates: ${resent.length} re-sent by the same instance, ${duplicateKeys.length - resent.length} after their partition moved ` +
          `(${total('predictor_outputs_handed_over_total')} acknowledged outputs counted as handed over uncommitted); ` +
          `${total('predictor_outputs_unacknowledged_total')} outputs in requests that failed unanswered; ${total('predictor_batches_failed_total')} batches failed, ` +
          `${total('predictor_consumer_restarts_total')} consumers and ${total('predictor_producer_restarts_total')} producers replaced`,
      );
      assert.ok(inFlight > 0, 'the kill hit outputs in flight');
      // Acknowledged outputs are not sent again when an instance retries a batch: only those in flight can repeat.
      assert.ok(resent.length <= inFlight, `re-sent duplicates (${resent.length}) at most the outputs in flight (${inFlight})`);
    } finally {
      await pipeline.teardown();
      if (!cluster.isBrokerRunning(victimBroker)) await cluster.startBroker(victimBroker, 120000);
      await cluster.waitForInSync(120000);
    }
  });
});
