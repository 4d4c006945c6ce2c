import type { Admin, EachBatchPayload, Kafka, Producer } from 'kafkajs';
import { delay } from '../../common/delay';
import { createOutputProducer } from '../output-producer';
import type { BatchResult } from '../processor';
import { sendBatchResult, type BatchOffsets, type DeliveryContext, type DeliveryStrategy } from './strategy';

/** The assignment the group gave this instance; `generation` changes at every join. */
export interface AssignmentView {
  readonly generation: number;
  readonly partitions: readonly number[];
}

export interface ExactlyOnceDeps {
  kafka: Kafka;
  assignment: () => AssignmentView;
}

/**
 * Exactly-once: outputs and input offsets in one transaction; downstream read_committed readers see it once.
 *
 * Fencing without KIP-447 (kafkajs commits transactional offsets without the group generation): each input
 * partition has its own transactional id, the same on every instance. An instance that takes a partition over
 * initialises that id before it writes anything, which aborts the previous owner's open transaction and fences it
 * (a paused instance that wakes up can no longer commit), then reads the group's committed offset and skips the
 * records the previous owner already committed.
 */
export class ExactlyOnceDelivery implements DeliveryStrategy {
  // Each partition has its own producer, so transactions of different partitions can overlap.
  readonly partitionsConsumedConcurrently = 4;
  private readonly producers = new Map<number, Producer>();
  private generation = -1;
  private admin: Admin | undefined;

  constructor(
    private readonly context: DeliveryContext,
    private readonly deps: ExactlyOnceDeps,
  ) {}

  transactionalId(partition: number): string {
    const { config } = this.context;
    return `${config.transactionalIdPrefix}-${config.inputTopic}-${partition}`;
  }

  async connect(): Promise<void> {
    this.admin = this.deps.kafka.admin();
    await this.admin.connect();
  }

  async disconnect(): Promise<void> {
    const producers = [...this.producers.values()];
    this.producers.clear();
    await Promise.all(producers.map((producer) => producer.disconnect().catch(() => undefined)));
    await this.admin?.disconnect().catch(() => undefined);
  }

  async firstOffsetToProcess(payload: EachBatchPayload): Promise<bigint | null> {
    const { partition } = payload.batch;
    const assignment = this.deps.assignment();
    if (assignment.generation !== this.generation) {
      // A new assignment: every partition is fenced afresh, since another instance may have owned it meanwhile.
      this.generation = assignment.generation;
      for (const stale of [...this.producers.keys()]) this.dropProducer(stale);
    }
    if (this.producers.has(partition)) return null;
    const producer = createOutputProducer(this.deps.kafka, this.context.config, this.transactionalId(partition));
    await producer.connect();
    // The first transaction initialises the transactional id: from here on the previous owner cannot commit.
    const fencing = await producer.transaction();
    await fencing.abort();
    this.producers.set(partition, producer);
    const committed = await this.committedOffset(payload.batch.topic, partition);
    if (committed !== null && committed > BigInt(payload.batch.firstOffset() ?? '0')) {
      this.context.logger.info({ partition, committed: committed.toString(), firstOffset: payload.batch.firstOffset() }, 'skipping records the previous owner committed');
    }
    return committed;
  }

  async deliver(result: BatchResult, offsets: BatchOffsets, payload: EachBatchPayload): Promise<boolean> {
    const producer = this.producers.get(payload.batch.partition);
    if (!producer) throw new Error(`no transactional producer for partition ${payload.batch.partition}`);
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

  /** A failed or stuck transaction: the partition's next batch starts with a new producer, fenced afresh. */
  async recover(_error: unknown, partition: number): Promise<void> {
    this.dropProducer(partition);
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
