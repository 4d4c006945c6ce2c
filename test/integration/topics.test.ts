// The provisioner against the real local cluster (test/run.ts starts it).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigResourceTypes, type Admin } from 'kafkajs';
import { build } from 'esbuild';
import { TopicDriftError, TopicSpecError } from '../../services/topics/errors';
import { provisionTopics } from '../../services/topics/provisioner';
import type { DesiredTopic } from '../../services/topics/spec';
import { quietLogger, testBootstrap, testCluster, uniqueName, withAdmin } from '../harness/cluster';

const ROOT = resolve(__dirname, '../..');
const bootstrap = testBootstrap();
const cluster = testCluster();
const created: string[] = [];
const scratch = mkdtempSync(join(tmpdir(), 'topics-it-'));

after(async () => {
  rmSync(scratch, { recursive: true, force: true });
  await withAdmin(async (admin) => {
    const present = new Set(await admin.listTopics());
    const ours = created.filter((name) => present.has(name));
    if (ours.length > 0) await admin.deleteTopics({ topics: ours, timeout: 30_000 });
  });
});

/** Retries reads that fail while a broker has not yet caught up with new metadata (assertions are not retried). */
async function settled<T>(read: () => Promise<T>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await read();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 300));
    }
  }
}

function topic(prefix: string, partitions = 10, replicationFactor = 3, config: Record<string, string> = { 'min.insync.replicas': '2' }): DesiredTopic {
  const name = uniqueName(prefix);
  created.push(name);
  return { name, partitions, replicationFactor, config };
}

/** Partitions -> [leader, replicas] of the given topics that exist, plus their topic-level overrides. */
async function snapshot(admin: Admin, names: string[]) {
  const existing = new Set(await admin.listTopics());
  const present = names.filter((n) => existing.has(n));
  if (present.length === 0) return { present, layout: {}, overrides: {} };
  const metadata = await admin.fetchTopicMetadata({ topics: present });
  const configs = await admin.describeConfigs({ includeSynonyms: false, resources: present.map((name) => ({ type: ConfigResourceTypes.TOPIC, name })) });
  const layout = Object.fromEntries(
    metadata.topics.map((t) => [t.name, t.partitions.map((p) => ({ id: p.partitionId, replicas: [...p.replicas].sort() })).sort((a, b) => a.id - b.id)]),
  );
  const overrides = Object.fromEntries(
    configs.resources.map((r) => [r.resourceName, Object.fromEntries(r.configEntries.filter((e) => e.configSource === 1).map((e) => [e.configName, e.configValue]))]),
  );
  return { present: present.sort(), layout, overrides };
}

const readState = (names: string[]) => settled(() => withAdmin((admin) => snapshot(admin, names)));

const quiet = { logger: quietLogger('topics-test'), expectedBrokers: 3, timeoutMs: 30_000, security: cluster.clientSecurity('topicsProvisioner') };

