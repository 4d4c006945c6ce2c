// streaming-prod's Kubernetes objects on the local cluster (npm run rehearse:k8s -- prod): applied through the
// local cluster override with moto for its AWS parts, placed one ZooKeeper server and one broker per node across
// the zones, a fourth broker left Pending, destroyed without leftovers. Needs the aws provider, whose cold build
// (36 min) CI runs only when it is cached: without it the test is reported as skipped, with the reason.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from '../harness/synth';

const toolchain = spawnSync('bash', [join(REPO_ROOT, 'tools/terraform/build.sh'), '--check'], { encoding: 'utf8' });
const notBuilt = toolchain.status === 0 ? undefined : `${toolchain.stdout.trim()} (tools/terraform/build.sh builds it)`;

test('streaming-prod applied to the local cluster: accepted, placed per zone, a 4th broker Pending, no leftovers', { skip: notBuilt }, () => {
  const run = spawnSync('bash', [join(REPO_ROOT, 'tools/terraform/rehearse-on-cluster.sh'), 'prod'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  process.stderr.write(run.stdout);
  if (run.status !== 0) process.stderr.write(run.stderr.slice(-8000));
  const lines = run.stdout.split('\n');
  const passed = (pattern: RegExp) => lines.some((line) => line.startsWith('PASS ') && pattern.test(line));
  for (const [what, pattern] of [
    ['every resource accepted', /^PASS apply: (\d+) of \1 resources/],
    ['second plan without changes', /second plan: no changes/],
    ['ZooKeeper one per node and zone', /zookeeper: 3 pods Ready on 3 nodes in 3 zones/],
    ['brokers one per node and zone', /kafka: 3 pods Ready on 3 nodes in 3 zones/],
    ['a fourth broker Pending', /fourth broker .* stays Pending: .*anti-affinity/],
    ['destroy', /PASS destroy$/],
    ['nothing left in the cluster', /nothing of the project left in the cluster/],
    ['nothing left in moto', /no Route 53 zone left in moto/],
  ] as const) {
    assert.ok(passed(pattern), `${what}: no PASS line matching ${pattern}`);
  }
  for (const gap of ['EKS authentication', 'EBS gp3', 'NLBs', 'Route 53']) {
    assert.ok(lines.some((line) => line.startsWith('substituted ') && line.includes(gap)), `the rehearsal does not name ${gap}`);
  }
  assert.equal(run.status, 0, 'rehearsal exit status');
});
