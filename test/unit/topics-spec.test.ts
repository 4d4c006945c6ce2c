import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PERMANENT_EXIT_CODES } from '../../contracts/topic-provisioner';
import { BrokersNotReadyError, EXIT_CODES, TopicDriftError, TopicSpecError, exitCodeFor } from '../../services/topics/errors';
import { parseTopicSpec, parseTopicSpecJson } from '../../services/topics/spec';

function specIssues(raw: unknown): string[] {
  try {
    parseTopicSpec(raw);
  } catch (error) {
    assert.ok(error instanceof TopicSpecError, `expected TopicSpecError, got ${String(error)}`);
    assert.equal(exitCodeFor(error), EXIT_CODES.invalidSpec);
    return error.issues;
  }
  assert.fail('spec was accepted');
}

describe('provisioner exit codes', () => {
  it('the Job gives up at once exactly on the failures no retry fixes: invalid spec and refused drift', () => {
    const permanent = [new TopicSpecError('bad'), new TopicDriftError('drift')].map(exitCodeFor);
    assert.deepEqual([...PERMANENT_EXIT_CODES].sort(), permanent.sort());
    assert.ok(!PERMANENT_EXIT_CODES.includes(exitCodeFor(new BrokersNotReadyError('later'))));
    assert.ok(!PERMANENT_EXIT_CODES.includes(exitCodeFor(new Error('unexpected'))));
  });
});

describe('topic spec parsing', () => {
  it('accepts a list or { topics }, fills an empty config and turns config values into strings', () => {
    const list = parseTopicSpec([
      { name: 'AirlineInputTopic', partitions: 10, replicationFactor: 3, config: { 'min.insync.replicas': 2 } },
      { name: 'AirlineOutputTopic', partitions: 4, replicationFactor: 1 },
    ]);
    assert.deepEqual(list, [
      { name: 'AirlineInputTopic', partitions: 10, replicationFactor: 3, config: { 'min.insync.replicas': '2' } },
      { name: 'AirlineOutputTopic', partitions: 4, replicationFactor: 1, config: {} },
    ]);
    const wrapped = parseTopicSpec({ topics: [{ name: 'a.b_c-1', partitions: 1, replicationFactor: 1 }] });
    assert.equal(wrapped[0].name, 'a.b_c-1');
  });

  it('reports every field problem at once, with its place in the spec', () => {
    const issues = specIssues([
      { name: 'ok', partitions: 3, replicationFactor: 3 },
      { name: 'bad name!', partitions: 0, replicationFactor: 1.5, config: { 'retention.msx': '1' } },
    ]);
    assert.ok(issues.some((i) => i.startsWith('topics[1].name:')), issues.join('\n'));
    assert.ok(issues.some((i) => i.startsWith('topics[1].partitions: must be at least 1')), issues.join('\n'));
    assert.ok(issues.some((i) => i.startsWith('topics[1].replicationFactor: must be an integer')), issues.join('\n'));
    assert.ok(issues.some((i) => i.includes('unknown topic config key "retention.msx"')), issues.join('\n'));
    assert.ok(!issues.some((i) => i.startsWith('topics[0]')), 'the valid topic is not blamed');
  });

  it('rejects missing fields, unknown fields and non-list input', () => {
    assert.ok(specIssues([{ name: 'x', partitions: 1 }]).some((i) => i === 'topics[0].replicationFactor: is required'));
    assert.ok(specIssues([{ name: 'x', partitions: 1, replicationFactor: 1, rf: 3 }]).some((i) => i.includes('rf')));
    assert.equal(specIssues('AirlineInputTopic').length, 1);
    assert.deepEqual(specIssues([]), ['topics: the spec lists no topics']);
  });

  it('rejects duplicates, "."/"_" collisions and min.insync.replicas above the replication factor', () => {
    const issues = specIssues([
      { name: 'flights.in', partitions: 1, replicationFactor: 3 },
      { name: 'flights_in', partitions: 1, replicationFactor: 3 },
      { name: 'flights.in', partitions: 1, replicationFactor: 3 },
      { name: 'narrow', partitions: 1, replicationFactor: 2, config: { 'min.insync.replicas': '3' } },
      { name: 'nonsense', partitions: 1, replicationFactor: 2, config: { 'min.insync.replicas': 'two' } },
    ]);
    assert.ok(issues.some((i) => i.startsWith('topics[1] (flights_in): collides with "flights.in"')), issues.join('\n'));
    assert.ok(issues.some((i) => i.startsWith('topics[2] (flights.in): duplicate topic name')), issues.join('\n'));
    assert.ok(issues.some((i) => i.includes('min.insync.replicas 3 exceeds replicationFactor 2')), issues.join('\n'));
    assert.ok(issues.some((i) => i.includes('min.insync.replicas must be a positive integer, got "two"')), issues.join('\n'));
  });

  it('names the source of unparsable JSON', () => {
    assert.throws(() => parseTopicSpecJson('{"topics": [', 'TOPICS_SPEC'), (error: unknown) => {
      assert.ok(error instanceof TopicSpecError);
      assert.match(error.message, /^TOPICS_SPEC is not valid JSON/);
      return true;
    });
  });
});