describe('topic provisioner on the local cluster', () => {
  const input = topic('AirlineInputTopic');
  const output = topic('AirlineOutputTopic');

  it('creates topics with 10 partitions, RF 3 on three racks, leaders spread over all brokers', async () => {
    const result = await provisionTopics({ ...quiet, bootstrap, topics: [input, output] });
    assert.deepEqual(result.outcomes.map((o) => o.result), ['created', 'created']);
    assert.equal(result.changed, true);
    const metadata = await settled(() => withAdmin((admin) => admin.fetchTopicMetadata({ topics: [input.name, output.name] })));
    {
      for (const t of metadata.topics) {
        assert.equal(t.partitions.length, 10, `${t.name} partitions`);
        for (const p of t.partitions) {
          assert.equal(new Set(p.replicas).size, 3, `${t.name}/${p.partitionId} has 3 distinct replicas`);
          assert.equal(p.isr.length, 3, `${t.name}/${p.partitionId} fully in sync`);
        }
        const leaders = new Map<number, number>();
        for (const p of t.partitions) leaders.set(p.leader, (leaders.get(p.leader) ?? 0) + 1);
        assert.deepEqual([...leaders.keys()].sort(), [1, 2, 3], `${t.name} leaders on every broker`);
        assert.ok(Math.max(...leaders.values()) <= 4, `${t.name} leaders balanced: ${JSON.stringify([...leaders])}`);
      }
      const { overrides } = await readState([input.name]);
      assert.equal(overrides[input.name]['min.insync.replicas'], '2');
    }
  });

  it('changes nothing on a second run', async () => {
    const before = await readState([input.name, output.name]);
    const result = await provisionTopics({ ...quiet, bootstrap, topics: [input, output] });
    assert.equal(result.changed, false);
    assert.deepEqual(result.outcomes.map((o) => o.result), ['unchanged', 'unchanged']);
    assert.deepEqual(await readState([input.name, output.name]), before);
  });

  it('refuses each bad spec with a clear error and changes nothing', async () => {
    const fresh = topic('NeverCreated');
    const names = [input.name, output.name, fresh.name];
    const before = await readState(names);
    const cases: Array<{ why: string; topics: DesiredTopic[]; error: typeof TopicSpecError | typeof TopicDriftError; message: RegExp }> = [
      { why: 'partition decrease', topics: [fresh, { ...input, partitions: 5 }], error: TopicDriftError, message: /has 10 partitions, spec asks 5/ },
      { why: 'replication factor change', topics: [fresh, { ...output, replicationFactor: 2, config: {} }], error: TopicDriftError, message: /replication factor is 3, spec asks 2/ },
      { why: 'RF above the broker count', topics: [{ ...input, partitions: 12 }, { ...fresh, replicationFactor: 4 }], error: TopicSpecError, message: /replicationFactor 4 needs 4 brokers, the cluster has 3/ },
      { why: 'zero partitions', topics: [fresh, { ...output, partitions: 0 }], error: TopicSpecError, message: /partitions must be at least 1|must be at least 1/ },
      { why: 'unknown config key', topics: [fresh, { ...input, config: { 'retention.mss': '1' } }], error: TopicSpecError, message: /unknown topic config key "retention.mss"/ },
      // Only the broker knows this value is invalid: its dry run must stop the partition increase and the create too.
      { why: 'value the broker rejects', topics: [{ ...input, partitions: 12 }, { ...fresh, config: { 'cleanup.policy': 'shred' } }], error: TopicSpecError, message: /cluster rejected the spec[\s\S]*cleanup.policy=shred/ },
    ];
    for (const c of cases) {
      await assert.rejects(provisionTopics({ ...quiet, bootstrap, topics: c.topics }), (error: unknown) => {
        assert.ok(error instanceof c.error, `${c.why}: got ${String(error)}`);
        assert.match((error as Error).message, c.message, c.why);
        return true;
      });
      assert.deepEqual(await readState(names), before, `${c.why} changed nothing`);
    }
    assert.ok(!before.present.includes(fresh.name));
  });

  it('raises the partition count and updates configs when the spec asks', async () => {
    const grown = { ...input, partitions: 12, config: { 'min.insync.replicas': '2', 'retention.ms': '3600000' } };
    const result = await provisionTopics({ ...quiet, bootstrap, topics: [grown] });
    assert.deepEqual(result.outcomes[0].changes, ['partitions 10 -> 12', 'retention.ms 14400000 -> 3600000']);
    const after = await readState([input.name]);
    assert.equal(after.layout[input.name].length, 12);
    assert.deepEqual(after.overrides[input.name], { 'min.insync.replicas': '2', 'retention.ms': '3600000' });
    assert.equal((await provisionTopics({ ...quiet, bootstrap, topics: [grown] })).changed, false);
  });

  it('the bundled CLI (as the Kubernetes Job runs it) uses the Job variables and documented exit codes', async () => {
    const bundle = join(scratch, 'topics.cjs');
    await build({ entryPoints: [join(ROOT, 'services/topics/cli.ts')], bundle: true, platform: 'node', target: 'node20', format: 'cjs', outfile: bundle, logLevel: 'error' });
    const runJob = (env: Record<string, string>, args: string[] = []) =>
      spawnSync(process.execPath, [bundle, ...args], {
        env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ...cluster.securityEnv('topicsProvisioner'), ...env },
        encoding: 'utf8',
        timeout: 60_000,
      });
    const spec = JSON.stringify([input, output].map((t) => ({ ...t, partitions: t === input ? 12 : 10, config: t === input ? { 'min.insync.replicas': '2', 'retention.ms': '3600000' } : t.config })));

    const ok = runJob({ KAFKA_BOOTSTRAP: bootstrap, TOPICS_SPEC: spec, EXPECTED_BROKERS: '3', TIMEOUT_MS: '30000' });
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /topics: 0 created, 0 updated, 2 unchanged on 3 brokers -> unchanged/);

    const invalid = runJob({ KAFKA_BOOTSTRAP: bootstrap, TOPICS_SPEC: '[{"name":"x","partitions":0,"replicationFactor":3}]' });
    assert.equal(invalid.status, 2, invalid.stderr);
    assert.match(invalid.stderr, /topics\[0\]\.partitions: must be at least 1/);

    const drift = runJob({ KAFKA_BOOTSTRAP: bootstrap, TOPICS_SPEC: JSON.stringify([{ ...output, partitions: 3 }]) });
    assert.equal(drift.status, 4, drift.stderr);

    const notReady = runJob({ KAFKA_BOOTSTRAP: bootstrap, TOPICS_SPEC: spec, EXPECTED_BROKERS: '4', TIMEOUT_MS: '2000' });
    assert.equal(notReady.status, 3, notReady.stderr);
    assert.match(notReady.stderr, /brokers not ready after 2000 ms: 3 of 4 brokers registered/);

    const badEnv = runJob({ KAFKA_BOOTSTRAP: bootstrap, TOPICS_SPEC: spec, EXPECTED_BROKERS: 'many' });
    assert.equal(badEnv.status, 2, badEnv.stderr);
    assert.match(badEnv.stderr, /EXPECTED_BROKERS/);

    // The security variables go together: a partial set is refused before anything is asked of the cluster.
    const partial = runJob({ KAFKA_BOOTSTRAP: bootstrap, TOPICS_SPEC: spec, KAFKA_TLS_CA_FILE: '' });
    assert.equal(partial.status, 2, partial.stderr);
    assert.match(partial.stderr, /field KAFKA_TLS_CA_FILE: is required when KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD_FILE is set/);
  });
});
