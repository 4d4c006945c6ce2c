// Reads the output and dead-letter topics (read_committed) and keeps what the demo, bench and tests check:
// which input keys came out, how often, from which instance, with what latency.
import type { Consumer, Kafka } from 'kafkajs';
import type { PredictionMessage } from '../services/predictor/processor';

export interface CollectedPrediction {
  message: PredictionMessage;
  /** Output record timestamp minus input record timestamp. */
  latencyMs: number;
  /** When the service produced the output (output record timestamp, epoch ms). */
  outputTimestamp: number;
}

export interface CollectedDeadLetter {
  reason: string;
  instanceId: string;
  value: Buffer | null;
  /** All headers as strings. */
  headers: Record<string, string>;
}

export class OutputCollector {
  /** Every prediction per input key (more than one means a duplicate). */
  readonly predictions = new Map<string, CollectedPrediction[]>();
  readonly deadLetters = new Map<string, CollectedDeadLetter[]>();
  private consumer: Consumer | undefined;
  private received = 0;

  constructor(
    private readonly kafka: Kafka,
    private readonly options: {
      outputTopic: string;
      deadLetterTopic: string;
      groupId: string;
      /** Only keys starting with this count (topics shared with earlier runs); all keys when absent. */
      keyPrefix?: string;
    },
  ) {}

  async start(): Promise<void> {
    const consumer = this.kafka.consumer({
      groupId: this.options.groupId,
      // As in the service: kafkajs may keep fetching from a partition's old leader until its metadata expires
      // (default 5 min), which would stall a reader started just before leaders move back to a restarted broker.
      metadataMaxAge: 5000,
      readUncommitted: false,
      maxWaitTimeInMs: 200,
      sessionTimeout: 10000,
      heartbeatInterval: 1000,
    });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topics: [this.options.outputTopic, this.options.deadLetterTopic], fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        for (const record of batch.messages) {
          const key = record.key?.toString('utf8') ?? '';
          if (this.options.keyPrefix !== undefined && !key.startsWith(this.options.keyPrefix)) continue;
          this.received += 1;
          if (batch.topic === this.options.outputTopic) {
            const message = JSON.parse(record.value!.toString('utf8')) as PredictionMessage;
            const outputTimestamp = Number(record.timestamp);
            push(this.predictions, key, { message, latencyMs: outputTimestamp - message.source.timestamp, outputTimestamp });
          } else {
            const headers = Object.fromEntries(
              Object.entries(record.headers ?? {}).map(([name, value]) => [name, value?.toString() ?? '']),
            );
            push(this.deadLetters, key, {
              reason: headers.reason ?? '',
              instanceId: headers['instance-id'] ?? '',
              value: record.value,
              headers,
            });
          }
        }
      },
    });
  }

  /** Records received on both topics, duplicates included. */
  get total(): number {
    return this.received;
  }

  /** Distinct input keys seen on either topic. */
  distinctKeys(): number {
    const keys = new Set([...this.predictions.keys(), ...this.deadLetters.keys()]);
    return keys.size;
  }

  /** Keys that came out more than once (across both topics). */
  duplicateKeys(): string[] {
    const duplicates: string[] = [];
    for (const [key, list] of this.predictions) {
      if (list.length + (this.deadLetters.get(key)?.length ?? 0) > 1) duplicates.push(key);
    }
    for (const [key, list] of this.deadLetters) if (list.length > 1 && !this.predictions.has(key)) duplicates.push(key);
    return duplicates;
  }

  /**
   * When processing of `partitions` resumed after `since`: the first prediction for one of them written after then
   * by an instance other than `instanceId` (Infinity when none was).
   */
  resumedAfter(since: number, partitions: readonly number[], instanceId: string): number {
    let first = Infinity;
    for (const { message, outputTimestamp } of [...this.predictions.values()].flat()) {
      if (message.instanceId !== instanceId && partitions.includes(message.source.partition) && outputTimestamp >= since) {
        first = Math.min(first, outputTimestamp);
      }
    }
    return first;
  }

  missingKeys(expected: Iterable<string>): string[] {
    const missing: string[] = [];
    for (const key of expected) if (!this.predictions.has(key) && !this.deadLetters.has(key)) missing.push(key);
    return missing;
  }

  /** Waits until `expectedKeys` distinct keys arrived; false on timeout. */
  async waitForKeys(expectedKeys: number, timeoutMs: number, onTick?: () => void): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.distinctKeys() < expectedKeys) {
      if (Date.now() >= deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 200));
      onTick?.();
    }
    return true;
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
    this.consumer = undefined;
  }
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** Nearest-rank percentile of unsorted numbers; NaN for an empty list. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1];
}
