// The predictor's stall watchdog on a stand-in group member: when it replaces the consumer and when it leaves it be.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadServiceConfig } from '../../services/predictor/config';
import type { GroupPhase } from '../../services/predictor/group-member';
import { StallWatchdog, rejoinLimitMs, type WatchedMember } from '../../services/predictor/stall-watchdog';

const config = loadServiceConfig({ KAFKA_BOOTSTRAP: '127.0.0.10:9092', INSTANCE_ID: 'p-1' });
const now = 1_000_000_000;

function member(phase: GroupPhase, phaseSince: number, fields: Partial<WatchedMember> = {}) {
  const replaced: string[] = [];
  const stub: WatchedMember = {
    phase,
    phaseSince,
    restarting: false,
    lastActivityAt: now,
    lastCommitAt: now,
    oldestBatchStartedAt: undefined,
    assignedPartitions: [],
    replace: (reason: string) => void replaced.push(reason),
    ...fields,
  };
  return { stub, replaced };
}

test('the rejoin limit is the rebalance timeout plus a session plus the stall period', () => {
  assert.equal(rejoinLimitMs(config), 30_000 + config.sessionTimeoutMs + config.stallTimeoutMs);
});

for (const phase of ['joining', 'rebalancing'] as const) {
  test(`a member ${phase} past the rejoin limit is replaced; one just under it is not`, () => {
    const limit = rejoinLimitMs(config);
    const stuck = member(phase, now - limit - 1);
    new StallWatchdog(stuck.stub, config).check(now);
    assert.equal(stuck.replaced.length, 1);
    assert.match(stuck.replaced[0]!, new RegExp(`^${phase} for ${limit + 1} ms`));

    const slow = member(phase, now - limit + 1);
    new StallWatchdog(slow.stub, config).check(now);
    assert.deepEqual(slow.replaced, []);
  });
}

test('a member already being replaced, or stopping, is left alone however long it has been there', () => {
  const restarting = member('joining', 0, { restarting: true });
  new StallWatchdog(restarting.stub, config).check(now);
  assert.deepEqual(restarting.replaced, []);
  for (const phase of ['stopping', 'stopped', 'connecting'] as const) {
    const other = member(phase, 0);
    new StallWatchdog(other.stub, config).check(now);
    assert.deepEqual(other.replaced, [], phase);
  }
});

test('a joined member whose fetch loop went silent is replaced; an active one is not', () => {
  const silent = member('joined', 0, { lastActivityAt: now - config.stallTimeoutMs - 1 });
  new StallWatchdog(silent.stub, config).check(now);
  assert.match(silent.replaced[0] ?? '', /^no fetch for/);

  const active = member('joined', 0, { lastActivityAt: now - 10 });
  new StallWatchdog(active.stub, config).check(now);
  assert.deepEqual(active.replaced, []);
});
