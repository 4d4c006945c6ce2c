import { Partitioners, type Kafka, type Producer } from 'kafkajs';
import { delay } from '../common/delay';
import type { ServiceConfig } from './config';
import type { PredictorMetrics } from './metrics';

/**
 * kafkajs keeps cluster metadata for 5 minutes by default and does not always refresh it when a broker dies, leaving
 * partitions pinned to the dead leader ("Broker 2 not found in the cached metadata"). Refresh often instead.
 */
export const METADATA_MAX_AGE_MS = 5000;

/**
 * An idempotent producer of predictions and dead letters; transactional when given a transactional id (exactly-once
 * gives each input partition its own, see delivery/exactly-once.ts).
 */
export function createOutputProducer(kafka: Kafka, config: Pick<ServiceConfig, 'transactionTimeoutMs'>, transactionalId?: string): Producer {
  return kafka.producer({
    metadataMaxAge: METADATA_MAX_AGE_MS,
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
    ...(transactionalId === undefined ? {} : { transactionalId, transactionTimeout: config.transactionTimeoutMs }),
  });
}

/** The at-least-once producer of predictions and dead letters, replaceable. */
export class OutputProducer {
  private producer: Producer;
  private replacedAt = 0;

  constructor(
    private readonly kafka: Kafka,
    private readonly config: ServiceConfig,
    private readonly metrics: PredictorMetrics,
  ) {
    this.producer = this.create();
  }

  /** The producer to send with now; a replacement changes it. */
  get current(): Producer {
    return this.producer;
  }

  connect(): Promise<void> {
    return this.producer.connect();
  }

  disconnect(): Promise<void> {
    return this.producer.disconnect();
  }

  /** True when the producer was replaced within the last `windowMs`: a fresh one needs no second replacement. */
  replacedWithin(windowMs: number): boolean {
    return Date.now() - this.replacedAt <= windowMs;
  }

  /** kafkajs can leave a send pending forever after a broker dies: give up on that producer and start afresh. */
  async replace(): Promise<void> {
    const stuck = this.producer;
    this.producer = this.create();
    this.replacedAt = Date.now();
    await Promise.race([stuck.disconnect().catch(() => undefined), delay(5000)]);
    await this.producer.connect();
    this.metrics.producerRestarts.inc();
  }

  private create(): Producer {
    return createOutputProducer(this.kafka, this.config);
  }
}

/** Errors after which the producer's cached cluster metadata points at a broker that is gone. */
export function hasStaleMetadata(error: unknown): boolean {
  for (let current = error as { name?: string; cause?: unknown; originalError?: unknown } | undefined; current; ) {
    if (current.name === 'KafkaJSBrokerNotFound' || current.name === 'KafkaJSMetadataNotLoaded') return true;
    current = (current.originalError ?? current.cause) as typeof current;
  }
  return false;
}
