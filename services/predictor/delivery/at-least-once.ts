import type { EachBatchPayload } from 'kafkajs';
import { hasStaleMetadata, type OutputProducer } from '../output-producer';
import type { BatchResult } from '../processor';
import { sendBatchResult, type BatchOffsets, type DeliveryContext, type DeliveryStrategy } from './strategy';

/**
 * At-least-once: commit the input offsets only after every output is acknowledged by all in-sync replicas
 * (acks=all, idempotent producer).
 */
export class AtLeastOnceDelivery implements DeliveryStrategy {
  // Plain batches of different partitions may overlap.
  readonly partitionsConsumedConcurrently = 4;

  constructor(
    private readonly context: DeliveryContext,
    private readonly producer: OutputProducer,
  ) {}

  connect(): Promise<void> {
    return this.producer.connect();
  }

  disconnect(): Promise<void> {
    return this.producer.disconnect();
  }

  async firstOffsetToProcess(): Promise<null> {
    return null;
  }

  async deliver(result: BatchResult, offsets: BatchOffsets, payload: EachBatchPayload): Promise<boolean> {
    await sendBatchResult(this.context, this.producer.current, result, false);
    // Revoked while producing: the new owner re-reads from the last commit (a duplicate, never a loss).
    if (payload.isStale()) return false;
    await payload.commitOffsetsIfNecessary(offsets);
    return true;
  }

  async recover(error: unknown, partition: number, timedOut: boolean): Promise<void> {
    const { logger } = this.context;
    if (timedOut) {
      logger.error({ partition }, 'producer stuck; replacing it');
      await this.producer.replace();
    } else if (hasStaleMetadata(error) && !this.producer.replacedWithin(2000)) {
      // kafkajs refreshes producer metadata only every 5 minutes: a new producer learns the new leaders now.
      logger.warn({ partition }, 'producer metadata names a gone broker; replacing the producer');
      await this.producer.replace();
    }
  }
}
