import type { EachBatchPayload } from 'kafkajs';
import type { Logger } from '../../../contracts/logging';
import type { MessageSender, PartitionedSender } from '../../common/partitioned-send';
import type { ServiceConfig } from '../config';
import type { BatchResult } from '../processor';

/** The input position to commit once a batch's outputs are written: the offset after its last record. */
export interface BatchOffsets {
  topics: Array<{ topic: string; partitions: Array<{ partition: number; offset: string }> }>;
}

/** What a delivery strategy writes with; the producer and the partition map may change while the service runs. */
export interface DeliveryContext {
  readonly config: Pick<ServiceConfig, 'inputTopic' | 'outputTopic' | 'deadLetterTopic' | 'groupId' | 'transactionalIdPrefix' | 'transactionTimeoutMs'>;
  readonly logger: Logger;
  outputs(): PartitionedSender;
}

/** How one processed batch reaches the output topics and how its input offsets are committed. */
export interface DeliveryStrategy {
  /** How many partitions kafkajs may hand to eachBatch at once. */
  readonly partitionsConsumedConcurrently: number;
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  /** The first offset of the batch still to process (records below it are committed already), null for all. */
  firstOffsetToProcess(payload: EachBatchPayload): Promise<bigint | null>;
  /** Writes the batch's outputs and commits its offsets; false when the batch was revoked meanwhile (nothing committed). */
  deliver(result: BatchResult, offsets: BatchOffsets, payload: EachBatchPayload): Promise<boolean>;
  /** After a failed batch (`timedOut`: its produce/commit hung): replace what may be stuck before the batch is retried. */
  recover(error: unknown, partition: number, timedOut: boolean): Promise<void>;
}

/** Writes predictions and dead letters, one request per partition (see PartitionedSender). */
export async function sendBatchResult(
  context: DeliveryContext,
  sender: MessageSender,
  result: BatchResult,
  sequential: boolean,
): Promise<void> {
  const { config } = context;
  const partitioned = context.outputs();
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
