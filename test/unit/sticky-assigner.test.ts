import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AssignerProtocol } from 'kafkajs';
import { decodeMemberState, planStickyAssignment, stickyAssigner, type TopicPartition } from '../../services/predictor/sticky-assigner';

const TOPIC = 'in';
const partitions = (count: number): TopicPartition[] => Array.from({ length: count }, (_, partition) => ({ topic: TOPIC, partition }));
const member = (memberId: string, instance: string, owned: number[] = []) => ({ memberId, instance, owned: owned.length ? { [TOPIC]: owned } : ({} as Record<string, number[]>) });
const assigned = (plan: Map<string, Record<string, number[]>>, memberId: string) => plan.get(memberId)?.[TOPIC] ?? [];

describe('sticky partition assigner', () => {
  it('a new group gets every partition once, in fair shares', () => {
    const plan = planStickyAssignment([member('m1', 'a'), member('m2', 'b'), member('m3', 'c')], partitions(10));
    const all = [...plan.values()].flatMap((byTopic) => byTopic[TOPIC] ?? []).sort((x, y) => x - y);
    assert.deepEqual(all, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.deepEqual([...plan.values()].map((byTopic) => byTopic[TOPIC].length).sort(), [3, 3, 4]);
  });

  it('a rejoin with the same instances keeps every partition where it was, whatever the member ids', () => {
    const plan = planStickyAssignment(
      [member('new-1', 'a', [0, 3, 6, 9]), member('new-2', 'b', [1, 4, 7]), member('new-3', 'c', [2, 5, 8])],
      partitions(10),
    );
    assert.deepEqual(assigned(plan, 'new-1'), [0, 3, 6, 9]);
    assert.deepEqual(assigned(plan, 'new-2'), [1, 4, 7]);
    assert.deepEqual(assigned(plan, 'new-3'), [2, 5, 8]);
  });

  it('scaling 1 -> 5 moves only what the new members need', () => {
    const plan = planStickyAssignment(
      [member('m1', 'a', [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]), member('m2', 'b'), member('m3', 'c'), member('m4', 'd'), member('m5', 'e')],
      partitions(10),
    );
    assert.deepEqual(assigned(plan, 'm1'), [0, 1]);
    for (const id of ['m2', 'm3', 'm4', 'm5']) assert.equal(assigned(plan, id).length, 2, id);
    const all = [...plan.values()].flatMap((byTopic) => byTopic[TOPIC] ?? []).sort((x, y) => x - y);
    assert.deepEqual(all, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('a member leaving: the others keep theirs and share its partitions', () => {
    const plan = planStickyAssignment([member('m1', 'a', [0, 3, 6, 9]), member('m3', 'c', [2, 5, 8])], partitions(10));
    assert.deepEqual(assigned(plan, 'm1'), [0, 1, 3, 6, 9]);
    assert.deepEqual(assigned(plan, 'm3'), [2, 4, 5, 7, 8]);
  });

  it('two members claiming one partition, or a partition that no longer exists: each partition once', () => {
    const plan = planStickyAssignment([member('m1', 'a', [0, 1, 12]), member('m2', 'b', [1, 2])], partitions(4));
    assert.deepEqual(assigned(plan, 'm1'), [0, 1]);
    assert.deepEqual(assigned(plan, 'm2'), [2, 3]);
  });

  it('member state survives the join metadata round trip; foreign or broken metadata owns nothing', () => {
    const assigner = stickyAssigner(() => ({ instance: 'p-1', owned: { [TOPIC]: [3, 4] } }))({ cluster: {} as never, groupId: 'g', logger: {} as never });
    const { metadata } = assigner.protocol({ topics: [TOPIC] });
    const { userData } = AssignerProtocol.MemberMetadata.decode(metadata)!;
    assert.deepEqual(decodeMemberState('m', userData), { instance: 'p-1', owned: { [TOPIC]: [3, 4] } });
    assert.deepEqual(decodeMemberState('m', Buffer.from('not json')), { instance: 'm', owned: {} });
    assert.deepEqual(decodeMemberState('m', Buffer.from(JSON.stringify({ owned: { [TOPIC]: [1, 'x', 2.5] } }))), { instance: 'm', owned: { [TOPIC]: [1] } });
  });
});
