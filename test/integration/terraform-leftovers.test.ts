// The teardown's leftover scan against a real moto server on loopback: resources tagged for the environment (or for
// its cluster, as Kubernetes controllers tag them) are reported by id with exit 1; other environments' are not.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { REPO_ROOT } from '../harness/synth';

const TOOLS = join(REPO_ROOT, 'tools/terraform');
let moto: ChildProcess | undefined;
let endpoint = '';
let python = '';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function waitForMoto(url: string, deadlineMs: number): Promise<void> {
  const stopAt = Date.now() + deadlineMs;
  while (Date.now() < stopAt) {
    try {
      if ((await fetch(`${url}/moto-api/`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  throw new Error(`moto did not answer at ${url}`);
}

/** Runs boto3 code against moto; `ec2`, `logs` clients and `tags(dict)` are predefined. Returns stdout. */
function boto(code: string): string {
  const prelude = [
    'import boto3',
    `kw = dict(endpoint_url="${endpoint}", region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")`,
    'ec2 = boto3.client("ec2", **kw); logs = boto3.client("logs", **kw)',
    'def tags(t): return [{"ResourceType": "volume", "Tags": [{"Key": k, "Value": v} for k, v in t.items()]}]',
  ].join('\n');
  return execFileSync(python, ['-c', `${prelude}\n${code}`], { encoding: 'utf8' }).trim();
}

function leftoversOf(env: string) {
  return spawnSync('bash', [join(TOOLS, 'teardown.sh'), env, '--leftovers-only'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: { ...process.env, AWS_EMULATOR_ENDPOINT: endpoint },
  });
}

before(async () => {
  const bin = execFileSync('bash', ['-c', `source "${TOOLS}/lib.sh" && bash "${TOOLS}/venv.sh" moto "$MOTO_PIP_SPEC" "$BOTO3_PIP_SPEC"`], {
    encoding: 'utf8',
  }).trim();
  python = join(bin, 'python');
  const port = await freePort();
  endpoint = `http://127.0.0.1:${port}`;
  moto = spawn(join(bin, 'moto_server'), ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  await waitForMoto(endpoint, 30_000);
});

after(() => {
  moto?.kill('SIGTERM');
});

test('an empty account has no leftovers (exit 0)', () => {
  const result = leftoversOf('dev');
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /no leftovers for environment dev in us-east-1/);
});

test('volumes, log groups tagged or named for the environment are reported by id (exit 1); other environments are not', () => {
  const envVolume = boto('print(ec2.create_volume(AvailabilityZone="us-east-1a", Size=1, TagSpecifications=tags({"project": "airline-streaming", "environment": "dev"}))["VolumeId"])');
  const csiVolume = boto('print(ec2.create_volume(AvailabilityZone="us-east-1a", Size=1, TagSpecifications=tags({"kubernetes.io/cluster/airline-streaming-dev": "owned"}))["VolumeId"])');
  const prodVolume = boto('print(ec2.create_volume(AvailabilityZone="us-east-1a", Size=1, TagSpecifications=tags({"project": "airline-streaming", "environment": "prod"}))["VolumeId"])');
  boto('logs.create_log_group(logGroupName="/aws/eks/airline-streaming-dev/cluster")');

  const result = leftoversOf('dev');
  assert.equal(result.status, 1, result.stderr);
  assert.match(result.stdout, /LEFTOVERS for environment dev/);
  assert.ok(result.stdout.includes(envVolume), `environment-tagged volume ${envVolume} not reported:\n${result.stdout}`);
  assert.ok(result.stdout.includes(csiVolume), `cluster-tagged volume ${csiVolume} not reported:\n${result.stdout}`);
  assert.ok(result.stdout.includes('/aws/eks/airline-streaming-dev/cluster'), result.stdout);
  assert.ok(!result.stdout.includes(prodVolume), `prod volume ${prodVolume} reported for dev:\n${result.stdout}`);

  const prod = leftoversOf('prod');
  assert.equal(prod.status, 1);
  assert.ok(prod.stdout.includes(prodVolume) && !prod.stdout.includes(envVolume), prod.stdout);
});

test('an unknown environment is refused before anything is queried (exit 2)', () => {
  const result = leftoversOf('nope');
  assert.equal(result.status, 2);
  assert.match(result.stderr, /unknown environment "nope"/);
});
