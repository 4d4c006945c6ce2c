import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadEnvironment } from '../../config';
import { parseTopicsCli } from '../../services/topics/cli-options';
import { TopicSpecError } from '../../services/topics/errors';

const dir = mkdtempSync(join(tmpdir(), 'topics-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const environmentTopics = (name: string) => loadEnvironment(name).streaming.topics;

function issuesOf(argv: string[], env: NodeJS.ProcessEnv): string[] {
  try {
    parseTopicsCli(argv, env, environmentTopics);
  } catch (error) {
    assert.ok(error instanceof TopicSpecError, String(error));
    return error.issues;
  }
  assert.fail('options were accepted');
}

describe('topics CLI options', () => {
  it('reads the in-cluster Job variables', () => {
    const options = parseTopicsCli([], {
      KAFKA_BOOTSTRAP: 'kafka-bootstrap.kafka.svc:9092',
      TOPICS_SPEC: JSON.stringify([{ name: 'AirlineInputTopic', partitions: 10, replicationFactor: 3 }]),
      EXPECTED_BROKERS: '3',
      TIMEOUT_MS: '300000',
    });
    assert.equal(options.bootstrap, 'kafka-bootstrap.kafka.svc:9092');
    assert.equal(options.specSource, 'TOPICS_SPEC');
    assert.deepEqual(options.topics.map((t) => [t.name, t.partitions]), [['AirlineInputTopic', 10]]);
    assert.equal(options.expectedBrokers, 3);
    assert.equal(options.timeoutMs, 300000);
  });

  it('lets flags win over the environment and reads a spec file', () => {
    const file = join(dir, 'spec.json');
    writeFileSync(file, JSON.stringify({ topics: [{ name: 'FromFile', partitions: 2, replicationFactor: 1 }] }));
    const options = parseTopicsCli(['--bootstrap', '127.0.0.10:9092', '--spec', file, '--expect-brokers', '1', '--timeout-ms', '5000', '--dry-run'], {
      KAFKA_BOOTSTRAP: 'elsewhere:9092',
      TOPICS_SPEC: '[]',
      EXPECTED_BROKERS: '3',
    });
    assert.equal(options.bootstrap, '127.0.0.10:9092');
    assert.equal(options.topics[0].name, 'FromFile');
    assert.equal(options.expectedBrokers, 1);
    assert.equal(options.timeoutMs, 5000);
    assert.equal(options.dryRun, true);
  });

  it('defaults to the local environment\'s topics from config', () => {
    const options = parseTopicsCli(['--bootstrap', '127.0.0.10:9092'], {}, environmentTopics);
    assert.deepEqual(options.topics, loadEnvironment('local').streaming.topics);
    assert.equal(options.expectedBrokers, 3);
  });

  it('needs --spec or TOPICS_SPEC when built without the config environments (the in-cluster Job)', () => {
    assert.throws(() => parseTopicsCli(['--bootstrap', '127.0.0.10:9092'], {}), TopicSpecError);
    assert.throws(() => parseTopicsCli(['--bootstrap', '127.0.0.10:9092', '--env', 'dev'], {}), /give --spec FILE or TOPICS_SPEC/);
  });

  it('lists every bad option and variable together', () => {
    const issues = issuesOf(['--spec', 'a.json', '--env', 'dev'], { EXPECTED_BROKERS: 'three', TIMEOUT_MS: '10' });
    assert.ok(issues.some((i) => i.startsWith('EXPECTED_BROKERS')), issues.join('\n'));
    assert.ok(issues.some((i) => i.startsWith('TIMEOUT_MS') && i.includes('at least 1000')), issues.join('\n'));
    assert.ok(issues.includes('KAFKA_BOOTSTRAP or --bootstrap is required'), issues.join('\n'));
    assert.ok(issues.includes('give either --spec or --env, not both'), issues.join('\n'));
  });

  it('rejects a malformed bootstrap list, unknown flags and a missing spec file', () => {
    assert.ok(issuesOf([], { KAFKA_BOOTSTRAP: 'no-port' }).some((i) => i.includes('HOST:PORT')));
    assert.throws(() => parseTopicsCli(['--bootstrp', 'x:1'], {}), /Unknown option '--bootstrp'/);
    assert.throws(() => parseTopicsCli(['--bootstrap', 'x:1', '--spec', join(dir, 'missing.json')], {}), /cannot read spec file/);
    assert.throws(() => parseTopicsCli(['--bootstrap', 'x:1', '--env', 'nowhere'], {}, environmentTopics), /cannot load environment "nowhere"/);
  });
});
