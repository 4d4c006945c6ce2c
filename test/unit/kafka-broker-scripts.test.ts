// Runs the broker's start and readiness scripts with bash against a stand-in Kafka installation, and the rack
// lookup program against a loopback Kubernetes API stand-in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { BROKER_READY_SCRIPT, START_BROKER_SCRIPT } from '../../constructs/kafka/kafka-cluster';
import { parseNodeZoneEnv, rackFromLabels, writeNodeRack } from '../../constructs/kafka/runtime/node-zone';
import { bundleNodeEntry } from '../../constructs/k8s/node-app-bundle';
import { makeTempDir } from '../harness/synth';

/**
 * A stand-in `java` on PATH: for kafka.Kafka it prints the broker config it was given (the last argument), for
 * BrokerApiVersionsCommand the given metadata and exit code; it fails on any other class or a classpath outside
 * $KAFKA_HOME/libs.
 */
function fakeJavaPath(apiVersionsOutput: string, apiVersionsExit = 0): string {
  const bin = makeTempDir('fake-java');
  writeFileSync(
    join(bin, 'java'),
    `#!/bin/bash
cp=""; main=""; args=()
while [ $# -gt 0 ]; do
  case "$1" in
    -cp) cp="$2"; shift 2 ;;
    -*) shift ;;
    *) if [ -z "$main" ]; then main="$1"; else args+=("$1"); fi; shift ;;
  esac
done
[ "$cp" = "$KAFKA_HOME/libs/*" ] || { echo "classpath $cp" >&2; exit 90; }
case "$main" in
  kafka.Kafka) cat "\${args[-1]}" ;;
  kafka.admin.BrokerApiVersionsCommand) cat <<'OUT'
${apiVersionsOutput}
OUT
    exit ${apiVersionsExit} ;;
  *) echo "unexpected main class $main" >&2; exit 91 ;;
esac
`,
  );
  chmodSync(join(bin, 'java'), 0o755);
  chmodSync(bin, 0o755); // also for the unprivileged user of the restart test
  return `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`;
}

function runStart(env: Record<string, string>): { status: number | null; config: Map<string, string>; stderr: string } {
  const dir = makeTempDir('broker-start');
  const script = join(dir, 'start-broker.sh');
  writeFileSync(script, START_BROKER_SCRIPT);
  writeFileSync(join(dir, 'base.properties'), 'zookeeper.connect=zk:2181\n');
  mkdirSync(join(dir, 'run'));
  const result = spawnSync('bash', [script], {
    env: {
      PATH: fakeJavaPath(''),
      BASE_CONFIG: join(dir, 'base.properties'),
      LOG4J_CONFIG: join(dir, 'log4j.properties'),
      KAFKA_HEAP_OPTS: '-Xmx512m -Xms512m',
      RUN_DIR: join(dir, 'run'),
      LOG_DIRS: join(dir, 'data', 'logs'),
      HEADLESS_DOMAIN: 'kafka-headless.kafka.svc.cluster.local',
      INTERNAL_PORT: '9092',
      FALLBACK_RACK: 'no-zone',
      RACK_FILE: join(dir, 'rack'),
      KAFKA_HOME: '/opt/kafka',
      ...env,
    },
    encoding: 'utf8',
  });
  const config = new Map(
    result.stdout
      .split('\n')
      .filter((line) => line.includes('='))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)] as [string, string]),
  );
  return { status: result.status, config, stderr: result.stderr };
}

test('start script: broker id from the pod ordinal, rack from the file, advertised stable DNS name', () => {
  const dir = makeTempDir('rack');
  writeFileSync(join(dir, 'rack'), '  us-east-1b \n');
  const { status, config, stderr } = runStart({ HOSTNAME: 'kafka-12', RACK_FILE: join(dir, 'rack') });
  assert.equal(status, 0, stderr);
  assert.equal(config.get('zookeeper.connect'), 'zk:2181');
  assert.equal(config.get('broker.id'), '12');
  assert.equal(config.get('broker.rack'), 'us-east-1b');
  assert.equal(config.get('advertised.listeners'), 'INTERNAL://kafka-12.kafka-headless.kafka.svc.cluster.local:9092');
});

test('start script: no rack file -> fallback rack; external template -> EXTERNAL advertised per broker id', () => {
  const { status, config, stderr } = runStart({
    HOSTNAME: 'kafka-2',
    EXTERNAL_HOST_TEMPLATE: 'broker-{id}.kafka.dev.internal',
    EXTERNAL_PORT: '9094',
  });
  assert.equal(status, 0, stderr);
  assert.equal(config.get('broker.rack'), 'no-zone');
  assert.equal(
    config.get('advertised.listeners'),
    'INTERNAL://kafka-2.kafka-headless.kafka.svc.cluster.local:9092,EXTERNAL://broker-2.kafka.dev.internal:9094',
  );
});

