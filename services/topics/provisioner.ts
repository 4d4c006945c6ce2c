// The topic provisioner: makes the cluster's topics match a spec. Order: validate everything (locally, then the
// cluster's own dry run), and only then apply; so a bad spec changes nothing.
import { ConfigResourceTypes, ConfigSource, logLevel, type Admin, type Kafka } from 'kafkajs';
import { createKafkaClient, type KafkaSecurity } from '../common/kafka-client';
import { createLogger, type Logger } from '../../contracts/logging';
import { BrokersNotReadyError, TopicDriftError, TopicSpecError } from './errors';
import { planTopics, type ExistingTopic, type TopicAction } from './plan';
import { parseTopicSpec, type DesiredTopic } from './spec';

export const PROVISION_DEFAULTS = {
  expectedBrokers: 3,
  timeoutMs: 120_000,
  clientId: 'topic-provisioner',
} as const;

export interface ProvisionOptions {
  /** Bootstrap address(es), e.g. '127.0.0.10:9092' or 'kafka-bootstrap.kafka.svc:9092'. */
  bootstrap: string | string[];
  topics: readonly DesiredTopic[];
  /** Brokers that must be registered before anything is checked or changed. */
  expectedBrokers?: number;
  /** Upper bound for waiting on the brokers. */
  timeoutMs?: number;
  /** Validate and plan only. */
  dryRun?: boolean;
  clientId?: string;
  /** Credentials of the topics provisioner's principal; undefined: plaintext. */
  security?: KafkaSecurity;
  logger?: Logger;
}

export type TopicResult = 'created' | 'updated' | 'unchanged';

export interface TopicOutcome {
  name: string;
  result: TopicResult;
  partitions: number;
  replicationFactor: number;
  /** Human-readable changes, e.g. 'partitions 10 -> 12'. */
  changes: string[];
}

export interface ProvisionResult {
  outcomes: TopicOutcome[];
  brokers: number;
  changed: boolean;
  dryRun: boolean;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function errorMessages(error: unknown): string[] {
  const nested = (error as { errors?: unknown[] }).errors;
  if (Array.isArray(nested) && nested.length > 0) return nested.flatMap(errorMessages);
  const topic = (error as { topic?: string }).topic;
  const message = error instanceof Error ? error.message : String(error);
  return [topic ? `${topic}: ${message}` : message];
}

/** Waits until `expected` brokers are registered (and a controller is elected); returns the live count. */
async function waitForBrokers(kafka: Kafka, expected: number, timeoutMs: number, log: Logger): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let lastSeen = 'no answer yet';
  for (let attempt = 1; ; attempt++) {
    const admin = kafka.admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      const ids = cluster.brokers.map((b) => b.nodeId).sort((a, b) => a - b);
      lastSeen = `${ids.length} of ${expected} brokers registered (ids ${ids.join(', ') || 'none'}), controller ${cluster.controller ?? 'none'}`;
      if (ids.length >= expected && cluster.controller !== null && cluster.controller >= 0) {
        log.info({ brokers: ids, controller: cluster.controller }, 'brokers ready');
        return ids.length;
      }
    } catch (error) {
      lastSeen = `cannot reach the cluster: ${(error as Error).message}`;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    if (Date.now() >= deadline) {
      throw new BrokersNotReadyError(`brokers not ready after ${timeoutMs} ms: ${lastSeen}`);
    }
    if (attempt === 1 || attempt % 10 === 0) log.info({ lastSeen }, 'waiting for brokers');
    await sleep(Math.min(1000, Math.max(0, deadline - Date.now())));
  }
}

/** Reads the desired topics that already exist: partitions, replica counts, configs. */
export async function describeExistingTopics(admin: Admin, names: readonly string[]): Promise<Map<string, ExistingTopic>> {
  const all = new Set(await admin.listTopics());
  const present = names.filter((name) => all.has(name));
  const existing = new Map<string, ExistingTopic>();
  if (present.length === 0) return existing;
  const metadata = await admin.fetchTopicMetadata({ topics: present });
  const configs = await admin.describeConfigs({
    includeSynonyms: false,
    resources: present.map((name) => ({ type: ConfigResourceTypes.TOPIC, name })),
  });
  for (const topic of metadata.topics) {
    existing.set(topic.name, {
      name: topic.name,
      partitions: topic.partitions.length,
      replicaCounts: topic.partitions.map((p) => p.replicas.length),
      config: {},
      overrides: {},
    });
  }
  for (const resource of configs.resources) {
    const topic = existing.get(resource.resourceName);
    if (!topic) continue;
    if (resource.errorCode !== 0) {
      throw new Error(`describing configs of ${resource.resourceName} failed: ${resource.errorMessage}`);
    }
    for (const entry of resource.configEntries) {
      topic.config[entry.configName] = entry.configValue;
      if (entry.configSource === ConfigSource.TOPIC_CONFIG) topic.overrides[entry.configName] = entry.configValue;
    }
  }
  return existing;
}

