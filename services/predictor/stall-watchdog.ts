import type { Admin } from 'kafkajs';
import { createKafkaClient, type KafkaSecurity } from '../common/kafka-client';
import { kafkaLogLevel } from '../common/kafka-logging';
import type { ServiceConfig } from './config';
import { REBALANCE_TIMEOUT_MS, type GroupMember } from './group-member';

/** What the watchdog reads of a group member, and the one thing it does to it. */
export type WatchedMember = Pick<
  GroupMember,
  'phase' | 'phaseSince' | 'restarting' | 'lastActivityAt' | 'lastCommitAt' | 'oldestBatchStartedAt' | 'assignedPartitions' | 'replace'
>;

/**
 * The longest a join or rebalance may take before the consumer counts as stuck: the coordinator's own rebalance
 * timeout, a session for a dead member to expire, and the stall period on top.
 */
export function rejoinLimitMs(config: Pick<ServiceConfig, 'sessionTimeoutMs' | 'stallTimeoutMs'>): number {
  return REBALANCE_TIMEOUT_MS + config.sessionTimeoutMs + config.stallTimeoutMs;
}

const CHECK_INTERVAL_MS = 2000;
const LAG_CHECK_INTERVAL_MS = 5000;

/**
 * kafkajs can stop making progress after a broker dies: a fetch loop that goes silent, or one that keeps fetching
 * from the live brokers while partitions pinned to the dead one (stale coordinator/leader) never come back. Either
 * way: nothing committed for CONSUMER_STALL_MS while assigned partitions have unprocessed records, or no fetch at
 * all, or a batch running far past its own timeout. Then the consumer is replaced (fresh metadata, clean rejoin).
 * A rejoin can hang as well: after a broker eviction moved the group coordinator, all five consumers of a
 * Kubernetes run got "The coordinator is loading" to their JoinGroup and then went silent for good (10 min, never
 * Ready). A join or rebalance longer than rejoinLimitMs is replaced the same way.
 */
export class StallWatchdog {
  private timer: NodeJS.Timeout | undefined;
  private lagAdmin: Admin | undefined;
  private checkingLag = false;
  private lastLagCheckAt = 0;

  constructor(
    private readonly member: WatchedMember,
    private readonly config: ServiceConfig,
    private readonly security?: KafkaSecurity,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.check(), CHECK_INTERVAL_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.lagAdmin?.disconnect().catch(() => undefined);
  }

  /** One round of checks; the timer calls it every CHECK_INTERVAL_MS. */
  check(now = Date.now()): void {
    const { config, member } = this;
    if (member.restarting) return;
    if ((member.phase === 'joining' || member.phase === 'rebalancing') && now - member.phaseSince > rejoinLimitMs(config)) {
      member.replace(`${member.phase} for ${now - member.phaseSince} ms without joining the group`);
      return;
    }
    if (member.phase !== 'joined') return;
    if (
      !this.checkingLag &&
      now - member.lastCommitAt > config.stallTimeoutMs &&
      now - this.lastLagCheckAt > LAG_CHECK_INTERVAL_MS &&
      member.assignedPartitions.length > 0
    ) {
      this.checkingLag = true;
      this.lastLagCheckAt = now;
      void this.laggingPartitions()
        .then((lagging) => {
          if (lagging.length > 0 && Date.now() - member.lastCommitAt > config.stallTimeoutMs) {
            member.replace(`partitions [${lagging.join(',')}] have unprocessed records but nothing was committed for ${Date.now() - member.lastCommitAt} ms`);
          }
        })
        .catch(() => undefined) // the cluster may be failing over; check again next round
        .finally(() => {
          this.checkingLag = false;
        });
    }
    const oldestBatch = member.oldestBatchStartedAt;
    // A batch bounds its own produce/commit (2x the stall time); beyond 4x something else hangs.
    const stuckInBatch = oldestBatch !== undefined && now - oldestBatch > config.stallTimeoutMs * 4;
    const silent = oldestBatch === undefined && now - member.lastActivityAt > config.stallTimeoutMs;
    if (!stuckInBatch && !silent) return;
    member.replace(stuckInBatch ? `a batch has run for ${now - oldestBatch} ms` : `no fetch for ${now - member.lastActivityAt} ms`);
  }

  /** Assigned input partitions whose committed offset is behind the end of the partition. */
  private async laggingPartitions(): Promise<number[]> {
    const { config } = this;
    if (!this.lagAdmin) {
      this.lagAdmin = createKafkaClient({ security: this.security, clientId: `airline-predictor-${config.instanceId}-lag`, brokers: config.bootstrap, logLevel: kafkaLogLevel('nothing'), connectionTimeout: 3000, retry: { retries: 1 } }).admin();
      await this.lagAdmin.connect();
    }
    const [ends, committed] = await Promise.all([
      this.lagAdmin.fetchTopicOffsets(config.inputTopic),
      this.lagAdmin.fetchOffsets({ groupId: config.groupId, topics: [config.inputTopic] }),
    ]);
    const committedByPartition = new Map(committed[0]?.partitions.map((p) => [p.partition, BigInt(p.offset)]) ?? []);
    return this.member.assignedPartitions.filter((partition) => {
      const end = ends.find((e) => e.partition === partition);
      if (!end) return false;
      const done = committedByPartition.get(partition) ?? -1n;
      return BigInt(end.high) > (done < 0n ? BigInt(end.low) : done);
    });
  }
}
