// tools/terraform/teardown.sh and production data: a production environment keeps its Kafka and ZooKeeper volumes,
// so its teardown refuses to start unless --delete-retained-volumes is given, and then deletes them by name.
// Runs the real script against a kubectl stand-in (a shell script that logs its arguments and answers the queries
// teardown makes) and an empty synth directory, for environments of target local (no AWS, no OpenTofu run).
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeTempDir, REPO_ROOT } from '../harness/synth';

/** Three PersistentVolumes of namespace kafka: two retained (production), one deleted with its claim. */
const FAKE_KUBECTL = `#!/usr/bin/env bash
echo "$*" >> "$KUBECTL_LOG"
case "$*" in
  *"get namespace"*) exit 1 ;;
  *persistentVolumeReclaimPolicy*) printf 'pv-kafka-0 Retain data-kafka-0 vol-0aa\\npv-zookeeper-0 Retain data-zookeeper-0 vol-0bb\\npv-scratch Delete scratch vol-0cc\\n' ;;
  *) ;;
esac
`;

function environment(name: string, production: boolean) {
  const reason = 'test environment, never deployed';
  return {
    name, production, target: 'local', local: { kubeconfigContext: `kind-${name}` }, tags: { owner: 'team-a', 'expires-at': '2027-01-31' },
    streaming: { nodeRuntimeImage: { reference: 'node:20.19-alpine', reason }, zookeeper: { image: { reference: 'zookeeper:3.8.4', reason } }, kafka: { image: { reference: 'apache/kafka:3.9.1', reason } } },
  };
}

interface TeardownRun {
  status: number | null;
  stderr: string;
  stdout: string;
  /** One line per kubectl call, its arguments. */
  kubectlCalls: string[];
}

function teardown(args: string[]): TeardownRun {
  const dir = makeTempDir('teardown');
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'kubectl'), FAKE_KUBECTL);
  chmodSync(join(bin, 'kubectl'), 0o755);
  const stacksDir = join(dir, 'stacks');
  mkdirSync(stacksDir);
  const config = join(dir, 'environments.json');
  writeFileSync(config, JSON.stringify([environment('live', true), environment('lab', false)]));
  const log = join(dir, 'kubectl.log');
  const base: Record<string, string | undefined> = { ...process.env };
  for (const key of Object.keys(base)) {
    if (key.startsWith('AIRLINE_') || key.startsWith('AWS_EMULATOR_') || key.startsWith('TF_')) delete base[key];
  }
  const result = spawnSync('bash', [join(REPO_ROOT, 'tools/terraform/teardown.sh'), ...args.map((arg) => (arg === 'STACKS' ? stacksDir : arg))], {
    cwd: REPO_ROOT,
    env: {
      ...base,
      PATH: `${bin}:${process.env.PATH}`,
      AIRLINE_CONFIG: config,
      AIRLINE_CACHE_DIR: join(dir, 'cache'),
      // No OpenTofu build: the synth directory is empty, so no stack is initialised.
      TF_TEARDOWN_USE_REGISTRY: '1',
      KUBECTL_LOG: log,
    },
    encoding: 'utf8',
    timeout: 60_000,
  });
  const kubectlCalls = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').filter((line) => line !== '') : [];
  return { status: result.status, stderr: result.stderr, stdout: result.stdout, kubectlCalls };
}

test('teardown usage names --delete-retained-volumes', () => {
  const run = teardown([]);
  assert.equal(run.status, 1);
  assert.match(run.stderr, /usage: teardown\.sh ENV \[--stacks-dir DIR\] \[--leftovers-only\] \[--delete-retained-volumes\] \[--yes\]/);
  assert.match(readFileSync(join(REPO_ROOT, 'tools/terraform/teardown.sh'), 'utf8'), /^# {3}--delete-retained-volumes {3}production: delete the Kafka and ZooKeeper data volumes/m);
});

test('production teardown without --delete-retained-volumes refuses before anything is touched', () => {
  const run = teardown(['live', '--stacks-dir', 'STACKS', '--yes']);
  assert.equal(run.status, 1, run.stderr);
  assert.match(run.stderr, /live is a production environment: its Kafka and ZooKeeper volumes are kept when its stacks are destroyed\. Back up what you need, then run again with --delete-retained-volumes .*\. Nothing changed/);
  assert.deepEqual(run.kubectlCalls, []);
  assert.doesNotMatch(run.stderr, /destroying|skipped/);
});

test('production teardown with --delete-retained-volumes says so, then deletes each retained volume by name', () => {
  const run = teardown(['live', '--stacks-dir', 'STACKS', '--delete-retained-volumes', '--yes']);
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stderr, /production environment live: its retained PersistentVolumeClaims and data volumes WILL BE DELETED \(--delete-retained-volumes\)/);
  assert.match(run.stderr, /DELETING retained volume: PersistentVolume pv-kafka-0 \(claim kafka\/data-kafka-0, volume vol-0aa\)/);
  assert.match(run.stderr, /DELETING retained volume: PersistentVolume pv-zookeeper-0 \(claim kafka\/data-zookeeper-0, volume vol-0bb\)/);
  assert.match(run.stderr, /production: 2 retained volume\(s\) of namespace kafka set to be deleted with their claims/);
  const patches = run.kubectlCalls.filter((call) => call.includes(' patch pv '));
  assert.deepEqual(patches.map((call) => call.replace(/^.* patch pv /, '')), [
    'pv-kafka-0 --type merge -p {"spec":{"persistentVolumeReclaimPolicy":"Delete"}}',
    'pv-zookeeper-0 --type merge -p {"spec":{"persistentVolumeReclaimPolicy":"Delete"}}',
  ]);
  assert.ok(patches.every((call) => call.startsWith('--context kind-live ')), patches.join('\n'));
});

test('non-production teardown needs no flag and switches no volume', () => {
  const run = teardown(['lab', '--stacks-dir', 'STACKS', '--yes']);
  assert.equal(run.status, 0, run.stderr);
  assert.ok(!run.kubectlCalls.some((call) => call.includes('patch')), run.kubectlCalls.join('\n'));
  assert.doesNotMatch(run.stderr, /DELETING retained volume/);
});

test('the leftover scan marks a volume made for a PersistentVolumeClaim as data of that claim', (t) => {
  if (spawnSync('python3', ['-c', 'import boto3'], { encoding: 'utf8' }).status !== 0) {
    t.skip('boto3 is not installed for python3 here (the scan itself runs in its own venv)');
    return;
  }
  const script = [
    'import sys',
    `sys.path.insert(0, ${JSON.stringify(join(REPO_ROOT, 'tools/terraform'))})`,
    'from find_leftovers import data_volume_note',
    'print(repr(data_volume_note({"kubernetes.io/created-for/pvc/name": "data-kafka-0", "kubernetes.io/created-for/pvc/namespace": "kafka"})))',
    'print(repr(data_volume_note({"project": "airline-streaming"})))',
  ].join('\n');
  const result = spawnSync('python3', ['-c', script], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  assert.deepEqual(result.stdout.trim().split('\n'), ["', data of claim kafka/data-kafka-0'", "''"]);
});
