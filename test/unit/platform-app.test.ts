// Runs the real app entry (main.ts) in child processes, as `cdktf synth` does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ENVIRONMENTS } from '../../config/environments';
import { TOPIC_NAMES } from '../../contracts/topics';
import { makeTempDir, providerBlocks, readSynthesizedStacks, runApp as runAppEntry } from '../harness/synth';


/** A deep copy of a shipped environment entry, to change in a test. */
function shippedEntry(name: string): Record<string, any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const entry = ENVIRONMENTS.find((candidate) => candidate.name === name);
  assert.ok(entry, `no shipped environment ${name}`);
  return structuredClone(entry) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

function runApp(env: Record<string, string>, outdir: string = makeTempDir('airline-synth')) {
  return runAppEntry(env, outdir);
}

/** Every file under `dir` with its content and mtime, to prove nothing was touched. */
function snapshot(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (current: string) => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const full = join(current, entry.name);
      if (entry.isDirectory()) walk(full);
      else files[full.slice(dir.length)] = `${statSync(full).mtimeMs}:${readFileSync(full, 'utf8')}`;
    }
  };
  walk(dir);
  return files;
}

function previousOutput(): string {
  const outdir = makeTempDir('airline-out');
  mkdirSync(join(outdir, 'stacks', 'platform-dev'), { recursive: true });
  writeFileSync(join(outdir, 'stacks', 'platform-dev', 'cdk.tf.json'), '{"previous":true}');
  writeFileSync(join(outdir, 'manifest.json'), '{"previous":true}');
  return outdir;
}

test('a bad config fails synth with every message and leaves the output directory untouched', () => {
  const configFile = join(makeTempDir('airline-config'), 'environments.json');
  const prod = shippedEntry('prod');
  prod.aws.adminCidrs = ['0.0.0.0/0'];
  const dev = shippedEntry('dev');
  dev.aws.availabilityZoneCount = 1;
  // BootstrapVip refuses an open source range while the stack is built; validation names it before that.
  const staging = shippedEntry('staging');
  staging.aws.adminCidrs = ['0.0.0.0/0'];
  staging.aws.allowOpenAdminAccess = true;
  staging.streaming = { kafka: { externalAccess: true } };
  writeFileSync(configFile, JSON.stringify([dev, staging, prod, shippedEntry('local')]));
  const outdir = previousOutput();
  const before = snapshot(outdir);

  const run = runApp({ AIRLINE_CONFIG: configFile }, outdir);
  assert.equal(run.status, 1, run.stderr);
  assert.match(run.stderr, /config error in environment "prod", field aws\.adminCidrs: 0\.0\.0\.0\/0 is refused in a production environment\. Fix: list your office\/VPN CIDRs\./);
  assert.match(run.stderr, /config error in environment "dev", field aws\.availabilityZoneCount: 1 is out of range/);
  assert.match(run.stderr, /config error in environment "staging", field streaming\.kafka\.externalAccess: would open the Kafka load balancers to the internet: .*\. Fix: list your office\/VPN CIDRs in aws\.adminCidrs, or leave externalAccess off\./);
  assert.deepEqual(snapshot(outdir), before);
});

test('two environments with one name fail synth naming the name and both entries, and write nothing', () => {
  const configFile = join(makeTempDir('airline-config'), 'environments.json');
  const staging = shippedEntry('staging');
  staging.name = 'dev';
  writeFileSync(configFile, JSON.stringify([shippedEntry('dev'), shippedEntry('local'), staging]));
  const outdir = previousOutput();
  const before = snapshot(outdir);

  const run = runApp({ AIRLINE_CONFIG: configFile }, outdir);
  assert.equal(run.status, 1, run.stderr);
  assert.match(run.stderr, /config error in environment "dev", field name: is used twice in the environments list \(environments\[0\] and environments\[2\]\).*\. Fix: give every environment its own name/);
  assert.deepEqual(snapshot(outdir), before);
});