function toConfigEntries(config: Record<string, string>) {
  return Object.entries(config).map(([name, value]) => ({ name, value }));
}

/** Applies (or, with validateOnly, asks the cluster to check) every action. */
async function runActions(admin: Admin, actions: readonly TopicAction[], validateOnly: boolean): Promise<void> {
  const creates = actions.flatMap((a) => (a.kind === 'create' ? [a.topic] : []));
  const updates = actions.flatMap((a) => (a.kind === 'update' ? [a] : []));
  const growing = updates.flatMap((u) => (u.partitions ? [{ topic: u.name, count: u.partitions.to }] : []));
  const reconfigured = updates.filter((u) => u.configChanges.length > 0);
  if (creates.length > 0) {
    await admin.createTopics({
      validateOnly,
      waitForLeaders: !validateOnly,
      timeout: 30_000,
      topics: creates.map((t) => ({
        topic: t.name,
        numPartitions: t.partitions,
        replicationFactor: t.replicationFactor,
        configEntries: toConfigEntries(t.config),
      })),
    });
  }
  if (growing.length > 0) {
    await admin.createPartitions({ validateOnly, timeout: 30_000, topicPartitions: growing });
  }
  if (reconfigured.length > 0) {
    await admin.alterConfigs({
      validateOnly,
      resources: reconfigured.map((u) => ({
        type: ConfigResourceTypes.TOPIC,
        name: u.name,
        configEntries: toConfigEntries(u.overridesAfter),
      })),
    });
  }
}

function outcomeOf(action: TopicAction, desired: ReadonlyMap<string, DesiredTopic>): TopicOutcome {
  const name = action.kind === 'create' ? action.topic.name : action.name;
  const topic = desired.get(name)!;
  const base = { name, partitions: topic.partitions, replicationFactor: topic.replicationFactor };
  switch (action.kind) {
    case 'create':
      return {
        ...base,
        result: 'created',
        changes: [`created with ${topic.partitions} partitions, RF ${topic.replicationFactor}`],
      };
    case 'update':
      return {
        ...base,
        result: 'updated',
        changes: [
          ...(action.partitions ? [`partitions ${action.partitions.from} -> ${action.partitions.to}`] : []),
          ...action.configChanges.map((c) => `${c.key} ${c.from ?? '(unset)'} -> ${c.to}`),
        ],
      };
    case 'unchanged':
      return { ...base, result: 'unchanged', changes: [] };
  }
}

