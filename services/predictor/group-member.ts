import { PartitionAssigners, type Consumer, type EachBatchPayload, type Kafka } from 'kafkajs';
import { delay } from '../common/delay';
import type { Logger } from '../../contracts/logging';
import type { ProbeResult } from '../common/probe-server';
import type { ServiceConfig } from './config';
import type { PredictorMetrics } from './metrics';
import { METADATA_MAX_AGE_MS } from './output-producer';
import { stickyAssigner } from './sticky-assigner';

/** How long the group coordinator waits for every member to rejoin during a rebalance. */
export const REBALANCE_TIMEOUT_MS = 30_000;

export type GroupPhase = 'created' | 'connecting' | 'joining' | 'joined' | 'rebalancing' | 'stopping' | 'stopped' | 'failed';

export interface GroupMemberDeps {
  config: ServiceConfig;
  logger: Logger;
  metrics: PredictorMetrics;
  /** Partitions kafkajs may hand to `eachBatch` at once. */
  partitionsConsumedConcurrently: number;
  eachBatch: (payload: EachBatchPayload) => Promise<void>;
  /** Called with the instance's input partitions after every join. */
  onAssigned?: (partitions: readonly number[]) => void;
  /** Called when the consumer stops for good (kafkajs gave up). */
  onFatal?: (error: Error) => void;
}

/**
 * The consumer-group membership of one instance: the consumer reading the input topic, its phase as the group
 * joins and rebalances, the batches in flight and the signs of life the stall watchdog reads. A stalled consumer is
 * replaced by a fresh one (new metadata, clean rejoin).
 */
