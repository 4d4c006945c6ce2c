// Shared set-up for the prediction service integration tests: unique topics and group per test on the cluster that
// test/run.ts started (KAFKA_BOOTSTRAP, KAFKA_CLUSTER_STATE), service instances as child processes, a
// read_committed collector of the outputs, and a producer of input records.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Partitioners, logLevel, type Kafka, type Producer } from 'kafkajs';
import { OutputCollector, ServiceInstance, metricValue, sleep, deleteTopics, ensureTopics } from './demo';
import { topicVariables } from '../../contracts/predictor-env';
import { PREDICTOR_GROUP_ID, topicNamesWithSuffix, type TopicsByRole } from '../../contracts/topics';
import type { LocalCluster } from '../../local/cluster';
import { createKafkaClient } from '../../services/common/kafka-client';
import { PartitionedSender } from '../../services/common/partitioned-send';
import { testCluster } from './cluster';

export function kafkaBootstrap(): string {
  const bootstrap = process.env.KAFKA_BOOTSTRAP;
  if (!bootstrap) {
    throw new Error('KAFKA_BOOTSTRAP is not set: run integration tests through `npm test` (test/run.ts starts the cluster)');
  }
  return bootstrap;
}

export interface PipelineOptions {
  name: string;
  mode?: 'at-least-once' | 'exactly-once';
  partitions?: number;
  /** Extra service environment. */
  env?: Record<string, string>;
  /** Start the output collector at once (default true). */
  collect?: boolean;
}

export class Pipeline {
  readonly topics: TopicsByRole;
  readonly groupId: string;
  readonly kafka: Kafka;
  readonly collector: OutputCollector;
  readonly producer: Producer;
  readonly instances = new Map<string, ServiceInstance>();
  readonly logDir: string;
  private readonly extraCollectors: OutputCollector[] = [];

  private constructor(
    readonly bootstrap: string,
    readonly cluster: LocalCluster,
    readonly options: PipelineOptions,
    unique: string,
  ) {
    // The service's own names with a run suffix: the predictor principal's ACLs cover exactly these.
    this.topics = topicNamesWithSuffix(`-${options.name}-${unique}`);
    this.groupId = `${PREDICTOR_GROUP_ID}-${options.name}-${unique}`;
    this.logDir = mkdtempSync(join(tmpdir(), `airline-${options.name}-`));
    // The test's own producer and collectors: the local operator (any group name, reads the input back).
    this.kafka = createKafkaClient({
      security: cluster.clientSecurity('localOperator'),
      clientId: `test-${options.name}`,
      brokers: [bootstrap],
      logLevel: logLevel.NOTHING,
      // Survive a broker fail-over (leader election takes several seconds).
      retry: { initialRetryTime: 300, maxRetryTime: 5000, retries: 12 },
    });
    this.collector = new OutputCollector(this.kafka, {
      outputTopic: this.topics.output,
      deadLetterTopic: this.topics.deadLetter,
      groupId: `${options.name}-collector-${unique}`,
    });
    // Idempotent: a retried send during a broker fail-over neither duplicates nor drops input records.
    this.producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
  }

  /** Creates the topics (10 partitions, RF 3 unless told) and connects the producer and the collector. */
  static async create(options: PipelineOptions): Promise<Pipeline> {
    const unique = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
    const pipeline = new Pipeline(kafkaBootstrap(), testCluster(), options, unique);
    await ensureTopics(
      pipeline.cluster,
      Object.values(pipeline.topics).map((name) => ({
        name,
        partitions: options.partitions ?? 10,
        replicationFactor: 3,
        config: { 'min.insync.replicas': '2' },
      })),
    );
    try {
      await pipeline.producer.connect();
      if (options.collect ?? true) await pipeline.collector.start();
    } catch (error) {
      // A half-built pipeline would keep the test process alive with open connections.
      await pipeline.teardown();
      throw error;
    }
    return pipeline;
  }

