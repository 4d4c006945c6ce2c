import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  BROKER_PRINCIPAL,
  CLIENT_PRINCIPALS,
  CLIENT_ROLES,
  DEMO_COLLECTOR_GROUP_PREFIX,
  KAFKA_ACLS,
  SUPER_USERS,
  aclsOf,
  isAllowed,
} from '../../contracts/kafka-security';
import { PREDICTOR_GROUP_ID, TOPIC_NAMES, TOPIC_ROLES, topicNamesWithSuffix } from '../../contracts/topics';

const { predictor, topicsProvisioner, demoReplay, demoCollector } = CLIENT_PRINCIPALS;
const everyClient = Object.values(CLIENT_PRINCIPALS);
const runTopics = topicNamesWithSuffix('-demo-run1');

describe('Kafka principals', () => {
  it('only the brokers are super users; no client principal is', () => {
    assert.deepEqual(SUPER_USERS, [`User:${BROKER_PRINCIPAL}`]);
    for (const client of everyClient) assert.ok(!SUPER_USERS.includes(`User:${client}`), client);
    assert.equal(aclsOf(BROKER_PRINCIPAL).length, 0, 'the brokers need no ACLs: they are super users');
  });

  it('every client role has its own principal and its own ACLs', () => {
    assert.equal(new Set(everyClient).size, CLIENT_ROLES.length);
    for (const client of everyClient) assert.ok(aclsOf(client).length > 0, `${client} has no ACLs`);
    assert.ok(KAFKA_ACLS.every((entry) => everyClient.some((client) => entry.principal === `User:${client}`)));
  });
});

