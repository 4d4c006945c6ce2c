import {
  Kafka,
  Partitioners,
  type Admin,
  type Consumer,
  type EachBatchPayload,
  type Producer,
} from 'kafkajs';
import type { Logger } from '../common/logger';
import { kafkaLogCreator, kafkaLogLevel } from '../common/kafka-logging';
import { PartitionedSender, type MessageSender } from '../common/partitioned-send';
import type { ProbeResult } from '../common/probe-server';
import type { ServiceConfig } from './config';
import type { PredictorMetrics } from './metrics';
import { processBatch, type BatchResult } from './processor';
import type { Scorer } from './scorer';

export interface PredictionServiceDeps {
  config: ServiceConfig;
  scorer: Scorer;
  logger: Logger;
  metrics: PredictorMetrics;
  /** Called when the consumer stops for good (kafkajs gave up); the caller should exit non-zero. */
  onFatal?: (error: Error) => void;
}

/**
 * kafkajs keeps cluster metadata for 5 minutes by default and does not always refresh it when a broker dies, leaving
 * partitions pinned to the dead leader ("Broker 2 not found in the cached metadata"). Refresh often instead.
 */
const METADATA_MAX_AGE_MS = 5000;

type Phase = 'created' | 'connecting' | 'joining' | 'joined' | 'rebalancing' | 'stopping' | 'stopped' | 'failed';

/**
 * One prediction service instance: a consumer-group member reading the input topic, writing predictions and
 * dead letters. At-least-once: offsets are committed only after the produced batch is acknowledged (acks=all,
 * idempotent producer). Exactly-once: each batch's outputs and input offsets commit in one Kafka transaction.
 */
export class PredictionService {
  private readonly kafka: Kafka;
  private consumer: Consumer;
  private producer: Producer;
  private phase: Phase = 'created';
  /** Last sign of life of the fetch loop (a fetch answered, a batch started or ended, a join). */
  private lastActivityAt = Date.now();
  /** Start times of the batches being handled now (several partitions may be in flight). */
  private readonly activeBatches = new Set<number>();
  private stallTimer: NodeJS.Timeout | undefined;
  private restarting = false;
  private assignedPartitions: number[] = [];
  private sender: PartitionedSender | undefined;
  private producerReplacedAt = 0;
  /** When this instance last committed a batch; compared with the group's lag to spot a consumer that stopped. */
  private lastCommitAt = Date.now();
  private lagAdmin: Admin | undefined;
  private checkingLag = false;
  private lastLagCheckAt = 0;
  private fatalError: Error | undefined;

  constructor(private readonly deps: PredictionServiceDeps) {
    const { config, logger } = deps;
    this.kafka = new Kafka({
      clientId: `airline-predictor-${config.instanceId}`,
      brokers: config.bootstrap,
      connectionTimeout: 3000,
      logLevel: kafkaLogLevel(config.kafkaLogLevel),
      logCreator: kafkaLogCreator(logger.child({ component: 'kafkajs' })),
      // Broker fail-over (controller notices, leader moves) can take tens of seconds: keep retrying that long.
      retry: { initialRetryTime: 300, maxRetryTime: 5000, retries: 12 },
    });
    this.consumer = this.createConsumer();
    this.producer = this.createProducer();
  }

  private createProducer(): Producer {
    const { config } = this.deps;
    return this.kafka.producer({
      metadataMaxAge: METADATA_MAX_AGE_MS,
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
      ...(config.deliveryMode === 'exactly-once'
        ? { transactionalId: config.transactionalId, transactionTimeout: config.transactionTimeoutMs }
        : {}),
    });
  }

  /** kafkajs can leave a send pending forever after a broker dies: give up on that producer and start afresh. */
  private async replaceProducer(): Promise<void> {
    const stuck = this.producer;
    this.producer = this.createProducer();
    this.producerReplacedAt = Date.now();
    await Promise.race([stuck.disconnect().catch(() => undefined), delay(5000)]);
    await this.producer.connect();
    this.deps.metrics.producerRestarts.inc();
  }

