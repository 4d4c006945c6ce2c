import type { EachBatchPayload } from 'kafkajs';
import type { BatchResult } from '../processor';
import { sendBatchResult, type BatchOffsets, type DeliveryContext, type DeliveryStrategy } from './strategy';

/** Exactly-once: outputs and input offsets in one transaction; downstream read_committed readers see it once. */
export class ExactlyOnceDelivery implements DeliveryStrategy {
  // Transactions run one at a time per producer.
  readonly partitionsConsumedConcurrently = 1;

  constructor(private readonly context: DeliveryContext) {}

  async deliver(result: BatchResult, offsets: BatchOffsets, payload: EachBatchPayload): Promise<boolean> {
    const transaction = await this.context.producer().transaction();
    try {
      // One send at a time inside a transaction.
      await sendBatchResult(this.context, transaction, result, true);
      if (payload.isStale()) {
        await transaction.abort();
        return false;
      }
      await transaction.sendOffsets({ consumerGroupId: this.context.config.groupId, ...offsets });
      await transaction.commit();
      return true;
    } catch (error) {
      if (transaction.isActive()) {
        await transaction.abort().catch((abortError: unknown) => {
          this.context.logger.warn({ err: abortError }, 'transaction abort failed');
        });
      }
      throw error;
    }
  }
}
