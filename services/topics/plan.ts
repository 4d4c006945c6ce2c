// Pure planning: compares the desired topics with what the cluster has and decides what to do, or why not.
import type { DesiredTopic } from './spec';

/** A topic as found in the cluster. */
export interface ExistingTopic {
  name: string;
  partitions: number;
  /** Replica count of each partition (normally all equal). */
  replicaCounts: number[];
  /** Effective value of every config key, whatever its source. */
  config: Record<string, string>;
  /** Values set on the topic itself (dynamic topic overrides); kept when other keys change. */
  overrides: Record<string, string>;
}

export interface ConfigChange {
  key: string;
  from: string | undefined;
  to: string;
}

export type TopicAction =
  | { kind: 'create'; topic: DesiredTopic }
  | {
      kind: 'update';
      name: string;
      partitions?: { from: number; to: number };
      configChanges: ConfigChange[];
      /** The topic's full override set after the change (AlterConfigs replaces the whole set). */
      overridesAfter: Record<string, string>;
    }
  | { kind: 'unchanged'; name: string };

export interface TopicPlan {
  actions: TopicAction[];
  /** The spec cannot be satisfied by this cluster (exit 2). */
  invalid: string[];
  /** Existing topics differ in ways that are refused (exit 4). */
  drift: string[];
}

export function planTopics(
  desired: readonly DesiredTopic[],
  existing: ReadonlyMap<string, ExistingTopic>,
  liveBrokers: number,
): TopicPlan {
  const plan: TopicPlan = { actions: [], invalid: [], drift: [] };
  for (const topic of desired) {
    if (topic.replicationFactor > liveBrokers) {
      plan.invalid.push(
        `${topic.name}: replicationFactor ${topic.replicationFactor} needs ${topic.replicationFactor} brokers, the cluster has ${liveBrokers}`,
      );
    }
    const current = existing.get(topic.name);
    if (!current) {
      plan.actions.push({ kind: 'create', topic });
      continue;
    }
    const driftBefore = plan.drift.length;
    if (topic.partitions < current.partitions) {
      plan.drift.push(
        `${topic.name}: has ${current.partitions} partitions, spec asks ${topic.partitions}; Kafka cannot remove partitions (recreate the topic deliberately if needed)`,
      );
    }
    const replicaCounts = [...new Set(current.replicaCounts)];
    if (replicaCounts.length !== 1 || replicaCounts[0] !== topic.replicationFactor) {
      plan.drift.push(
        `${topic.name}: replication factor is ${replicaCounts.join('/')}, spec asks ${topic.replicationFactor}; changing it needs a partition reassignment, which the provisioner does not do`,
      );
    }
    if (plan.drift.length > driftBefore) continue;

    const configChanges = Object.entries(topic.config)
      .filter(([key, value]) => current.config[key] !== value)
      .map(([key, to]) => ({ key, from: current.config[key], to }));
    const partitions =
      topic.partitions > current.partitions ? { from: current.partitions, to: topic.partitions } : undefined;
    if (!partitions && configChanges.length === 0) {
      plan.actions.push({ kind: 'unchanged', name: topic.name });
    } else {
      plan.actions.push({
        kind: 'update',
        name: topic.name,
        partitions,
        configChanges,
        overridesAfter: { ...current.overrides, ...topic.config },
      });
    }
  }
  return plan;
}
