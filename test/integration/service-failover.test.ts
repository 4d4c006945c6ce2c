import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sleep, dataFilePath, readFlightLines, replay } from '../harness/demo';
import { Pipeline, waitFor } from '../harness/service-pipeline';
import { PREDICTOR_SESSION_TIMEOUT_MS } from '../../contracts/predictor-env';

/**
 * Streams records while one of three instances is killed with SIGKILL (no LeaveGroup, no flush); returns what
 * came out and how long after the kill the victim's partitions were processed again by another instance.
 */
async function killInstanceMidStream(mode: 'at-least-once' | 'exactly-once') {
  const pipeline = await Pipeline.create({ name: `svc-kill-${mode === 'exactly-once' ? 'eos' : 'alo'}`, mode });
  try {
    const instances = await pipeline.spawnGroup(3);
    const records = readFlightLines(dataFilePath(), 3000, `${mode}-`);
    const streaming = replay(pipeline.producer, records, { topic: pipeline.topics.input, ratePerSecond: 200 });

    await pipeline.collector.waitForKeys(300, 30000);
    const victim = instances[1];
    const victimPartitions = await victim.partitions();
    assert.ok(victimPartitions.length > 0, 'victim owns partitions');
    const killedAt = Date.now();
    await victim.kill();

    const sent = await streaming;
    assert.equal(sent, records.length);
    // Exactly-once outputs of the new owner become visible once the victim's open transaction is aborted.
    assert.ok(await pipeline.collector.waitForKeys(records.length, 90000), `all ${records.length} records come out`);
    await sleep(2000); // let late duplicates, if any, arrive

    const resumedAt = pipeline.collector.resumedAfter(killedAt, victimPartitions, victim.instanceId);
    const survivorsHealthy = await Promise.all([instances[0], instances[2]].map((i) => i.probe('/healthz')));
    return {
      missing: pipeline.collector.missingKeys(records.map((r) => r.key)),
      duplicates: pipeline.collector.duplicateKeys(),
      resumeMs: resumedAt - killedAt,
      survivorsHealthy,
    };
  } finally {
    await pipeline.teardown();
  }
}

describe('prediction service: kill -9 of an instance mid-stream', () => {
  it('at-least-once: no record lost, processing resumes within 10 s', async (t) => {
    const result = await killInstanceMidStream('at-least-once');
    t.diagnostic(`resumed after ${result.resumeMs} ms; ${result.duplicates.length} duplicates (allowed at-least-once)`);
    assert.deepEqual(result.missing, []);
    assert.ok(Number.isFinite(result.resumeMs) && result.resumeMs < 10000, `resumed after ${result.resumeMs} ms`);
    assert.deepEqual(result.survivorsHealthy, [200, 200]);
  });

  it('exactly-once: no record lost and none duplicated (read_committed), resumes within 10 s', async (t) => {
    const result = await killInstanceMidStream('exactly-once');
    t.diagnostic(`resumed after ${result.resumeMs} ms`);
    assert.deepEqual(result.missing, []);
    assert.deepEqual(result.duplicates, []);
    assert.ok(Number.isFinite(result.resumeMs) && result.resumeMs < 10000, `resumed after ${result.resumeMs} ms`);
    assert.deepEqual(result.survivorsHealthy, [200, 200]);
  });
});

/**
 * Exactly-once with a zombie: one of three instances is frozen (SIGSTOP) while records flow, past its session
 * timeout, until the two others own all its partitions; then it is woken (SIGCONT) and may try to finish the
 * transaction it was in. Its partitions' transactional ids were initialised by their new owners, so it is fenced.
 */
describe('prediction service: a paused instance (zombie) in exactly-once mode', () => {
  it('read_committed readers see every record once after the zombie wakes up', async (t) => {
    const pipeline = await Pipeline.create({ name: 'svc-zombie', mode: 'exactly-once' });
    try {
      const instances = await pipeline.spawnGroup(3);
      const records = readFlightLines(dataFilePath(), 3000, 'zmb-');
      const streaming = replay(pipeline.producer, records, { topic: pipeline.topics.input, ratePerSecond: 300 });
      await pipeline.collector.waitForKeys(400, 30000);
      const [first, zombie, third] = instances;
      const zombiePartitions = await zombie.partitions();
      assert.ok(zombiePartitions.length > 0, 'the zombie owns partitions when it is paused');
      zombie.pause();
      const pausedAt = Date.now();
      try {
        await waitFor('the two others to own all 10 partitions', 60000, async () => {
          const owned = new Set([...(await first.partitions()), ...(await third.partitions())]);
          return owned.size === 10;
        });
        await sleep(Math.max(0, PREDICTOR_SESSION_TIMEOUT_MS + 2000 - (Date.now() - pausedAt))); // past the session timeout
      } finally {
        zombie.resume();
      }
      t.diagnostic(`zombie paused ${Date.now() - pausedAt} ms, owned partitions [${zombiePartitions.join(',')}]`);
      assert.equal(await streaming, records.length);
      assert.ok(await pipeline.collector.waitForKeys(records.length, 90000), `all ${records.length} records come out`);
      await sleep(3000); // late duplicates, if any
      assert.deepEqual(pipeline.collector.missingKeys(records.map((r) => r.key)), []);
      assert.deepEqual(pipeline.collector.duplicateKeys(), []);
    } finally {
      await pipeline.teardown();
    }
  });
});
