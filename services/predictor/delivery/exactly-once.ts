import type { Admin, EachBatchPayload, Kafka, KafkaMessage, Producer } from 'kafkajs';
import { delay } from '../../common/delay';
import { createOutputProducer } from '../output-producer';
import type { BatchResult } from '../processor';
import { sendBatchResult, type BatchOffsets, type DeliveryContext, type DeliveryStrategy } from './strategy';

/**
 * Exactly-once: outputs and input offsets in one transaction; downstream read_committed readers see it once.
 *
 * Fencing without KIP-447 (kafkajs commits transactional offsets without the group generation): each input
 * partition has its own transactional id, the same on every instance. After every group join, an instance
 * initialises the id of each partition it owns before writing anything for it, which aborts the previous owner's
 * open transaction and fences it (a paused instance that wakes up can no longer commit), then reads the group's
 * committed offset and skips the records the previous owner already committed.
 */
export class ExactlyOnceDelivery implements DeliveryStrategy {
  // Each partition has its own producer, so transactions of different partitions can overlap.
  readonly partitionsConsumedConcurrently = 4;
  private readonly producers = new Map<number, Producer>();
  /** The group's committed offset per partition when this instance fenced it (only this instance commits since). */
  private readonly committedAtFence = new Map<number, bigint>();
  private admin: Admin | undefined;

  constructor(
    private readonly context: DeliveryContext,
    private readonly kafka: Kafka,
  ) {}

  transactionalId(partition: number): string {
    const { config } = this.context;
    return `${config.transactionalIdPrefix}-${config.inputTopic}-${partition}`;
  }

  async connect(): Promise<void> {
    this.admin = this.kafka.admin();
    await this.admin.connect();
  }

  async disconnect(): Promise<void> {
    const producers = [...this.producers.values()];
    this.producers.clear();
    await Promise.all(producers.map((producer) => producer.disconnect().catch(() => undefined)));
    await this.admin?.disconnect().catch(() => undefined);
  }

  /** After every join each partition is fenced afresh: another instance may have owned it meanwhile. */
  assigned(): void {
    for (const stale of [...this.producers.keys()]) this.dropProducer(stale);
  }

  async recordsToProcess(payload: EachBatchPayload): Promise<KafkaMessage[]> {
    const { batch } = payload;
    if (!this.producers.has(batch.partition)) await this.fence(batch.topic, batch.partition);
    const committed = this.committedAtFence.get(batch.partition) ?? -1n;
    const records = batch.messages.filter((message) => BigInt(message.offset) >= committed);
    if (records.length < batch.messages.length) {
      this.context.logger.info({ partition: batch.partition, committed: committed.toString(), skipped: batch.messages.length - records.length }, 'skipping records the previous owner committed');
    }
    return records;
  }

  /** Initialises the partition's transactional id (from here on its previous owner cannot commit), then reads the committed offset. */
  private async fence(topic: string, partition: number): Promise<void> {
    const producer = createOutputProducer(this.kafka, this.context.config, this.transactionalId(partition));
    try {
      await producer.connect();
      const fencing = await producer.transaction();
      await fencing.abort();
      const committed = await this.committedOffset(topic, partition);
      if (committed === null) this.committedAtFence.delete(partition);
      else this.committedAtFence.set(partition, committed);
    } catch (error) {
      // Registered only once fenced and read: the next batch starts the fence over.
      void producer.disconnect().catch(() => undefined);
      throw error;
    }
    this.producers.set(partition, producer);
  }

  async deliver(result: BatchResult, offsets: BatchOffsets, payload: EachBatchPayload): Promise<boolean> {
    const { partition } = payload.batch;
    // The whole batch was committed by the previous owner: committing its end again could move the offset back.
    const next = BigInt(offsets.topics[0].partitions[0].offset);
    if (next <= (this.committedAtFence.get(partition) ?? -1n)) return true;
    const producer = this.producers.get(partition);
    if (!producer) throw new Error(`no transactional producer for partition ${partition}`);
    const transaction = await producer.transaction();
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

  /**
   * A failed or stuck transaction: the partition's next batch starts with a new producer, fenced afresh. A producer
   * fenced by another instance (the partition moved while this one still held it) is cured the same way.
   */
  async recover(error: unknown, partition: number): Promise<boolean> {
    this.dropProducer(partition);
    return isFenced(error);
  }

  private dropProducer(partition: number): void {
    const producer = this.producers.get(partition);
    this.producers.delete(partition);
    // A stuck producer may never finish disconnecting; the new one fences it anyway.
    if (producer) void Promise.race([producer.disconnect().catch(() => undefined), delay(5000)]);
  }

  private async committedOffset(topic: string, partition: number): Promise<bigint | null> {
    const [committed] = await this.admin!.fetchOffsets({ groupId: this.context.config.groupId, topics: [topic] });
    const offset = committed?.partitions.find((p) => p.partition === partition)?.offset;
    return offset === undefined || BigInt(offset) < 0n ? null : BigInt(offset);
  }
}

const FENCED = new Set(['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED']);

/** The broker refused the producer because another one initialised the same transactional id since. */
function isFenced(error: unknown): boolean {
  for (let current = error as { type?: string; cause?: unknown; originalError?: unknown } | undefined; current; ) {
    if (current.type !== undefined && FENCED.has(current.type)) return true;
    current = (current.originalError ?? current.cause) as typeof current;
  }
  return false;
}
