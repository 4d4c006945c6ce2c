// Topic set-up for the demo, benchmark and tests.
import { Kafka, logLevel, type Admin } from 'kafkajs';
import type { TopicSpec } from '../contracts/topics';
import { createLogger } from '../contracts/logging';
import { provisionTopics } from '../services/topics/provisioner';

/** Creates missing topics with the project's provisioner and waits for their leaders; returns its summary. */
export async function ensureTopics(bootstrap: string, specs: ReadonlyArray<Required<TopicSpec>>): Promise<string> {
  const logger = createLogger('topics');
  logger.level = 'warn';
  const result = await provisionTopics({ bootstrap, topics: specs, expectedBrokers: 3, timeoutMs: 60000, logger });
  const admin = new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await waitForLeaders(admin, specs.map((spec) => spec.name));
  } finally {
    await admin.disconnect();
  }
  return result.outcomes.map((o) => `${o.name} ${o.partitions}x${o.replicationFactor} ${o.result}`).join(', ');
}

export async function deleteTopics(bootstrap: string, names: string[]): Promise<void> {
  const admin = new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING }).admin();
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