test('a production environment that breaks the production rules fails synth with every message and writes nothing', () => {
  const configFile = join(makeTempDir('airline-config'), 'environments.json');
  const prod = shippedEntry('prod');
  prod.aws.adminCidrs = ['203.0.113.0/24', '100.64.0.0/10'];
  prod.aws.privateAgents.instanceType = 'm6i.9000xlarge';
  prod.streaming.zookeeper = { ...prod.streaming.zookeeper, replicas: 1 };
  prod.streaming.prediction = { image: 'node:20.19-alpine' };
  prod.streaming.topics = Object.values(TOPIC_NAMES).map((name) => ({ name, partitions: 10, replicationFactor: 3, config: { 'min.insync.replicas': name === TOPIC_NAMES.output ? '1' : '2' } }));
  writeFileSync(configFile, JSON.stringify([shippedEntry('dev'), prod, shippedEntry('local')]));
  const outdir = previousOutput();
  const before = snapshot(outdir);

  const run = runApp({ AIRLINE_CONFIG: configFile }, outdir);
  assert.equal(run.status, 1, run.stderr);
  const expected: RegExp[] = [
    /config error in environment "prod", field aws\.adminCidrs\[1\]: 100\.64\.0\.0\/10 .* is wider than \/16.*\. Fix: narrow it to \/16 or smaller, or write it as \{ cidr: "100\.64\.0\.0\/10", reason: /,
    /config error in environment "prod", field aws\.privateAgents\.instanceType: "m6i\.9000xlarge" is not an EC2 instance type: m6i has no size "9000xlarge"\. Fix: use a size m6i comes in: m6i\.large, /,
    /config error in environment "prod", field streaming\.zookeeper\.replicas: 1 server\(s\) lose the quorum when one fails; .*\. Fix: use 3, 5 or 7\./,
    /config error in environment "prod", field streaming\.prediction\.image: "node:20\.19-alpine" is not pinned by digest: .*\. Fix: set streaming\.prediction\.image to node:20\.19-alpine@sha256:<digest> \(README, "Pinning images by digest"\), or to \{ reference: "node:20\.19-alpine", reason: /,
    /config error in environment "prod", field streaming\.topics\[1\]\.config\.min\.insync\.replicas: "1" acknowledges a write held by a single broker; .*\. Fix: set "min\.insync\.replicas": "2"/,
  ];
  for (const message of expected) assert.match(run.stderr, message);
  assert.equal(run.stderr.trim().split('\n').length, expected.length, run.stderr);
  assert.deepEqual(snapshot(outdir), before);
});

test('a bad emulator setting fails synth and writes nothing', () => {
  const outdir = previousOutput();
  const before = snapshot(outdir);
  const run = runApp({ AWS_EMULATOR_ENDPOINT: 'http://127.0.0.1:5000', AWS_EMULATOR_DISABLE: 'eks-addons,lambda' }, outdir);
  assert.equal(run.status, 1);
  assert.match(run.stderr, /field AWS_EMULATOR_DISABLE: unknown part\(s\) lambda\. Fix: use a comma-separated list of: eks-addons,/);
  assert.deepEqual(snapshot(outdir), before);
});

test('synth writes a platform stack for every aws environment and none for local', () => {
  const run = runApp({});
  assert.equal(run.status, 0, run.stderr);
  const stacks = readSynthesizedStacks(run.outdir);
  const platformStacks = Object.keys(stacks).filter((name) => name.startsWith('platform-')).sort();
  const awsNames = ENVIRONMENTS.filter((entry) => entry.target === 'aws').map((entry) => `platform-${entry.name}`).sort();
  assert.deepEqual(platformStacks, awsNames);
  for (const name of platformStacks) assert.ok(stacks[name].terraform.backend.s3, `${name} keeps state in S3 by default`);
});

test('AIRLINE_STATE=local and the emulator endpoint reach the stacks through main.ts', () => {
  const local = readSynthesizedStacks(runApp({ AIRLINE_STATE: 'local', AIRLINE_ENVIRONMENTS: 'dev' }).outdir);
  assert.deepEqual(Object.keys(local).filter((name) => name.startsWith('platform-')), ['platform-dev']);
  assert.ok(local['platform-dev'].terraform.backend.local);

  const emulated = readSynthesizedStacks(runApp({ AWS_EMULATOR_ENDPOINT: 'http://127.0.0.1:5000', AIRLINE_ENVIRONMENTS: 'staging' }).outdir);
  const provider = providerBlocks(emulated['platform-staging'], 'aws')[0];
  assert.equal(provider.endpoints[0].eks, 'http://127.0.0.1:5000');
  assert.ok(emulated['platform-staging'].terraform.backend.local);
});
