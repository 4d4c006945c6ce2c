import { KafkaJSError, type Kafka, type Admin, type EachBatchPayload, type KafkaMessage } from 'kafkajs';
import { delay } from '../common/delay';
import { createKafkaClient, type KafkaSecurity } from '../common/kafka-client';
import { kafkaLogCreator, kafkaLogLevel } from '../common/kafka-logging';
import type { Logger } from '../../contracts/logging';
import { PartitionedSender } from '../common/partitioned-send';
import type { ProbeResult } from '../common/probe-server';
import type { ServiceConfig } from './config';
import { AtLeastOnceDelivery } from './delivery/at-least-once';
import { ExactlyOnceDelivery } from './delivery/exactly-once';
import type { BatchOffsets, DeliveryContext, DeliveryStrategy } from './delivery/strategy';
import { GroupMember } from './group-member';
import type { PredictorMetrics } from './metrics';
import { OutputProducer } from './output-producer';
import { processBatch, type BatchResult } from './processor';
import type { Scorer } from './scorer';
import { StallWatchdog } from './stall-watchdog';

export interface PredictorRuntimeDeps {
  config: ServiceConfig;
  /** The loaded credentials of config.security; undefined: plaintext. */
  security?: KafkaSecurity;
  scorer: Scorer;
  logger: Logger;
  metrics: PredictorMetrics;
  /** Called when the consumer stops for good (kafkajs gave up); the caller should exit non-zero. */
  onFatal?: (error: Error) => void;
}

/**
 * One prediction service instance at run time: a consumer-group member reading the input topic, writing
 * predictions and dead letters with the configured delivery strategy (at-least-once or exactly-once), watched for
 * stalls.
 */
export class PredictorRuntime {
  private readonly kafka: Kafka;
  private readonly member: GroupMember;
  private readonly watchdog: StallWatchdog;
  private readonly delivery: DeliveryStrategy;
  private sender: PartitionedSender | undefined;

  constructor(private readonly deps: PredictorRuntimeDeps) {
    const { config, logger, metrics } = deps;
    this.kafka = createKafkaClient({
      security: deps.security,
      clientId: `airline-predictor-${config.instanceId}`,
      brokers: config.bootstrap,
      connectionTimeout: 3000,
      logLevel: kafkaLogLevel(config.kafkaLogLevel),
      logCreator: kafkaLogCreator(logger.child({ component: 'kafkajs' })),
      // Broker fail-over (controller notices, leader moves) can take tens of seconds: keep retrying that long.
      retry: { initialRetryTime: 300, maxRetryTime: 5000, retries: 12 },
    });
    const context: DeliveryContext = {
      config,
      logger,
      metrics,
      outputs: () => this.sender!,
    };
    this.delivery =
      config.deliveryMode === 'exactly-once'
        ? new ExactlyOnceDelivery(context, this.kafka)
        : new AtLeastOnceDelivery(context, new OutputProducer(this.kafka, config, metrics));
    this.member = new GroupMember(this.kafka, {
      config,
      logger,
      metrics,
      partitionsConsumedConcurrently: this.delivery.partitionsConsumedConcurrently,
      eachBatch: (payload) => this.processAndCommit(payload),
      onAssigned: (partitions) => this.delivery.assigned?.(partitions),
      onFatal: deps.onFatal,
    });
    this.watchdog = new StallWatchdog(this.member, config, deps.security);
  }

  /** Connects, checks the topics exist (waiting up to `startupTimeoutMs`), joins the group and starts consuming. */
  async start(startupTimeoutMs = 60000): Promise<void> {
    const { config, logger } = this.deps;
    this.member.connecting();
    await this.waitForTopics(startupTimeoutMs);
    await this.delivery.connect();
    await this.member.run();
    this.watchdog.start();
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

  /** Leaves the group at once (LeaveGroup on disconnect) so partitions move without waiting for the session. */
  async stop(): Promise<void> {
    if (this.member.phase === 'stopped') return;
    this.member.stopping();
    await this.watchdog.stop();
    const { logger } = this.deps;
    await this.member.leave();
    await this.delivery.disconnect().catch((error: unknown) => logger.warn({ err: error }, 'producer disconnect'));
    this.member.stopped();
    logger.info('left the consumer group and disconnected');
  }

  liveness(): ProbeResult {
    return this.member.liveness();
  }

  readiness(): ProbeResult {
    return this.member.readiness();
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

  /** Scores the batch's records still to process and delivers their outputs; undefined when it was revoked meanwhile. */
  private async processAndDeliver(payload: EachBatchPayload): Promise<Delivered | undefined> {
    const { batch } = payload;
    const { config, scorer } = this.deps;
    const processed = await this.delivery.recordsToProcess(payload);
    const result = processBatch(scorer, processed, {
      topic: batch.topic,
      partition: batch.partition,
      instanceId: config.instanceId,
    });
    // The committed position is the offset after the batch's last record.
    const nextOffset = (BigInt(batch.lastOffset()) + 1n).toString();
    const offsets: BatchOffsets = { topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: nextOffset }] }] };
    return (await this.delivery.deliver(result, offsets, payload)) ? { processed, result } : undefined;
  }

  private async processAndCommit(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const { config, metrics, logger } = this.deps;
    const startedAt = process.hrtime.bigint();
    let delivered: Delivered | undefined;
    try {
      delivered = await Promise.race([
        this.processAndDeliver(payload),
        delay(config.stallTimeoutMs * 2).then(() => {
          throw new BatchTimeoutError(`produce/commit did not finish within ${config.stallTimeoutMs * 2} ms`);
        }),
      ]);
      if (!delivered) return;
    } catch (error) {
      metrics.batchesFailed.inc();
      const cured = await this.delivery.recover(error, batch.partition, error instanceof BatchTimeoutError);
      logger.warn(
        { err: error, partition: batch.partition, firstOffset: batch.firstOffset(), size: batch.messages.length },
        'batch failed; it will be processed again',
      );
      // kafkajs crashes the consumer on an error it calls permanent; this one is not, once recovered from.
      if (cured) throw new KafkaJSError(`batch failed, recovered: ${error instanceof Error ? error.message : String(error)}`, { retriable: true });
      throw error;
    }
    const { result, processed } = delivered;
    payload.resolveOffset(batch.lastOffset());
    this.member.committed();

    const doneAt = Date.now();
    metrics.recordsIn.inc(processed.length);
    metrics.recordsOut.inc(result.predictions.length);
    for (const dead of result.deadLetters) metrics.recordsDeadLettered.inc({ kind: dead.kind });
    for (const message of processed) metrics.recordLatencySeconds.observe((doneAt - Number(message.timestamp)) / 1000);
    metrics.batchSeconds.observe(Number(process.hrtime.bigint() - startedAt) / 1e9);
    if (result.deadLetters.length > 0) {
      logger.debug({ partition: batch.partition, count: result.deadLetters.length }, 'records dead-lettered');
    }
    // A heartbeat to a coordinator that just died may hang; the next batch heartbeats again.
    await Promise.race([payload.heartbeat(), delay(5000)]);
  }
}

class BatchTimeoutError extends Error {}

/** A committed batch: the records processed (those not committed before) and their outputs. */
interface Delivered {
  processed: KafkaMessage[];
  result: BatchResult;
}