export class GroupMember {
  private consumer: Consumer;
  private currentPhase: GroupPhase = 'created';
  private phaseChangedAt = Date.now();
  private lastActivity = Date.now();
  /** Start times of the batches being handled now (several partitions may be in flight). */
  private readonly activeBatches = new Set<number>();
  private replacing = false;
  private assigned: number[] = [];
  private lastCommit = Date.now();
  private fatalError: Error | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly deps: GroupMemberDeps,
  ) {
    this.consumer = this.createConsumer();
  }

  get phase(): GroupPhase {
    return this.currentPhase;
  }

  /** When the member entered its current phase: a join or rebalance that never ends is a stall too. */
  get phaseSince(): number {
    return this.phaseChangedAt;
  }

  private enter(phase: GroupPhase): void {
    if (phase === this.currentPhase) return;
    this.currentPhase = phase;
    this.phaseChangedAt = Date.now();
  }

  /** True while a stalled consumer is being replaced. */
  get restarting(): boolean {
    return this.replacing;
  }

  /** Assigned input partitions, sorted. */
  get assignedPartitions(): readonly number[] {
    return this.assigned;
  }

  /** Last sign of life of the fetch loop (a fetch answered, a batch started or ended, a join). */
  get lastActivityAt(): number {
    return this.lastActivity;
  }

  /** When this instance last committed a batch; compared with the group's lag to spot a consumer that stopped. */
  get lastCommitAt(): number {
    return this.lastCommit;
  }

  /** When the longest-running batch in flight started, undefined when none is. */
  get oldestBatchStartedAt(): number | undefined {
    return this.activeBatches.size > 0 ? Math.min(...this.activeBatches) : undefined;
  }

  connecting(): void {
    this.enter('connecting');
  }

  committed(): void {
    this.lastCommit = Date.now();
  }

  async run(): Promise<void> {
    const { config } = this.deps;
    this.lastActivity = Date.now();
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [config.inputTopic], fromBeginning: true });
    this.enter('joining');
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.deps.partitionsConsumedConcurrently,
      eachBatch: (payload) => this.trackBatch(payload),
    });
  }

  /** Marks the member as leaving; `leave` then disconnects. */
  stopping(): void {
    this.enter('stopping');
  }

  /** Leaves the group at once (LeaveGroup on disconnect) so partitions move without waiting for the session. */
  async leave(): Promise<void> {
    await this.consumer.disconnect().catch((error: unknown) => this.deps.logger.warn({ err: error }, 'consumer disconnect'));
  }

  stopped(): void {
    this.enter('stopped');
    this.deps.metrics.assignedPartitions.set(0);
  }

  liveness(): ProbeResult {
    if (this.fatalError) return { ok: false, detail: `consumer failed: ${this.fatalError.message}` };
    return { ok: true, detail: this.currentPhase };
  }

  /** Ready once the consumer has joined the group and the group is stable (an empty assignment is fine). */
  readiness(): ProbeResult {
    if (this.currentPhase !== 'joined') return { ok: false, detail: this.currentPhase };
    return { ok: true, detail: `joined; partitions [${this.assigned.join(',')}]` };
  }

  /**
   * kafkajs steps over a batch of only transaction markers or aborted records without calling eachBatch and, with
   * autoCommit off, commits nothing: the committed offset would stay short of the end of an idle partition (and the
   * stall watchdog would see unprocessed records). Everything before such a batch is committed already, so its end
   * is committed here. The commit carries the group generation, so a member that lost the partition cannot move it.
   */
  private commitPastFiltered(consumer: Consumer, topic: string, partition: number, lastOffset: string): void {
    const offset = (BigInt(lastOffset) + 1n).toString();
    consumer
      .commitOffsets([{ topic, partition, offset }])
      .then(() => {
        if (consumer === this.consumer) this.lastCommit = Date.now();
      })
      .catch((error: unknown) => this.deps.logger.warn({ err: error, partition, offset }, 'commit past markers or aborted records failed'));
  }

  replace(reason: string): void {
    const { logger, metrics } = this.deps;
    if (this.replacing) return;
    this.replacing = true;
    metrics.consumerRestarts.inc();
    logger.error({ reason }, 'consumer stalled; replacing it');
    this.lastCommit = Date.now();
    const stalled = this.consumer;
    this.consumer = this.createConsumer();
    this.enter('joining');
    this.activeBatches.clear();
    void (async () => {
      // A stuck consumer may never finish disconnecting; its LeaveGroup is best effort.
      await Promise.race([stalled.disconnect().catch(() => undefined), delay(10000)]);
      if (this.currentPhase === 'stopping' || this.currentPhase === 'stopped') return;
      await this.run();
    })()
      .catch((error: unknown) => {
        logger.error({ err: error }, 'consumer restart failed');
        this.fail(error instanceof Error ? error : new Error(String(error)));
      })
      .finally(() => {
        this.replacing = false;
      });
  }

  private fail(error: Error): void {
    this.enter('failed');
    this.fatalError = error;
    this.deps.onFatal?.(error);
  }

  private async trackBatch(payload: EachBatchPayload): Promise<void> {
    if (payload.batch.isEmpty()) return;
    // Distinct start times per batch: nudge equal ones so each stays in the set.
    let startedAt = Date.now();
    while (this.activeBatches.has(startedAt)) startedAt += 0.001;
    this.activeBatches.add(startedAt);
    try {
      await this.deps.eachBatch(payload);
    } finally {
      this.activeBatches.delete(startedAt);
    }
  }

  private createConsumer(): Consumer {
    const { config } = this.deps;
    const consumer = this.kafka.consumer({
      metadataMaxAge: METADATA_MAX_AGE_MS,
      groupId: config.groupId,
      sessionTimeout: config.sessionTimeoutMs,
      heartbeatInterval: config.heartbeatIntervalMs,
      rebalanceTimeout: REBALANCE_TIMEOUT_MS,
      // read_committed: never act on outputs of aborted upstream transactions.
      readUncommitted: false,
      maxWaitTimeInMs: 500,
      allowAutoTopicCreation: false,
      // Sticky first; round-robin while older instances without it are still in the group.
      partitionAssigners: [
        stickyAssigner(() => ({ instance: config.instanceId, owned: { [config.inputTopic]: [...this.assigned] } })),
        PartitionAssigners.roundRobin,
      ],
    });
    this.watch(consumer);
    return consumer;
  }

  private watch(consumer: Consumer): void {
    const { config, logger, metrics } = this.deps;
    const events = consumer.events;
    const isCurrent = () => consumer === this.consumer;
    const alive = () => {
      if (isCurrent()) this.lastActivity = Date.now();
    };
    consumer.on(events.FETCH, alive);
    consumer.on(events.START_BATCH_PROCESS, alive);
    consumer.on(events.END_BATCH_PROCESS, ({ payload }) => {
      alive();
      if (isCurrent() && payload.batchSize === 0) this.commitPastFiltered(consumer, payload.topic, payload.partition, payload.lastOffset);
    });
    consumer.on(events.GROUP_JOIN, ({ payload }) => {
      if (!isCurrent()) return;
      alive();
      // A new assignment gets a full stall period before it counts as stuck.
      this.lastCommit = Date.now();
      this.assigned = [...(payload.memberAssignment[config.inputTopic] ?? [])].sort((a, b) => a - b);
      this.deps.onAssigned?.(this.assigned);
      metrics.assignedPartitions.set(this.assigned.length);
      if (this.currentPhase !== 'stopping') this.enter('joined');
      logger.info(
        { memberId: payload.memberId, isLeader: payload.isLeader, partitions: this.assigned },
        'joined consumer group',
      );
    });
    consumer.on(events.REBALANCING, () => {
      if (!isCurrent()) return;
      if (this.currentPhase === 'joined') this.enter('rebalancing');
      logger.info('group rebalancing');
    });
    consumer.on(events.CRASH, ({ payload }) => {
      if (!isCurrent()) return;
      logger.error({ err: payload.error, restart: payload.restart }, 'consumer crashed');
      if (payload.restart) {
        if (this.currentPhase !== 'stopping') this.enter('joining');
        return;
      }
      this.fail(payload.error);
    });
  }
}
