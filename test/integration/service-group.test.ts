import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { metricValue, type ServiceInstance, dataFilePath, readFlightLines } from '../harness/demo';
import { Pipeline, waitFor } from '../harness/service-pipeline';

describe('prediction service: five instances in one consumer group', () => {
  let pipeline: Pipeline;
  let instances: ServiceInstance[];

  before(async () => {
    pipeline = await Pipeline.create({ name: 'svc-group' });
    instances = await pipeline.spawnGroup(5);
  });
  after(async () => {
    await pipeline?.teardown();
  });

  it('shares the 10 input partitions two per instance', async () => {
    await waitFor('10 partitions assigned', 30000, async () => {
      const counts = await Promise.all(instances.map(async (i) => metricValue(await i.metrics(), 'predictor_assigned_partitions')));
      return counts.reduce((a, b) => a + b, 0) === 10;
    });
    const counts = await Promise.all(instances.map(async (i) => metricValue(await i.metrics(), 'predictor_assigned_partitions')));
    assert.deepEqual(counts, [2, 2, 2, 2, 2]);
    for (const instance of instances) {
      assert.equal(await instance.probe('/readyz'), 200);
      assert.equal(await instance.probe('/healthz'), 200);
    }
  });

  it('predicts every record once, keeping the key, and counts in = out + dead-lettered', async () => {
    const records = readFlightLines(dataFilePath(), 2000, 'grp-');
    for (let i = 0; i < records.length; i += 200) {
      await pipeline.send(records.slice(i, i + 200).map((r) => ({ key: r.key, value: r.value })));
    }
    assert.ok(await pipeline.collector.waitForKeys(records.length, 60000), 'all records come out');
    assert.deepEqual(pipeline.collector.missingKeys(records.map((r) => r.key)), []);
    assert.deepEqual(pipeline.collector.duplicateKeys(), []);

    // Each instance wrote only for the partitions it owns, and all five took part.
    const partitionsByInstance = new Map<string, Set<number>>();
    for (const [key, [output]] of pipeline.collector.predictions) {
      assert.ok(key.startsWith('grp-'));
      assert.match(output.message.modelVersion, /\S/);
      assert.ok(output.message.probability >= 0 && output.message.probability <= 1);
      const set = partitionsByInstance.get(output.message.instanceId) ?? new Set<number>();
      set.add(output.message.source.partition);
      partitionsByInstance.set(output.message.instanceId, set);
    }
    assert.equal(partitionsByInstance.size, 5);
    for (const set of partitionsByInstance.values()) assert.ok(set.size <= 2, `an instance wrote for ${set.size} partitions`);

    const texts = await Promise.all(instances.map((i) => i.metrics()));
    const sum = (name: string) => texts.reduce((total, text) => total + metricValue(text, name), 0);
    assert.equal(sum('predictor_records_in_total'), records.length);
    assert.equal(
      sum('predictor_records_out_total') + sum('predictor_records_dead_lettered_total'),
      records.length,
    );
    assert.equal(sum('predictor_records_out_total'), pipeline.collector.predictions.size);
  });

  it('leaves the group on SIGTERM: the others take over before a session timeout could', async () => {
    const [leaving, ...staying] = instances;
    const sentAt = Date.now();
    const status = await leaving.stop();
    assert.equal(status.code, 0, 'clean exit');
    await waitFor('the remaining four to own all 10 partitions', 30000, async () => {
      const counts = await Promise.all(staying.map(async (i) => metricValue(await i.metrics(), 'predictor_assigned_partitions')));
      return counts.reduce((a, b) => a + b, 0) === 10 && (await Promise.all(staying.map((i) => i.probe('/readyz')))).every((s) => s === 200);
    });
    const takeoverMs = Date.now() - sentAt;
    // Without LeaveGroup the coordinator would wait for the 6000 ms session timeout before rebalancing.
    assert.ok(takeoverMs < 6000, `took ${takeoverMs} ms`);
  });
});