/** Checks that the cluster now holds what the spec asks; brokers learn new metadata shortly after the controller. */
async function verifyApplied(admin: Admin, topics: readonly DesiredTopic[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let differences: string[] = [];
  while (Date.now() < deadline) {
    try {
      const existing = await describeExistingTopics(
        admin,
        topics.map((t) => t.name),
      );
      const plan = planTopics(topics, existing, Number.MAX_SAFE_INTEGER);
      differences = [
        ...plan.drift,
        ...plan.actions.flatMap((a) => (a.kind === 'create' ? [`${a.topic.name} missing`] : a.kind === 'update' ? [`${a.name} not updated`] : [])),
      ];
    } catch (error) {
      differences = [(error as Error).message];
    }
    if (differences.length === 0) return;
    await sleep(500);
  }
  throw new Error(`after applying, the cluster still differs from the spec: ${differences.join('; ')}`);
}

/**
 * New topics and partitions reach each broker's metadata cache a moment apart; a client bootstrapping through a load
 * balancer may ask any broker. Wait until every broker serves every partition with a leader.
 */
async function waitForMetadataOnEveryBroker(
  admin: Admin,
  topics: readonly DesiredTopic[],
  timeoutMs: number,
  clientId: string,
  security: KafkaSecurity | undefined,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const { brokers } = await admin.describeCluster();
  for (const broker of brokers) {
    const address = `${broker.host}:${broker.port}`;
    const direct = createKafkaClient({ security, clientId, brokers: [address], logLevel: logLevel.NOTHING, retry: { retries: 0 } }).admin();
    let lastSeen = 'no answer';
    try {
      await direct.connect();
      for (;;) {
        try {
          const metadata = await direct.fetchTopicMetadata({ topics: topics.map((t) => t.name) });
          const lagging = topics.filter((want) => {
            const seen = metadata.topics.find((t) => t.name === want.name);
            return !seen || seen.partitions.length < want.partitions || seen.partitions.some((p) => p.leader < 0);
          });
          if (lagging.length === 0) break;
          lastSeen = `not yet complete: ${lagging.map((t) => t.name).join(', ')}`;
        } catch (error) {
          lastSeen = (error as Error).message;
        }
        if (Date.now() > deadline) {
          throw new Error(`broker ${broker.nodeId} (${address}) does not serve the topics' metadata after ${timeoutMs} ms: ${lastSeen}`);
        }
        await sleep(200);
      }
    } finally {
      await direct.disconnect().catch(() => undefined);
    }
  }
}

export async function provisionTopics(options: ProvisionOptions): Promise<ProvisionResult> {
  const log = options.logger ?? createLogger('topics');
  const expectedBrokers = options.expectedBrokers ?? PROVISION_DEFAULTS.expectedBrokers;
  const timeoutMs = options.timeoutMs ?? PROVISION_DEFAULTS.timeoutMs;
  const dryRun = options.dryRun ?? false;
  if (!Number.isInteger(expectedBrokers) || expectedBrokers < 1) {
    throw new TopicSpecError(`expectedBrokers must be a positive integer, got ${expectedBrokers}`);
  }
  // Library callers pass typed objects, but the values still need the same checks as a spec file.
  const topics = parseTopicSpec(options.topics);

  const kafka = createKafkaClient({
    security: options.security,
    clientId: options.clientId ?? PROVISION_DEFAULTS.clientId,
    brokers: Array.isArray(options.bootstrap) ? options.bootstrap : options.bootstrap.split(','),
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    requestTimeout: 30_000,
    retry: { retries: 5, initialRetryTime: 300 },
  });
  // Probes fail fast (no retries) so the wait stays within timeoutMs.
  const probe = createKafkaClient({
    security: options.security,
    clientId: options.clientId ?? PROVISION_DEFAULTS.clientId,
    brokers: Array.isArray(options.bootstrap) ? options.bootstrap : options.bootstrap.split(','),
    logLevel: logLevel.NOTHING,
    connectionTimeout: 2000,
    requestTimeout: 5000,
    retry: { retries: 0 },
  });
  const brokers = await waitForBrokers(probe, expectedBrokers, timeoutMs, log);

  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = await describeExistingTopics(
      admin,
      topics.map((t) => t.name),
    );
    const plan = planTopics(topics, existing, brokers);
    if (plan.invalid.length > 0) throw new TopicSpecError('the spec cannot be satisfied by this cluster', plan.invalid);
    if (plan.drift.length > 0) throw new TopicDriftError('refusing to change existing topics', plan.drift);

    // The cluster's own dry run catches what only it knows (e.g. a config value it rejects).
    try {
      await runActions(admin, plan.actions, true);
    } catch (error) {
      // kafkajs drops the broker's error text, so name the settings involved.
      const withSettings = errorMessages(error).map((message) => {
        const topic = topics.find((t) => message.startsWith(`${t.name}: `));
        const settings = topic ? Object.entries(topic.config).map(([k, v]) => `${k}=${v}`) : [];
        return settings.length > 0 ? `${message} (config ${settings.join(', ')})` : message;
      });
      throw new TopicSpecError('the cluster rejected the spec (nothing was changed)', withSettings);
    }

    const desired = new Map(topics.map((t) => [t.name, t]));
    const outcomes = plan.actions.map((action) => outcomeOf(action, desired));
    const changed = outcomes.some((o) => o.result !== 'unchanged');
    for (const outcome of outcomes) {
      log.info({ topic: outcome.name, result: outcome.result, changes: outcome.changes, dryRun }, 'topic planned');
    }
    if (changed && !dryRun) {
      await runActions(admin, plan.actions, false);
      await verifyApplied(admin, topics);
      await waitForMetadataOnEveryBroker(admin, topics, timeoutMs, options.clientId ?? PROVISION_DEFAULTS.clientId, options.security);
      log.info({ topics: outcomes.length }, 'topics applied and verified');
    }
    return { outcomes, brokers, changed, dryRun };
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** The stdout summary: one line per topic, then a total line ending in "unchanged" when nothing changed. */
export function formatSummary(result: ProvisionResult): string {
  const width = Math.max(...result.outcomes.map((o) => o.name.length), 5);
  const verb = (r: TopicResult) => (result.dryRun && r !== 'unchanged' ? `would be ${r}` : r);
  const lines = result.outcomes.map(
    (o) =>
      `${o.name.padEnd(width)}  ${verb(o.result).padEnd(16)} partitions=${o.partitions} rf=${o.replicationFactor}` +
      (o.changes.length > 0 && o.result !== 'created' ? `  (${o.changes.join(', ')})` : ''),
  );
  const count = (r: TopicResult) => result.outcomes.filter((o) => o.result === r).length;
  lines.push(
    `topics: ${count('created')} created, ${count('updated')} updated, ${count('unchanged')} unchanged on ${result.brokers} brokers` +
      (result.dryRun ? ' (dry run)' : '') +
      ` -> ${result.changed ? 'changed' : 'unchanged'}`,
  );
  return lines.join('\n');
}