describe('Kafka ACL table', () => {
  it('the predictor reads the input in its group and writes the output and dead letters, also on run-specific names', () => {
    for (const topics of [TOPIC_NAMES, runTopics]) {
      assert.ok(isAllowed(predictor, 'READ', 'TOPIC', topics.input));
      assert.ok(isAllowed(predictor, 'WRITE', 'TOPIC', topics.output));
      assert.ok(isAllowed(predictor, 'WRITE', 'TOPIC', topics.deadLetter));
    }
    assert.ok(isAllowed(predictor, 'READ', 'GROUP', PREDICTOR_GROUP_ID));
    assert.ok(isAllowed(predictor, 'READ', 'GROUP', `${PREDICTOR_GROUP_ID}-demo-run1`));
    assert.ok(isAllowed(predictor, 'DESCRIBE', 'TOPIC', TOPIC_NAMES.input), 'READ implies DESCRIBE (lag check)');
  });

  it('the predictor may use transactional ids under its group id (exactly-once) and nothing else', () => {
    assert.ok(isAllowed(predictor, 'WRITE', 'TRANSACTIONAL_ID', `${PREDICTOR_GROUP_ID}-${TOPIC_NAMES.input}-3`));
    assert.ok(!isAllowed(predictor, 'WRITE', 'TRANSACTIONAL_ID', 'someone-else-0'));
    assert.ok(isAllowed(predictor, 'IDEMPOTENT_WRITE', 'CLUSTER', 'kafka-cluster'));
  });

  it('the predictor cannot write its input, read its output or join another group', () => {
    assert.ok(!isAllowed(predictor, 'WRITE', 'TOPIC', TOPIC_NAMES.input));
    assert.ok(!isAllowed(predictor, 'READ', 'TOPIC', TOPIC_NAMES.output));
    assert.ok(!isAllowed(predictor, 'READ', 'GROUP', DEMO_COLLECTOR_GROUP_PREFIX));
    assert.ok(!isAllowed(predictor, 'READ', 'TOPIC', 'SomeOtherTopic'));
  });

  it('nobody but the provisioner may create, alter or reconfigure topics', () => {
    for (const operation of ['CREATE', 'ALTER', 'ALTER_CONFIGS'] as const) {
      assert.ok(isAllowed(topicsProvisioner, operation, 'TOPIC', 'AnyTopic'));
      for (const client of everyClient.filter((c) => c !== topicsProvisioner)) {
        for (const role of TOPIC_ROLES) assert.ok(!isAllowed(client, operation, 'TOPIC', TOPIC_NAMES[role]), `${client} ${operation}`);
      }
    }
    assert.ok(isAllowed(topicsProvisioner, 'DESCRIBE_CONFIGS', 'TOPIC', TOPIC_NAMES.output));
    assert.ok(isAllowed(topicsProvisioner, 'DESCRIBE', 'CLUSTER', 'kafka-cluster'));
  });

  it('the provisioner never reads or writes records', () => {
    for (const role of TOPIC_ROLES) {
      assert.ok(!isAllowed(topicsProvisioner, 'READ', 'TOPIC', TOPIC_NAMES[role]));
      assert.ok(!isAllowed(topicsProvisioner, 'WRITE', 'TOPIC', TOPIC_NAMES[role]));
    }
  });

  it('the replay only writes the input; the collector only reads outputs in its own groups', () => {
    assert.ok(isAllowed(demoReplay, 'WRITE', 'TOPIC', runTopics.input));
    assert.ok(!isAllowed(demoReplay, 'WRITE', 'TOPIC', TOPIC_NAMES.output));
    assert.ok(!isAllowed(demoReplay, 'READ', 'TOPIC', TOPIC_NAMES.input));

    assert.ok(isAllowed(demoCollector, 'READ', 'TOPIC', runTopics.output));
    assert.ok(isAllowed(demoCollector, 'READ', 'TOPIC', runTopics.deadLetter));
    assert.ok(isAllowed(demoCollector, 'READ', 'GROUP', `${DEMO_COLLECTOR_GROUP_PREFIX}-run1`));
    assert.ok(!isAllowed(demoCollector, 'READ', 'GROUP', PREDICTOR_GROUP_ID), 'the collector cannot join the predictor group');
    assert.ok(!isAllowed(demoCollector, 'WRITE', 'TOPIC', TOPIC_NAMES.input));
    assert.ok(!isAllowed(demoCollector, 'READ', 'TOPIC', TOPIC_NAMES.input));
  });

  it('no role topic name is a prefix of another (a PREFIXED ACL never reaches another role)', () => {
    for (const a of TOPIC_ROLES) {
      for (const b of TOPIC_ROLES) if (a !== b) assert.ok(!TOPIC_NAMES[b].startsWith(TOPIC_NAMES[a]), `${a} / ${b}`);
    }
  });
});

describe('the access Job grants exactly the ACL table', () => {
  it('AclCommand invocations, expanded the way AclCommand applies them, give back every entry and nothing more', async () => {
    const { aclCommandArguments } = await import('../../constructs/kafka/kafka-access');
    const option: Record<string, string> = { '--topic': 'TOPIC', '--group': 'GROUP', '--transactional-id': 'TRANSACTIONAL_ID' };
    const granted = new Set<string>();
    for (const args of aclCommandArguments(KAFKA_ACLS)) {
      const principal = args[args.indexOf('--allow-principal') + 1];
      const pattern = args[args.indexOf('--resource-pattern-type') + 1].toUpperCase();
      const operations = args.flatMap((arg, i) => (arg === '--operation' ? [args[i + 1].replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase()] : []));
      const resources = args.flatMap((arg, i) => (arg === '--cluster' ? [['CLUSTER', 'kafka-cluster']] : option[arg] ? [[option[arg], args[i + 1]]] : []));
      // AclCommand grants every operation on every resource of one invocation.
      for (const operation of operations) for (const [type, name] of resources) granted.add(`${principal} ${type} ${pattern} ${name} ${operation}`);
    }
    const table = new Set(KAFKA_ACLS.map((e) => `${e.principal} ${e.resourceType} ${e.patternType} ${e.name} ${e.operation}`));
    assert.deepEqual([...granted].sort(), [...table].sort());
    assert.ok(aclCommandArguments(KAFKA_ACLS).length < KAFKA_ACLS.length, 'entries share invocations (one JVM each)');
  });
});
