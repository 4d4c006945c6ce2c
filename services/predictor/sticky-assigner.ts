// A sticky partition assigner for kafkajs (which ships only round-robin): a rebalance leaves each instance the
// input partitions it owned, up to its fair share. A consumer replaced by the stall watchdog, or a group that
// rejoins after its coordinator died, then keeps its partitions, and with them what its at-least-once delivery
// remembers about outputs already acknowledged (nothing is sent twice); scaling 1 -> 5 moves only the partitions
// the new instances need.
import { AssignerProtocol, type PartitionAssigner } from 'kafkajs';

export const STICKY_ASSIGNER_NAME = 'AirlineStickyAssigner';

/** What a member tells the group leader when it joins. */
export interface StickyMemberState {
  /** The instance behind the member (stable across consumer replacements; member ids are not). */
  instance: string;
  /** Partitions it owns now, per topic. */
  owned: Record<string, number[]>;
}

export interface TopicPartition {
  topic: string;
  partition: number;
}

/**
 * Pure and deterministic: each member keeps the partitions it owns, up to its fair share (the members owning most
 * get the larger shares), then the partitions left go to members below their share, in order.
 */
export function planStickyAssignment(
  members: ReadonlyArray<{ memberId: string } & StickyMemberState>,
  partitions: readonly TopicPartition[],
): Map<string, Record<string, number[]>> {
  const ownedCount = (m: StickyMemberState) => Object.values(m.owned).reduce((n, list) => n + list.length, 0);
  const ordered = [...members].sort(
    (a, b) => ownedCount(b) - ownedCount(a) || a.instance.localeCompare(b.instance) || a.memberId.localeCompare(b.memberId),
  );
  const share = Math.floor(partitions.length / Math.max(1, ordered.length));
  const larger = partitions.length % Math.max(1, ordered.length);
  const quota = new Map(ordered.map((m, i) => [m.memberId, share + (i < larger ? 1 : 0)]));
  const key = (p: TopicPartition) => `${p.topic}\u0000${p.partition}`;
  const existing = new Set(partitions.map(key));
  const claimed = new Set<string>();
  const plan = new Map<string, TopicPartition[]>(ordered.map((m) => [m.memberId, []]));

  for (const member of ordered) {
    const mine = plan.get(member.memberId)!;
    for (const [topic, owned] of Object.entries(member.owned)) {
      for (const partition of [...owned].sort((a, b) => a - b)) {
        const p = { topic, partition };
        if (mine.length >= quota.get(member.memberId)! || !existing.has(key(p)) || claimed.has(key(p))) continue;
        claimed.add(key(p));
        mine.push(p);
      }
    }
  }
  const left = partitions
    .filter((p) => !claimed.has(key(p)))
    .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  for (const p of left) {
    const taker = ordered.find((m) => plan.get(m.memberId)!.length < quota.get(m.memberId)!);
    if (!taker) break;
    plan.get(taker.memberId)!.push(p);
  }

  const result = new Map<string, Record<string, number[]>>();
  for (const [memberId, assigned] of plan) {
    const byTopic: Record<string, number[]> = {};
    for (const { topic, partition } of assigned) (byTopic[topic] ??= []).push(partition);
    for (const list of Object.values(byTopic)) list.sort((a, b) => a - b);
    result.set(memberId, byTopic);
  }
  return result;
}

/** Reads a member's state from its join metadata; a member without it (another assigner's data) owns nothing. */
export function decodeMemberState(memberId: string, userData: Buffer | null | undefined): StickyMemberState {
  try {
    const parsed = JSON.parse((userData ?? Buffer.alloc(0)).toString('utf8')) as Partial<StickyMemberState>;
    const owned: Record<string, number[]> = {};
    for (const [topic, list] of Object.entries(parsed.owned ?? {})) {
      if (Array.isArray(list)) owned[topic] = list.filter((p): p is number => Number.isInteger(p));
    }
    return { instance: typeof parsed.instance === 'string' ? parsed.instance : memberId, owned };
  } catch {
    return { instance: memberId, owned: {} };
  }
}

/** The kafkajs assigner; `state` tells what this instance owns at the moment it joins. */
export function stickyAssigner(state: () => StickyMemberState): PartitionAssigner {
  return ({ cluster }) => ({
    name: STICKY_ASSIGNER_NAME,
    version: 0,
    async assign({ members, topics }) {
      const partitions = topics.flatMap((topic) =>
        cluster.findTopicPartitionMetadata(topic).map((metadata) => ({ topic, partition: metadata.partitionId })),
      );
      const plan = planStickyAssignment(
        members.map(({ memberId, memberMetadata }) => ({
          memberId,
          ...decodeMemberState(memberId, AssignerProtocol.MemberMetadata.decode(memberMetadata)?.userData),
        })),
        partitions,
      );
      return members.map(({ memberId }) => ({
        memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({
          version: 0,
          assignment: plan.get(memberId) ?? {},
          userData: Buffer.alloc(0),
        }),
      }));
    },
    protocol({ topics }) {
      return {
        name: STICKY_ASSIGNER_NAME,
        metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData: Buffer.from(JSON.stringify(state())) }),
      };
    },
  });
}