  private createConsumer(): Consumer {
    const { config } = this.deps;
    const consumer = this.kafka.consumer({
      metadataMaxAge: METADATA_MAX_AGE_MS,
      groupId: config.groupId,
      sessionTimeout: config.sessionTimeoutMs,
      heartbeatInterval: config.heartbeatIntervalMs,
      rebalanceTimeout: 30000,
      // read_committed: never act on outputs of aborted upstream transactions.
      readUncommitted: false,
      maxWaitTimeInMs: 500,
      allowAutoTopicCreation: false,
    });
    this.watchConsumer(consumer);
    return consumer;
  }

  /** Connects, checks the topics exist (waiting up to `startupTimeoutMs`), joins the group and starts consuming. */
  async start(startupTimeoutMs = 60000): Promise<void> {
    const { config, logger } = this.deps;
    this.phase = 'connecting';
    await this.waitForTopics(startupTimeoutMs);
    await this.producer.connect();
    await this.runConsumer();
    this.stallTimer = setInterval(() => this.checkForStall(), 2000);
    this.stallTimer.unref();
    logger.info(
      {
        groupId: config.groupId,
        inputTopic: config.inputTopic,
        outputTopic: config.outputTopic,
        deadLetterTopic: config.deadLetterTopic,
        deliveryMode: config.deliveryMode,
        modelVersion: this.deps.scorer.modelVersion,
      },
      'consumer started',
    );
  }

