import type { EachBatchPayload, KafkaMessage } from 'kafkajs';
import { hasStaleMetadata, type OutputProducer } from '../output-producer';
import type { BatchResult } from '../processor';
import { sendBatchResult, type BatchOffsets, type DeliveryContext, type DeliveryStrategy } from './strategy';

/**
 * At-least-once: commit the input offsets only after every output is acknowledged by all in-sync replicas
 * (acks=all, idempotent producer). A batch that failed is processed again without the records whose outputs were
 * acknowledged already, and after a failed commit nothing new is produced for the partition until the
 * acknowledged records are committed. So outputs come out twice only when their request failed unanswered, or
 * when the partition moves to another instance with acknowledged outputs not yet committed (at most one batch;
 * counted as handed over).
 */
export class AtLeastOnceDelivery implements DeliveryStrategy {
  // Plain batches of different partitions may overlap.
  readonly partitionsConsumedConcurrently = 4;
  /**
   * Per input partition: offsets of records whose outputs are acknowledged while their batch is not committed. A
   * fact about the topics, whoever owns the partition, so it survives rebalances; a commit forgets what it covers.
   */
  private readonly acknowledged = new Map<number, Set<string>>();

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

  /** After a rebalance: what this instance remembers of partitions it lost may be repeated by their new owner. */
  assigned(partitions: readonly number[]): void {
    for (const [partition, done] of this.acknowledged) {
      if (partitions.includes(partition)) continue;
      this.context.metrics.outputsHandedOver.inc(done.size);
      this.acknowledged.delete(partition);
    }
  }

  async recordsToProcess(payload: EachBatchPayload): Promise<KafkaMessage[]> {
    const { batch } = payload;
    const done = this.acknowledged.get(batch.partition);
    if (!done || done.size === 0) return batch.messages;
    // A commit failed earlier: commit the records already delivered before producing anything new (a commit that
    // fails again fails this batch with no new output).
    let prefix = 0;
    while (prefix < batch.messages.length && done.has(batch.messages[prefix].offset)) prefix += 1;
    if (prefix > 0) {
      const last = batch.messages[prefix - 1].offset;
      await payload.commitOffsetsIfNecessary({
        topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: (BigInt(last) + 1n).toString() }] }],
      });
      payload.resolveOffset(last);
      forgetUpTo(done, last);
    }
    return batch.messages.slice(prefix).filter((message) => !done.has(message.offset));
  }

  async deliver(result: BatchResult, offsets: BatchOffsets, payload: EachBatchPayload): Promise<boolean> {
    const { partition } = payload.batch;
    const done = this.acknowledged.get(partition) ?? new Set<string>();
    this.acknowledged.set(partition, done);
    await sendBatchResult(this.context, this.producer.current, result, false, (sourceOffsets) => {
      for (const offset of sourceOffsets) done.add(offset);
    });
    // Revoked while producing: the new owner re-reads from the last commit (a duplicate, never a loss).
    if (payload.isStale()) return false;
    await payload.commitOffsetsIfNecessary(offsets);
    forgetUpTo(done, payload.batch.lastOffset());
    return true;
  }

  async recover(error: unknown, partition: number, timedOut: boolean): Promise<boolean> {
    const { logger } = this.context;
    if (timedOut) {
      logger.error({ partition }, 'producer stuck; replacing it');
      await this.producer.replace();
    } else if (hasStaleMetadata(error) && !this.producer.replacedWithin(2000)) {
      // kafkajs refreshes producer metadata only every 5 minutes: a new producer learns the new leaders now.
      logger.warn({ partition }, 'producer metadata names a gone broker; replacing the producer');
      await this.producer.replace();
    }
    return false;
  }
}

/** Drops the offsets a commit now covers. */
function forgetUpTo(done: Set<string>, lastCommitted: string): void {
  const last = BigInt(lastCommitted);
  for (const offset of done) if (BigInt(offset) <= last) done.delete(offset);
}
