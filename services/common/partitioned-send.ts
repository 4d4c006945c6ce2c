import { settleAll } from './settle-all';
import { Partitioners, type Message, type PartitionMetadata } from 'kafkajs';

/** Told when each partition request goes out, and whether its messages were acknowledged. */
export interface SendObserver<M extends Message = Message> {
  sending(messages: readonly M[]): void;
  acknowledged(messages: readonly M[]): void;
  unacknowledged(messages: readonly M[]): void;
}

/** Anything that sends like a kafkajs producer or transaction. */
export interface MessageSender {
  send(record: { topic: string; messages: Message[]; acks?: number }): Promise<unknown>;
}

/**
 * Unpatched kafkajs 2.2.4 drops messages silently when one send spans several brokers and a leader moves mid-send:
 * the retry skips brokers that already answered, including the partition's new leader. The project's kafkajs patch
 * fixes that in kafkajs; every send here still targets exactly one partition, the form all fault tests ran with.
 */
export class PartitionedSender {
  private readonly keyed = Partitioners.DefaultPartitioner();
  private readonly metadata = new Map<number, PartitionMetadata[]>();
  private roundRobin = 0;

  /** Partition counts per topic (read once at start; a partition increase needs a restart to be used). */
  constructor(private readonly partitionCounts: ReadonlyMap<string, number>) {}

  /** The partition Kafka's Java client would pick for the key (murmur2), round-robin for null keys. */
  partitionFor(topic: string, message: Message): number {
    const count = this.partitionCounts.get(topic);
    if (!count) throw new Error(`no partition count known for topic ${topic}`);
    if (message.key === null || message.key === undefined) return this.roundRobin++ % count;
    let metadata = this.metadata.get(count);
    if (!metadata) {
      metadata = Array.from({ length: count }, (_, partitionId) => ({ partitionErrorCode: 0, partitionId, leader: 0, replicas: [], isr: [] }));
      this.metadata.set(count, metadata);
    }
    return this.keyed({ topic, partitionMetadata: metadata, message });
  }

  /**
   * Sends with acks=all, one request per partition; in parallel unless `sequential` (e.g. inside a transaction).
   * Every request settles before this returns or throws (the first error), so the observer has heard of all of them.
   */
  async send<M extends Message>(sender: MessageSender, topic: string, messages: readonly M[], sequential = false, observer?: SendObserver<M>): Promise<void> {
    const byPartition = new Map<number, M[]>();
    for (const message of messages) {
      const partition = message.partition ?? this.partitionFor(topic, message);
      const group = byPartition.get(partition);
      const routed = { ...message, partition };
      if (group) group.push(routed);
      else byPartition.set(partition, [routed]);
    }
    const sends = [...byPartition.values()].map((group) => async () => {
      observer?.sending(group);
      try {
        await sender.send({ topic, messages: group, acks: -1 });
      } catch (error) {
        observer?.unacknowledged(group);
        throw error;
      }
      observer?.acknowledged(group);
    });
    if (sequential) {
      for (const send of sends) await send();
      return;
    }
    await settleAll(sends.map((send) => send()));
  }
}