test('start script: NodePort listener -> EXTERNAL advertised as the node address and the first port plus the id', () => {
  const { status, config, stderr } = runStart({
    HOSTNAME: 'kafka-2',
    EXTERNAL_HOST_TEMPLATE: '10.213.0.12',
    EXTERNAL_PORT: '9094',
    EXTERNAL_FIRST_ADVERTISED_PORT: '31091',
  });
  assert.equal(status, 0, stderr);
  assert.equal(
    config.get('advertised.listeners'),
    'INTERNAL://kafka-2.kafka-headless.kafka.svc.cluster.local:9092,EXTERNAL://10.213.0.12:31093',
  );
});

function runReady(hostname: string, output: string, toolExit = 0): { status: number | null; stderr: string } {
  const dir = makeTempDir('broker-ready');
  const script = join(dir, 'broker-ready.sh');
  writeFileSync(script, BROKER_READY_SCRIPT);
  const result = spawnSync('bash', [script], {
    env: { PATH: fakeJavaPath(output, toolExit), HOSTNAME: hostname, INTERNAL_PORT: '9092', KAFKA_HOME: '/opt/kafka' },
    encoding: 'utf8',
  });
  return { status: result.status, stderr: result.stderr };
}

test('readiness script: ready only when the broker\'s own id is in the metadata it serves', () => {
  const metadata = [
    'kafka-0.kafka-headless:9092 (id: 0 rack: us-east-1a) -> (Produce(0): 0 to 11 [usable: 11])',
    'kafka-1.kafka-headless:9092 (id: 1 rack: us-east-1b) -> (Produce(0): 0 to 11 [usable: 11])',
  ].join('\n');
  assert.equal(runReady('kafka-1', metadata).status, 0);
  assert.notEqual(runReady('kafka-2', metadata).status, 0);
  // id 1 must not match id 11.
  assert.notEqual(runReady('kafka-1', 'x:9092 (id: 11 rack: a) -> ()').status, 0);
  assert.notEqual(runReady('kafka-0', '').status, 0);
  // Another broker unreachable makes the tool fail; this broker is still ready.
  assert.equal(runReady('kafka-1', metadata, 1).status, 0);
  assert.notEqual(runReady('kafka-2', metadata, 1).status, 0);
});

test('rack from node labels: the zone label when valid, else the fallback', () => {
  const label = 'topology.kubernetes.io/zone';
  assert.equal(rackFromLabels({ [label]: 'eu-west-1c' }, label, 'no-zone'), 'eu-west-1c');
  assert.equal(rackFromLabels({}, label, 'no-zone'), 'no-zone');
  assert.equal(rackFromLabels({ [label]: '  ' }, label, 'no-zone'), 'no-zone');
  assert.equal(rackFromLabels({ [label]: 'bad zone;rm' }, label, 'no-zone'), 'no-zone');
});

test('node-zone environment: missing NODE_NAME is a clear error', () => {
  assert.throws(() => parseNodeZoneEnv({ RACK_FILE: '/tmp/x' }), /NODE_NAME/);
});

interface FakeApi {
  server: Server;
  url: string;
  requests: Array<{ path: string; authorization?: string }>;
}

