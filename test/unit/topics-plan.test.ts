import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planTopics, type ExistingTopic } from '../../services/topics/plan';
import type { DesiredTopic } from '../../services/topics/spec';

const desired = (name: string, partitions = 10, replicationFactor = 3, config: Record<string, string> = {}): DesiredTopic => ({
  name,
  partitions,
  replicationFactor,
  config,
});

function existing(name: string, partitions: number, replicas: number, config: Record<string, string> = {}, overrides: Record<string, string> = {}): ExistingTopic {
  return { name, partitions, replicaCounts: Array(partitions).fill(replicas), config: { ...config, ...overrides }, overrides };
}

const cluster = (...topics: ExistingTopic[]) => new Map(topics.map((t) => [t.name, t]));

describe('topic planning', () => {
  it('creates missing topics and leaves matching ones unchanged', () => {
    const plan = planTopics(
      [desired('In', 10, 3, { 'min.insync.replicas': '2' }), desired('Out')],
      cluster(existing('In', 10, 3, { 'min.insync.replicas': '2' })),
      3,
    );
    assert.deepEqual(plan.invalid, []);
    assert.deepEqual(plan.drift, []);
    assert.deepEqual(
      plan.actions.map((a) => [a.kind, a.kind === 'create' ? a.topic.name : a.name]),
      [
        ['unchanged', 'In'],
        ['create', 'Out'],
      ],
    );
  });

  it('compares effective config values, so a broker default equal to the spec is no change', () => {
    const plan = planTopics([desired('In', 10, 3, { 'min.insync.replicas': '2' })], cluster(existing('In', 10, 3, { 'min.insync.replicas': '2' })), 3);
    assert.equal(plan.actions[0].kind, 'unchanged');
  });

  it('raises partitions and changes configs while keeping the topic\'s other overrides', () => {
    const plan = planTopics(
      [desired('In', 12, 3, { 'retention.ms': '3600000' })],
      cluster(existing('In', 10, 3, { 'retention.ms': '604800000' }, { 'cleanup.policy': 'delete', 'max.message.bytes': '2000000' })),
      3,
    );
    assert.deepEqual(plan.drift, []);
    const action = plan.actions[0];
    assert.equal(action.kind, 'update');
    if (action.kind !== 'update') return;
    assert.deepEqual(action.partitions, { from: 10, to: 12 });
    assert.deepEqual(action.configChanges, [{ key: 'retention.ms', from: '604800000', to: '3600000' }]);
    assert.deepEqual(action.overridesAfter, { 'cleanup.policy': 'delete', 'max.message.bytes': '2000000', 'retention.ms': '3600000' });
  });

  it('refuses a partition decrease and a replication-factor change as drift', () => {
    const plan = planTopics([desired('In', 5, 3), desired('Out', 10, 2), desired('New')], cluster(existing('In', 10, 3), existing('Out', 10, 3)), 3);
    assert.equal(plan.drift.length, 2);
    assert.match(plan.drift[0], /^In: has 10 partitions, spec asks 5/);
    assert.match(plan.drift[1], /^Out: replication factor is 3, spec asks 2/);
    // Drifted topics get no action; the caller refuses the whole plan.
    assert.deepEqual(plan.actions.map((a) => a.kind), ['create']);
  });

  it('treats mixed replica counts as a replication-factor mismatch', () => {
    const topic = existing('In', 3, 3);
    topic.replicaCounts = [3, 2, 3];
    const plan = planTopics([desired('In', 3, 3)], cluster(topic), 3);
    assert.match(plan.drift[0], /replication factor is 3\/2/);
  });

  it('marks a replication factor above the live broker count as impossible', () => {
    const plan = planTopics([desired('In', 10, 3), desired('Wide', 1, 4)], cluster(), 3);
    assert.deepEqual(plan.invalid, ['Wide: replicationFactor 4 needs 4 brokers, the cluster has 3']);
  });
});
