import type { EachBatchPayload } from 'kafkajs';
import type { BatchResult } from '../processor';
import { sendBatchResult, type BatchOffsets, type DeliveryContext, type DeliveryStrategy } from './strategy';

/**
 * At-least-once: commit the input offsets only after every output is acknowledged by all in-sync replicas
 * (acks=all, idempotent producer).
 */
export class AtLeastOnceDelivery implements DeliveryStrategy {
  // Plain batches of different partitions may overlap.
  readonly partitionsConsumedConcurrently = 4;

  constructor(private readonly context: DeliveryContext) {}

  async deliver(result: BatchResult, offsets: BatchOffsets, payload: EachBatchPayload): Promise<boolean> {
    await sendBatchResult(this.context, this.context.producer(), result, false);
    // Revoked while producing: the new owner re-reads from the last commit (a duplicate, never a loss).
    if (payload.isStale()) return false;
    await payload.commitOffsetsIfNecessary(offsets);
    return true;
  }
}
