import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { metricValue, sleep } from '../harness/demo';
import { Pipeline } from '../harness/service-pipeline';

const STALL_MS = 3000;

/**
 * Input written by a transactional producer holds markers, and aborted records the service never sees. kafkajs steps
 * over a batch of only those without calling the service, so nothing commits past them: the group's committed offset
 * stays short of the partition's end although nothing is left to process. The stall watchdog must not take that for
 * a stuck consumer.
 */
describe('prediction service: idle partitions that end in transaction markers or aborted records', () => {
  it('the stall watchdog leaves a healthy consumer alone', async (t) => {
    const pipeline = await Pipeline.create({ name: 'svc-markers', env: { CONSUMER_STALL_MS: String(STALL_MS) } });
    try {
      const [instance] = await pipeline.spawnGroup(1);
      const upstream = pipeline.kafka.producer({ transactionalId: `${pipeline.groupId}-upstream`, idempotent: true, maxInFlightRequests: 1 });
      await upstream.connect();
      try {
        const line = '2001,1,17,3,1806,1810,1931,1934,US,375,N700,85,84,60,-3,-4,BWI,CLT,361,5,20,0,NA,0,NA,NA,NA,NA,NA,NO,NO';
        const committed = await upstream.transaction();
        await committed.send({ topic: pipeline.topics.input, messages: Array.from({ length: 40 }, (_, i) => ({ key: `txn-${i}`, value: line })) });
        await committed.commit();
        // Aborted records are never handed to the service: their batches hold nothing but filtered records.
        const aborted = await upstream.transaction();
        await aborted.send({ topic: pipeline.topics.input, messages: Array.from({ length: 40 }, (_, i) => ({ key: `aborted-${i}`, value: line })) });
        await aborted.abort();
      } finally {
        await upstream.disconnect();
      }
      assert.ok(await pipeline.collector.waitForKeys(40, 60000), 'all 40 committed records come out');
      await sleep(STALL_MS * 5);
      const metrics = await instance.metrics();
      const restarts = metricValue(metrics, 'predictor_consumer_restarts_total');
      t.diagnostic(`consumer restarts over ${STALL_MS * 5} ms idle: ${restarts}`);
      assert.equal(restarts, 0, 'no consumer replaced while idle');
      assert.equal(await instance.probe('/readyz'), 200);
      assert.equal([...pipeline.collector.predictions.keys()].filter((key) => key.startsWith('aborted-')).length, 0, 'aborted records are not scored');
    } finally {
      await pipeline.teardown();
    }
  });
});
