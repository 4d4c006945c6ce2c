import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError } from '../../contracts/config-error';
import { loadServiceConfig } from '../../services/predictor/config';

const REPO = join(__dirname, '..', '..');

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadServiceConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
    return error.issues.map((issue) => `${issue.field}: ${issue.problem}`);
  }
  assert.fail('expected the configuration to be refused');
}

describe('prediction service configuration', () => {
  it('fills defaults from a minimal environment', () => {
    const config = loadServiceConfig({ KAFKA_BOOTSTRAP: '127.0.0.10:9092', INSTANCE_ID: 'p-1' });
    assert.deepEqual(config.bootstrap, ['127.0.0.10:9092']);
    assert.equal(config.inputTopic, 'AirlineInputTopic');
    assert.equal(config.outputTopic, 'AirlineOutputTopic');
    assert.equal(config.deadLetterTopic, 'AirlineDeadLetterTopic');
    assert.equal(config.deliveryMode, 'at-least-once');
    assert.equal(config.http.port, 8080);
    assert.equal(config.sessionTimeoutMs, 6000);
    assert.equal(config.heartbeatIntervalMs, 1000);
    assert.equal(config.transactionalIdPrefix, 'airline-predictor');
  });

  it('parses a bootstrap list, numbers and the exactly-once mode', () => {
    const config = loadServiceConfig({
      KAFKA_BOOTSTRAP: 'b1:9092, b2:9092',
      DELIVERY_MODE: 'exactly-once',
      HTTP_PORT: '0',
      GROUP_ID: 'g',
      INSTANCE_ID: 'x',
      TRANSACTIONAL_ID_PREFIX: 'tx',
      SESSION_TIMEOUT_MS: '9000',
    });
    assert.deepEqual(config.bootstrap, ['b1:9092', 'b2:9092']);
    assert.equal(config.deliveryMode, 'exactly-once');
    assert.equal(config.http.port, 0);
    assert.equal(config.sessionTimeoutMs, 9000);
    assert.equal(config.transactionalIdPrefix, 'tx');
  });

  it('names a missing bootstrap', () => {
    const problems = problemsOf({});
    assert.equal(problems.length, 1);
    assert.match(problems[0], /^KAFKA_BOOTSTRAP: is required/);
  });

  it('treats empty variables as unset', () => {
    const config = loadServiceConfig({ KAFKA_BOOTSTRAP: 'k:9092', INPUT_TOPIC: '' });
    assert.equal(config.inputTopic, 'AirlineInputTopic');
  });

  it('lists every bad variable with the value it got', () => {
    const problems = problemsOf({
      KAFKA_BOOTSTRAP: 'no-port',
      DELIVERY_MODE: 'twice',
      HTTP_PORT: '70000',
      INPUT_TOPIC: 'bad topic!',
    });
    const variables = problems.map((p) => p.split(':')[0]).sort();
    assert.deepEqual(variables, ['DELIVERY_MODE', 'HTTP_PORT', 'INPUT_TOPIC', 'KAFKA_BOOTSTRAP']);
    assert.ok(problems.some((p) => p.startsWith('DELIVERY_MODE') && p.includes('"twice"')));
    assert.ok(problems.some((p) => p.startsWith('KAFKA_BOOTSTRAP') && p.includes('host:port')));
  });

  it('refuses a heartbeat too slow for the session timeout', () => {
    const problems = problemsOf({ KAFKA_BOOTSTRAP: 'k:9092', SESSION_TIMEOUT_MS: '6000', HEARTBEAT_INTERVAL_MS: '3000' });
    assert.equal(problems.length, 1);
    assert.match(problems[0], /^HEARTBEAT_INTERVAL_MS: must be at most a third of SESSION_TIMEOUT_MS/);
  });

  it('refuses the same topic for input and output', () => {
    const problems = problemsOf({ KAFKA_BOOTSTRAP: 'k:9092', INPUT_TOPIC: 'T', OUTPUT_TOPIC: 'T' });
    assert.deepEqual(problems, ['OUTPUT_TOPIC: INPUT_TOPIC, OUTPUT_TOPIC, DEAD_LETTER_TOPIC must be 3 different topics (got "T")']);
  });

  it('exits with code 2 and a clear message on bad configuration, before connecting anywhere', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', join(REPO, 'services', 'predictor', 'main.ts')], {
      cwd: REPO,
      env: { PATH: process.env.PATH ?? '', DELIVERY_MODE: 'sometimes' },
      encoding: 'utf8',
      timeout: 30000,
    });
    assert.equal(result.status, 2, result.stderr);
    assert.match(result.stderr, /invalid prediction service configuration/);
    assert.match(result.stderr, /KAFKA_BOOTSTRAP: is required/);
    assert.match(result.stderr, /DELIVERY_MODE: .*"sometimes"/);
  });
});
