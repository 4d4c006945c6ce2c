// Topic set-up for the demo, benchmark and tests.
import { logLevel, type Admin } from 'kafkajs';
import type { TopicSpec } from '../contracts/topics';
import { createLogger } from '../contracts/logging';
import type { LocalCluster } from '../local/cluster';
import { createKafkaClient } from '../services/common/kafka-client';
import { provisionTopics } from '../services/topics/provisioner';

/** The local cluster's address and credentials. */
export type ClusterAccess = Pick<LocalCluster, 'bootstrap' | 'clientSecurity'>;

/**
 * Creates missing topics with the project's provisioner (as its principal) and waits for their leaders; returns its
 * summary.
 */
export async function ensureTopics(cluster: ClusterAccess, specs: ReadonlyArray<Required<TopicSpec>>): Promise<string> {
  const logger = createLogger('topics');
  logger.level = 'warn';
  const security = cluster.clientSecurity('topicsProvisioner');
  const result = await provisionTopics({ bootstrap: cluster.bootstrap, topics: specs, expectedBrokers: 3, timeoutMs: 60000, security, logger });
  const admin = createKafkaClient({ security, brokers: [cluster.bootstrap], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await waitForLeaders(admin, specs.map((spec) => spec.name));
  } finally {
    await admin.disconnect();
  }
  return result.outcomes.map((o) => `${o.name} ${o.partitions}x${o.replicationFactor} ${o.result}`).join(', ');
}

/** Deletes run-specific topics as the local operator (no service principal may delete topics). */
export async function deleteTopics(cluster: ClusterAccess, names: string[]): Promise<void> {
  const admin = createKafkaClient({ security: cluster.clientSecurity('localOperator'), brokers: [cluster.bootstrap], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await admin.deleteTopics({ topics: names, timeout: 10000 });
  } finally {
    await admin.disconnect();
  }
}

/** Every partition has a leader in the metadata brokers serve (new topics take a moment to propagate). */
async function waitForLeaders(admin: Admin, topics: string[], timeoutMs = 30000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const metadata = await admin.fetchTopicMetadata({ topics });
      if (metadata.topics.every((topic) => topic.partitions.length > 0 && topic.partitions.every((p) => p.leader >= 0))) return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    if (Date.now() > deadline) throw new Error(`topics ${topics.join(', ')} have no leaders after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
