// The EC2 instance type list (contracts/ec2-instance-types.generated.ts, from the EC2 API model) and its use.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadEnvironments } from '../../config';
import { DEFAULTS } from '../../config/schema';
import { EC2_INSTANCE_SIZES, EC2_INSTANCE_TYPES_SOURCE, EXAMPLE_INSTANCE_TYPES, instanceTypeProblem, isEc2InstanceType } from '../../contracts/ec2-instance-types';

test('the list names its source: the EC2 API model of a pinned botocore', () => {
  assert.match(EC2_INSTANCE_TYPES_SOURCE, /^botocore \d+\.\d+\.\d+, EC2 API \d{4}-\d{2}-\d{2}, InstanceType enum$/);
});

test('the list holds the general purpose, compute, memory and burstable families current in 2026', () => {
  const expected: Record<string, string[]> = {
    m7i: ['large', 'xlarge', '2xlarge', '48xlarge', 'metal-24xl', 'metal-48xl'],
    m7a: ['medium', 'xlarge', '48xlarge'],
    m7g: ['medium', 'xlarge', 'metal'],
    m8g: ['medium', 'xlarge', '48xlarge'],
    m6i: ['large', 'xlarge', '2xlarge', '32xlarge', 'metal'],
    c7i: ['large', 'xlarge', '48xlarge'],
    c7g: ['medium', 'xlarge', '16xlarge'],
    c8g: ['medium', 'xlarge', '48xlarge'],
    r7i: ['large', 'xlarge', '48xlarge'],
    r7g: ['medium', 'xlarge', '16xlarge'],
    r8g: ['medium', 'xlarge', '48xlarge'],
    t3: ['nano', 'micro', 'small', 'medium', 'large', 'xlarge', '2xlarge'],
    t3a: ['nano', 'large', '2xlarge'],
    t4g: ['nano', 'large', '2xlarge'],
  };
  for (const [family, sizes] of Object.entries(expected)) {
    for (const size of sizes) assert.ok(isEc2InstanceType(`${family}.${size}`), `${family}.${size}`);
  }
});

test('sizes are listed smallest first and every name is <family>.<size> in lowercase', () => {
  assert.deepEqual(EC2_INSTANCE_SIZES.t3, ['nano', 'micro', 'small', 'medium', 'large', 'xlarge', '2xlarge']);
  assert.deepEqual(EC2_INSTANCE_SIZES.m6i, ['large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge', '24xlarge', '32xlarge', 'metal']);
  for (const [family, sizes] of Object.entries(EC2_INSTANCE_SIZES)) {
    assert.match(family, /^[a-z][a-z0-9-]*$/);
    for (const size of sizes) assert.match(size, /^[a-z0-9-]+$/, `${family}.${size}`);
  }
});

test('sizes and families EC2 does not offer are refused with real ones suggested', () => {
  assert.deepEqual(instanceTypeProblem('m6i.9000xlarge'), {
    problem: '"m6i.9000xlarge" is not an EC2 instance type: m6i has no size "9000xlarge"',
    fix: 'use a size m6i comes in: m6i.large, m6i.xlarge, m6i.2xlarge, m6i.4xlarge, m6i.8xlarge, m6i.12xlarge, m6i.16xlarge, m6i.24xlarge, m6i.32xlarge, m6i.metal',
  });
  assert.match(instanceTypeProblem('t3.huge')!.fix, /^use a size t3 comes in: t3\.nano, /);
  assert.match(instanceTypeProblem('c7.xlarge')!.fix, /^use a real type such as c7a\.xlarge, c7g\.xlarge, c7i\.xlarge/);
  assert.deepEqual(instanceTypeProblem('M6i.xlarge'), { problem: '"M6i.xlarge" is not an EC2 instance type: the names are lowercase', fix: 'write m6i.xlarge' });
  assert.equal(instanceTypeProblem('m6i.xlarge'), undefined);
});

test('every suggested and default type is on the list', () => {
  for (const name of EXAMPLE_INSTANCE_TYPES) assert.ok(isEc2InstanceType(name), name);
  assert.ok(isEc2InstanceType(DEFAULTS.aws.privateAgents.instanceType));
  assert.ok(isEc2InstanceType(DEFAULTS.aws.publicAgents.instanceType));
  for (const environment of loadEnvironments({}).filter((candidate) => candidate.aws)) {
    assert.ok(isEc2InstanceType(environment.aws!.privateAgents.instanceType), environment.name);
    assert.ok(isEc2InstanceType(environment.aws!.publicAgents.instanceType), environment.name);
  }
});