  /** A fresh read_committed reader of the outputs, from the beginning, in a group of its own. */
  /**
   * The broker whose death hits most outputs in flight: the one leading the most output partitions whose input
   * partition another broker leads (records keep arriving there while their outputs wait for a new leader). Killing
   * a broker that leads input and output partitions alike would stop both, leaving nothing in flight.
   */
  async brokerLeadingMostOutputs(): Promise<number> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: [this.topics.input, this.topics.output] });
      const leaders = (name: string) => new Map(topics.find((t) => t.name === name)!.partitions.map((p) => [p.partitionId, p.leader]));
      const input = leaders(this.topics.input);
      const counts = new Map<number, number>();
      for (const [partition, leader] of leaders(this.topics.output)) {
        if (input.get(partition) !== leader) counts.set(leader, (counts.get(leader) ?? 0) + 1);
      }
      return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]?.[0] ?? 2;
    } finally {
      await admin.disconnect();
    }
  }

  /** How many times each key is stored in the input topic, read from the beginning until `expected` keys or 20 s. */
  async storedInputKeys(expected: number): Promise<Map<string, number>> {
    return storedKeys(this.kafka, this.topics.input, `${this.groupId}-inputs-${Date.now().toString(36)}`, expected);
  }

  async freshCollector(): Promise<OutputCollector> {
    const collector = new OutputCollector(this.kafka, {
      outputTopic: this.topics.output,
      deadLetterTopic: this.topics.deadLetter,
      groupId: `${this.groupId}-verify-${Date.now().toString(36)}`,
    });
    this.extraCollectors.push(collector);
    await collector.start();
    return collector;
  }

  async spawn(instanceId: string): Promise<ServiceInstance> {
    const instance = await ServiceInstance.spawn({
      instanceId,
      logDir: this.logDir,
      env: {
        KAFKA_BOOTSTRAP: this.bootstrap,
        ...this.cluster.securityEnv('predictor'),
        ...topicVariables(this.topics),
        GROUP_ID: this.groupId,
        DELIVERY_MODE: this.options.mode ?? 'at-least-once',
        ...this.options.env,
      },
    });
    this.instances.set(instanceId, instance);
    return instance;
  }

  /** Spawns instances `<prefix>-1..n` and waits until each is ready and the group is settled. */
  async spawnGroup(count: number, prefix = 'p'): Promise<ServiceInstance[]> {
    const started = await Promise.all(Array.from({ length: count }, (_, i) => this.spawn(`${prefix}-${i + 1}`)));
    await Promise.all(started.map((instance) => instance.waitReady(90000)));
    return started;
  }

  async send(records: Array<{ key: string; value: Buffer | string | null }>): Promise<void> {
    const partitions = this.options.partitions ?? 10;
    await new PartitionedSender(new Map([[this.topics.input, partitions]])).send(this.producer, this.topics.input, records);
  }

  /** Stops every process and client and removes the topics; safe to call more than once. */
  async teardown(): Promise<void> {
    await Promise.all([...this.instances.values()].map((instance) => instance.stop()));
    for (const collector of [this.collector, ...this.extraCollectors]) await collector.stop().catch(() => undefined);
    await this.producer.disconnect().catch(() => undefined);
    await deleteTopics(this.cluster, Object.values(this.topics)).catch(() => undefined);
  }
}

/** Waits until `predicate` holds, polling; throws with `what` on timeout. */
export async function waitFor(what: string, timeoutMs: number, predicate: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(200);
  }
}

/**
 * Outputs in flight around a fault: `start` reads every instance's metrics once (which resets the services' peak
 * gauges), `peakUntil` then reads `predictor_outputs_in_flight_peak` every 100 ms and sums each instance's highest.
 */
export class InFlightProbe {
  private constructor(private readonly instances: readonly ServiceInstance[]) {}

  static async start(instances: readonly ServiceInstance[]): Promise<InFlightProbe> {
    await Promise.all(instances.map((instance) => instance.metrics().catch(() => '')));
    return new InFlightProbe(instances);
  }

  /** Reads until `done` settles. */
  async peakUntil(done: Promise<unknown>): Promise<number> {
    let finished = false;
    void done.finally(() => (finished = true)).catch(() => undefined);
    const peaks = this.instances.map(() => 0);
    for (; !finished; await sleep(100)) {
      const texts = await Promise.all(this.instances.map((instance) => (instance.running ? instance.metrics().catch(() => '') : '')));
      texts.forEach((text, i) => (peaks[i] = Math.max(peaks[i], metricValue(text, 'predictor_outputs_in_flight_peak'))));
    }
    return peaks.reduce((sum, peak) => sum + peak, 0);
  }
}

/**
 * How many times each key is stored in `topic`, read from the beginning by a consumer in group `groupId` until
 * `expected` distinct keys or 20 s, then 1 s more for late second copies.
 */
export async function storedKeys(kafka: Kafka, topic: string, groupId: string, expected: number): Promise<Map<string, number>> {
  const stored = new Map<string, number>();
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 200 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const key = message.key?.toString() ?? '';
        stored.set(key, (stored.get(key) ?? 0) + 1);
      },
    });
    const deadline = Date.now() + 20000;
    while (stored.size < expected && Date.now() < deadline) await sleep(200);
    await sleep(1000);
  } finally {
    await consumer.disconnect();
  }
  return stored;
}
