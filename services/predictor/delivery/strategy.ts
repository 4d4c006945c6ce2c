import type { EachBatchPayload, KafkaMessage } from 'kafkajs';
import type { Logger } from '../../../contracts/logging';
import type { MessageSender, PartitionedSender, SendObserver } from '../../common/partitioned-send';
import { settleAll } from '../../common/settle-all';
import type { PredictorMetrics } from '../metrics';
import type { ServiceConfig } from '../config';
import type { BatchResult, OutputRecord } from '../processor';

/** The input position to commit once a batch's outputs are written: the offset after its last record. */
export interface BatchOffsets {
  topics: Array<{ topic: string; partitions: Array<{ partition: number; offset: string }> }>;
}

/** What a delivery strategy writes with; the producer and the partition map may change while the service runs. */
export interface DeliveryContext {
  readonly config: Pick<ServiceConfig, 'inputTopic' | 'outputTopic' | 'deadLetterTopic' | 'groupId' | 'transactionalIdPrefix' | 'transactionTimeoutMs'>;
  readonly logger: Logger;
  readonly metrics: Pick<PredictorMetrics, 'outputsUnacknowledged' | 'outputsInFlight' | 'outputsHandedOver'>;
  outputs(): PartitionedSender;
}

/** How one processed batch reaches the output topics and how its input offsets are committed. */
export interface DeliveryStrategy {
  /** How many partitions kafkajs may hand to eachBatch at once. */
  readonly partitionsConsumedConcurrently: number;
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  /** Told the instance's input partitions after every group join. */
  assigned?(partitions: readonly number[]): void;
  /** The batch's records still to process: those whose outputs are not committed or acknowledged already. */
  recordsToProcess(payload: EachBatchPayload): Promise<KafkaMessage[]>;
  /** Writes the batch's outputs and commits its offsets; false when the batch was revoked meanwhile (nothing committed). */
  deliver(result: BatchResult, offsets: BatchOffsets, payload: EachBatchPayload): Promise<boolean>;
  /**
   * After a failed batch (`timedOut`: its produce/commit hung): replace what may be stuck before the batch is
   * processed again. True when the error, though kafkajs calls it permanent, is cured by that (the consumer then
   * retries the batch instead of crashing).
   */
  recover(error: unknown, partition: number, timedOut: boolean): Promise<boolean>;
}

/**
 * Writes predictions and dead letters, one request per partition (see PartitionedSender); tells `onAcknowledged`
 * the input offsets whose outputs are acknowledged, and counts outputs whose request failed.
 */
export async function sendBatchResult(
  context: DeliveryContext,
  sender: MessageSender,
  result: BatchResult,
  sequential: boolean,
  onAcknowledged?: (sourceOffsets: readonly string[]) => void,
): Promise<void> {
  const { config, metrics } = context;
  const partitioned = context.outputs();
  const deadLetters = result.deadLetters.map(({ key, value, headers, sourceOffset }) => ({ key, value, headers, sourceOffset }));
  const observer: SendObserver<OutputRecord> = {
    sending: (messages) => metrics.outputsInFlight.sent(messages.length),
    acknowledged: (messages) => {
      metrics.outputsInFlight.settled(messages.length);
      onAcknowledged?.(messages.map((message) => message.sourceOffset));
    },
    unacknowledged: (messages) => {
      metrics.outputsInFlight.settled(messages.length);
      metrics.outputsUnacknowledged.inc(messages.length);
    },
  };
  if (sequential) {
    await partitioned.send(sender, config.outputTopic, result.predictions, true, observer);
    await partitioned.send(sender, config.deadLetterTopic, deadLetters, true, observer);
  } else {
    await settleAll([
      partitioned.send(sender, config.outputTopic, result.predictions, false, observer),
      partitioned.send(sender, config.deadLetterTopic, deadLetters, false, observer),
    ]);
  }
}