async function fakeKubernetesApi(nodes: Record<string, Record<string, string>>): Promise<FakeApi> {
  const requests: FakeApi['requests'] = [];
  const server = createServer((request: IncomingMessage, response) => {
    requests.push({ path: request.url ?? '', authorization: request.headers.authorization });
    const name = decodeURIComponent((request.url ?? '').replace('/api/v1/nodes/', ''));
    if (request.headers.authorization !== 'Bearer test-token') {
      response.writeHead(401).end('{"message":"unauthorized"}');
    } else if (!(name in nodes)) {
      response.writeHead(404).end('{"message":"not found"}');
    } else {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ kind: 'Node', metadata: { name, labels: nodes[name] } }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

function serviceAccountDir(): string {
  const dir = makeTempDir('sa');
  writeFileSync(join(dir, 'token'), 'test-token\n');
  return dir;
}

test('node-zone: asks the API for its node with the service-account token and writes the zone', async (t) => {
  const api = await fakeKubernetesApi({ 'ip-10-0-1-5': { 'topology.kubernetes.io/zone': 'us-east-1c' } });
  t.after(() => api.server.close());
  const rackFile = join(makeTempDir('rack'), 'rack');
  const env = parseNodeZoneEnv({
    NODE_NAME: 'ip-10-0-1-5',
    RACK_FILE: rackFile,
    KUBERNETES_API_URL: api.url,
    SERVICE_ACCOUNT_DIR: serviceAccountDir(),
  });
  assert.equal(await writeNodeRack(env), 'us-east-1c');
  assert.equal(readFileSync(rackFile, 'utf8'), 'us-east-1c\n');
  assert.deepEqual(api.requests, [{ path: '/api/v1/nodes/ip-10-0-1-5', authorization: 'Bearer test-token' }]);
});

test('node-zone: an API error fails the lookup and writes nothing', async (t) => {
  const api = await fakeKubernetesApi({});
  t.after(() => api.server.close());
  const rackFile = join(makeTempDir('rack'), 'rack');
  const env = parseNodeZoneEnv({ NODE_NAME: 'missing', RACK_FILE: rackFile, KUBERNETES_API_URL: api.url, SERVICE_ACCOUNT_DIR: serviceAccountDir() });
  await assert.rejects(writeNodeRack(env), /returned 404/);
  assert.throws(() => readFileSync(rackFile), /ENOENT/);
});

test('node-zone bundle (what the init container runs) works as a standalone file', async (t) => {
  const api = await fakeKubernetesApi({ 'node-a': { 'topology.kubernetes.io/zone': 'zone-b' } });
  t.after(() => api.server.close());
  const dir = makeTempDir('bundle-run');
  const script = join(dir, 'node-zone.js');
  writeFileSync(script, bundleNodeEntry('constructs/kafka/runtime/node-zone.ts').code);
  const rackFile = join(dir, 'rack');
  const env = { PATH: process.env.PATH ?? '', NODE_NAME: 'node-a', RACK_FILE: rackFile, KUBERNETES_API_URL: api.url, SERVICE_ACCOUNT_DIR: serviceAccountDir() };
  // Async spawn: the fake API lives in this process's event loop.
  const child = spawn(process.execPath, [script], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.equal(code, 0, stderr);
  assert.equal(readFileSync(rackFile, 'utf8'), 'zone-b\n');
  assert.match(stderr, /"rack":"zone-b"/);
  // Bad configuration: exit code 2, no file.
  const bad = spawnSync(process.execPath, [script], { cwd: dir, env: { PATH: env.PATH, RACK_FILE: join(dir, 'other') }, encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /NODE_NAME/);
});

test('start script: a restarted container replaces the read-only config copy the previous start left', () => {
  const dir = makeTempDir('broker-restart');
  const script = join(dir, 'start-broker.sh');
  writeFileSync(script, START_BROKER_SCRIPT);
  writeFileSync(join(dir, 'base.properties'), 'zookeeper.connect=zk:2181\n');
  chmodSync(join(dir, 'base.properties'), 0o555); // ConfigMap files are mounted read-only (defaultMode 0555)
  mkdirSync(join(dir, 'run'));
  const env = {
    PATH: fakeJavaPath(''),
    BASE_CONFIG: join(dir, 'base.properties'),
    LOG4J_CONFIG: join(dir, 'log4j.properties'),
    KAFKA_HEAP_OPTS: '-Xmx512m',
    RUN_DIR: join(dir, 'run'),
    LOG_DIRS: join(dir, 'data', 'logs'),
    HEADLESS_DOMAIN: 'kafka-headless.kafka.svc.cluster.local',
    INTERNAL_PORT: '9092',
    FALLBACK_RACK: 'no-zone',
    RACK_FILE: join(dir, 'rack'),
    KAFKA_HOME: '/opt/kafka',
    HOSTNAME: 'kafka-1',
  };
  // As the broker's unprivileged user: root would overwrite a read-only file and hide the failure.
  chmodSync(dir, 0o777);
  chmodSync(join(dir, 'run'), 0o777);
  chmodSync(script, 0o755);
  const asUser = (): ReturnType<typeof spawnSync> =>
    process.getuid?.() === 0
      ? spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'bash', script], { env, encoding: 'utf8' })
      : spawnSync('bash', [script], { env, encoding: 'utf8' });
  const first = asUser();
  assert.equal(first.status, 0, String(first.stderr));
  const second = asUser();
  assert.equal(second.status, 0, String(second.stderr));
  assert.match(String(second.stdout), /^broker\.id=1$/m);
});