  private async runConsumer(): Promise<void> {
    const { config } = this.deps;
    this.lastActivityAt = Date.now();
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [config.inputTopic], fromBeginning: true });
    this.phase = 'joining';
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      // Transactions run one at a time per producer; plain batches of different partitions may overlap.
      partitionsConsumedConcurrently: this.deps.config.deliveryMode === 'exactly-once' ? 1 : 4,
      eachBatch: (payload) => this.handleBatch(payload),
    });
  }

  /** Leaves the group at once (LeaveGroup on disconnect) so partitions move without waiting for the session. */
  async stop(): Promise<void> {
    if (this.phase === 'stopped') return;
    this.phase = 'stopping';
    clearInterval(this.stallTimer);
    await this.lagAdmin?.disconnect().catch(() => undefined);
    const { logger } = this.deps;
    await this.consumer.disconnect().catch((error: unknown) => logger.warn({ err: error }, 'consumer disconnect'));
    await this.producer.disconnect().catch((error: unknown) => logger.warn({ err: error }, 'producer disconnect'));
    this.phase = 'stopped';
    this.deps.metrics.assignedPartitions.set(0);
    logger.info('left the consumer group and disconnected');
  }

  liveness(): ProbeResult {
    if (this.fatalError) return { ok: false, detail: `consumer failed: ${this.fatalError.message}` };
    return { ok: true, detail: this.phase };
  }

  /** Ready once the consumer has joined the group and the group is stable (an empty assignment is fine). */
  readiness(): ProbeResult {
    if (this.phase !== 'joined') return { ok: false, detail: this.phase };
    return { ok: true, detail: `joined; partitions [${this.assignedPartitions.join(',')}]` };
  }

  /**
   * kafkajs can stop making progress after a broker dies: a fetch loop that goes silent, or one that keeps fetching
   * from the live brokers while partitions pinned to the dead one (stale coordinator/leader) never come back. Either
   * way: nothing committed for CONSUMER_STALL_MS while assigned partitions have unprocessed records, or no fetch at
   * all, or a batch running far past its own timeout. Then the consumer is replaced (fresh metadata, clean rejoin).
   */
  private checkForStall(): void {
    const { config } = this.deps;
    if (this.phase !== 'joined' || this.restarting) return;
    const now = Date.now();
    if (
      !this.checkingLag &&
      now - this.lastCommitAt > config.stallTimeoutMs &&
      now - this.lastLagCheckAt > 5000 &&
      this.assignedPartitions.length > 0
    ) {
      this.checkingLag = true;
      this.lastLagCheckAt = now;
      void this.laggingPartitions()
        .then((lagging) => {
          if (lagging.length > 0 && Date.now() - this.lastCommitAt > config.stallTimeoutMs) {
            this.replaceConsumer(`partitions [${lagging.join(',')}] have unprocessed records but nothing was committed for ${Date.now() - this.lastCommitAt} ms`);
          }
        })
        .catch(() => undefined) // the cluster may be failing over; check again next round
        .finally(() => {
          this.checkingLag = false;
        });
    }
    const oldestBatch = Math.min(...this.activeBatches);
    // A batch bounds its own produce/commit (2x the stall time); beyond 4x something else hangs.
    const stuckInBatch = this.activeBatches.size > 0 && now - oldestBatch > config.stallTimeoutMs * 4;
    const silent = this.activeBatches.size === 0 && now - this.lastActivityAt > config.stallTimeoutMs;
    if (!stuckInBatch && !silent) return;
    this.replaceConsumer(stuckInBatch ? `a batch has run for ${now - oldestBatch} ms` : `no fetch for ${now - this.lastActivityAt} ms`);
  }

  /** Assigned input partitions whose committed offset is behind the end of the partition. */
  private async laggingPartitions(): Promise<number[]> {
    const { config } = this.deps;
    if (!this.lagAdmin) {
      this.lagAdmin = new Kafka({ clientId: `airline-predictor-${config.instanceId}-lag`, brokers: config.bootstrap, logLevel: kafkaLogLevel('nothing'), connectionTimeout: 3000, retry: { retries: 1 } }).admin();
      await this.lagAdmin.connect();
    }
    const [ends, committed] = await Promise.all([
      this.lagAdmin.fetchTopicOffsets(config.inputTopic),
      this.lagAdmin.fetchOffsets({ groupId: config.groupId, topics: [config.inputTopic] }),
    ]);
    const committedByPartition = new Map(committed[0]?.partitions.map((p) => [p.partition, BigInt(p.offset)]) ?? []);
    return this.assignedPartitions.filter((partition) => {
      const end = ends.find((e) => e.partition === partition);
      if (!end) return false;
      const done = committedByPartition.get(partition) ?? -1n;
      return BigInt(end.high) > (done < 0n ? BigInt(end.low) : done);
    });
  }

  private replaceConsumer(reason: string): void {
    const { logger, metrics } = this.deps;
    if (this.restarting) return;
    this.restarting = true;
    metrics.consumerRestarts.inc();
    logger.error({ reason }, 'consumer stalled; replacing it');
    this.lastCommitAt = Date.now();
    const stalled = this.consumer;
    this.consumer = this.createConsumer();
    this.phase = 'joining';
    this.activeBatches.clear();
    void (async () => {
      // A stuck consumer may never finish disconnecting; its LeaveGroup is best effort.
      await Promise.race([stalled.disconnect().catch(() => undefined), delay(10000)]);
      if (this.phase === 'stopping' || this.phase === 'stopped') return;
      await this.runConsumer();
    })()
      .catch((error: unknown) => {
        logger.error({ err: error }, 'consumer restart failed');
        this.phase = 'failed';
        this.fatalError = error instanceof Error ? error : new Error(String(error));
        this.deps.onFatal?.(this.fatalError);
      })
      .finally(() => {
        this.restarting = false;
      });
  }

  private watchConsumer(consumer: Consumer): void {
    const { config, logger, metrics } = this.deps;
    const events = consumer.events;
    const isCurrent = () => consumer === this.consumer;
    const alive = () => {
      if (isCurrent()) this.lastActivityAt = Date.now();
    };
    consumer.on(events.FETCH, alive);
    consumer.on(events.START_BATCH_PROCESS, alive);
    consumer.on(events.END_BATCH_PROCESS, alive);
    consumer.on(events.GROUP_JOIN, ({ payload }) => {
      if (!isCurrent()) return;
      alive();
      // A new assignment gets a full stall period before it counts as stuck.
      this.lastCommitAt = Date.now();
      this.assignedPartitions = [...(payload.memberAssignment[config.inputTopic] ?? [])].sort((a, b) => a - b);
      metrics.assignedPartitions.set(this.assignedPartitions.length);
      if (this.phase !== 'stopping') this.phase = 'joined';
      logger.info(
        { memberId: payload.memberId, isLeader: payload.isLeader, partitions: this.assignedPartitions },
        'joined consumer group',
      );
    });
    consumer.on(events.REBALANCING, () => {
      if (!isCurrent()) return;
      if (this.phase === 'joined') this.phase = 'rebalancing';
      logger.info('group rebalancing');
    });
    consumer.on(events.CRASH, ({ payload }) => {
      if (!isCurrent()) return;
      logger.error({ err: payload.error, restart: payload.restart }, 'consumer crashed');
      if (payload.restart) {
        if (this.phase !== 'stopping') this.phase = 'joining';
        return;
      }
      this.phase = 'failed';
      this.fatalError = payload.error;
      this.deps.onFatal?.(payload.error);
    });
  }

  private async waitForTopics(timeoutMs: number): Promise<void> {
    const { config, logger } = this.deps;
    const wanted = [config.inputTopic, config.outputTopic, config.deadLetterTopic];
    const admin: Admin = this.kafka.admin();
    const deadline = Date.now() + timeoutMs;
    try {
      await admin.connect();
      for (;;) {
        const existing = new Set(await admin.listTopics());
        const missing = wanted.filter((topic) => !existing.has(topic));
        if (missing.length === 0) {
          const metadata = await admin.fetchTopicMetadata({ topics: [config.outputTopic, config.deadLetterTopic] });
          this.sender = new PartitionedSender(new Map(metadata.topics.map((topic) => [topic.name, topic.partitions.length])));
          return;
        }
        if (Date.now() >= deadline) {
          throw new Error(
            `topics missing after ${timeoutMs} ms: ${missing.join(', ')} (create them with the topic provisioner)`,
          );
        }
        logger.warn({ missing }, 'waiting for topics');
        await new Promise((resolve) => setTimeout(resolve, 2000));
      }
    } finally {
      await admin.disconnect();
    }
  }

  private async handleBatch(payload: EachBatchPayload): Promise<void> {
    if (payload.batch.isEmpty()) return;
    // Distinct start times per batch: nudge equal ones so each stays in the set.
    let startedAt = Date.now();
    while (this.activeBatches.has(startedAt)) startedAt += 0.001;
    this.activeBatches.add(startedAt);
    try {
      await this.processAndCommit(payload);
    } finally {
      this.activeBatches.delete(startedAt);
    }
  }

  private async processAndCommit(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const { config, scorer, metrics, logger } = this.deps;
    const startedAt = process.hrtime.bigint();
    const result = processBatch(scorer, batch.messages, {
      topic: batch.topic,
      partition: batch.partition,
      instanceId: config.instanceId,
    });
    // The committed position is the offset after the batch's last record.
    const nextOffset = (BigInt(batch.lastOffset()) + 1n).toString();
    const offsets = { topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: nextOffset }] }] };

    try {
      const committing =
        config.deliveryMode === 'exactly-once'
          ? this.commitTransactionally(result, offsets, payload)
          : this.produceThenCommit(result, offsets, payload);
      const committed = await Promise.race([
        committing,
        delay(config.stallTimeoutMs * 2).then(() => {
          throw new BatchTimeoutError(`produce/commit did not finish within ${config.stallTimeoutMs * 2} ms`);
        }),
      ]);
      if (!committed) return;
    } catch (error) {
      metrics.batchesFailed.inc();
      if (error instanceof BatchTimeoutError) {
        logger.error({ partition: batch.partition }, 'producer stuck; replacing it');
        await this.replaceProducer();
      } else if (hasStaleMetadata(error) && Date.now() - this.producerReplacedAt > 2000) {
        // kafkajs refreshes producer metadata only every 5 minutes: a new producer learns the new leaders now.
        logger.warn({ partition: batch.partition }, 'producer metadata names a gone broker; replacing the producer');
        await this.replaceProducer();
      }
      logger.warn(
        { err: error, partition: batch.partition, firstOffset: batch.firstOffset(), size: batch.messages.length },
        'batch failed; it will be processed again',
      );
      throw error;
    }
    payload.resolveOffset(batch.lastOffset());
    this.lastCommitAt = Date.now();

    const doneAt = Date.now();
    metrics.recordsIn.inc(batch.messages.length);
    metrics.recordsOut.inc(result.predictions.length);
    for (const dead of result.deadLetters) metrics.recordsDeadLettered.inc({ kind: dead.kind });
    for (const message of batch.messages) metrics.recordLatencySeconds.observe((doneAt - Number(message.timestamp)) / 1000);
    metrics.batchSeconds.observe(Number(process.hrtime.bigint() - startedAt) / 1e9);
    if (result.deadLetters.length > 0) {
      logger.debug({ partition: batch.partition, count: result.deadLetters.length }, 'records dead-lettered');
    }
    // A heartbeat to a coordinator that just died may hang; the next batch heartbeats again.
    await Promise.race([payload.heartbeat(), delay(5000)]);
  }

  /** Writes predictions and dead letters, one request per partition (see PartitionedSender). */
  private async sendResults(sender: MessageSender, result: BatchResult, sequential: boolean): Promise<void> {
    const { config } = this.deps;
    const partitioned = this.sender!;
    const deadLetters = result.deadLetters.map(({ key, value, headers }) => ({ key, value, headers }));
    if (sequential) {
      await partitioned.send(sender, config.outputTopic, result.predictions, true);
      await partitioned.send(sender, config.deadLetterTopic, deadLetters, true);
    } else {
      await Promise.all([
        partitioned.send(sender, config.outputTopic, result.predictions),
        partitioned.send(sender, config.deadLetterTopic, deadLetters),
      ]);
    }
  }

  /** At-least-once: commit the input offsets only after every output is acknowledged by all in-sync replicas. */
  private async produceThenCommit(
    result: BatchResult,
    offsets: { topics: Array<{ topic: string; partitions: Array<{ partition: number; offset: string }> }> },
    payload: EachBatchPayload,
  ): Promise<boolean> {
    await this.sendResults(this.producer, result, false);
    // Revoked while producing: the new owner re-reads from the last commit (a duplicate, never a loss).
    if (payload.isStale()) return false;
    await payload.commitOffsetsIfNecessary(offsets);
    return true;
  }

  /** Exactly-once: outputs and input offsets in one transaction; downstream read_committed readers see it once. */
  private async commitTransactionally(
    result: BatchResult,
    offsets: { topics: Array<{ topic: string; partitions: Array<{ partition: number; offset: string }> }> },
    payload: EachBatchPayload,
  ): Promise<boolean> {
    const transaction = await this.producer.transaction();
    try {
      // One send at a time inside a transaction.
      await this.sendResults(transaction, result, true);
      if (payload.isStale()) {
        await transaction.abort();
        return false;
      }
      await transaction.sendOffsets({ consumerGroupId: this.deps.config.groupId, ...offsets });
      await transaction.commit();
      return true;
    } catch (error) {
      if (transaction.isActive()) {
        await transaction.abort().catch((abortError: unknown) => {
          this.deps.logger.warn({ err: abortError }, 'transaction abort failed');
        });
      }
      throw error;
    }
  }
}

class BatchTimeoutError extends Error {}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Errors after which the producer's cached cluster metadata points at a broker that is gone. */
function hasStaleMetadata(error: unknown): boolean {
  for (let current = error as { name?: string; cause?: unknown; originalError?: unknown } | undefined; current; ) {
    if (current.name === 'KafkaJSBrokerNotFound' || current.name === 'KafkaJSMetadataNotLoaded') return true;
    current = (current.originalError ?? current.cause) as typeof current;
  }
  return false;
}
