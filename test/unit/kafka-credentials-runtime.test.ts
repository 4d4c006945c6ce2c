import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { test } from 'node:test';
import { BROKER_PRINCIPAL, KUBERNETES_SECRETS } from '../../contracts/kafka-security';
import { bundleNodeEntry } from '../../constructs/k8s/node-app-bundle';
import { brokerNames, parseBrokerCertificateEnv, writeBrokerStores } from '../../constructs/kafka/runtime/broker-certificate';
import { createCertificateAuthority, issueCertificate } from '../../constructs/kafka/runtime/certificates';
import { ensureClusterSecrets, parseClusterSecretsEnv } from '../../constructs/kafka/runtime/cluster-secrets';
import { inClusterApi } from '../../constructs/kafka/runtime/kubernetes-api';
import { makeTempDir } from '../harness/synth';

const headless = 'kafka-headless.streaming.svc.cluster.local';

/** A TLS handshake to a server holding `server`, from a client that trusts `caPem` and expects `servername`. */
async function handshake(server: { keyPem: string; certificatePem: string }, caPem: string, servername: string): Promise<void> {
  const listener = tls.createServer({ key: server.keyPem, cert: server.certificatePem }, (socket) => socket.end());
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  try {
    await new Promise<void>((resolve, reject) => {
      const socket = tls.connect({ host: '127.0.0.1', port: (listener.address() as AddressInfo).port, ca: [caPem], servername, rejectUnauthorized: true }, () => {
        socket.end();
        resolve();
      });
      socket.on('error', reject);
    });
  } finally {
    listener.close();
  }
}

test('broker certificate: signed by the cluster CA, the broker principal as CN, verified for its names only', async () => {
  const ca = await createCertificateAuthority('airline-test-ca', 30);
  const other = await createCertificateAuthority('another-ca', 30);
  const issued = await issueCertificate(ca, BROKER_PRINCIPAL, { dns: [`kafka-1.${headless}`, 'kafka-bootstrap.streaming.svc'], ips: ['10.0.0.7'] }, 7);
  const certificate = new X509Certificate(issued.certificatePem);
  assert.ok(certificate.verify(new X509Certificate(ca.certificatePem).publicKey));
  assert.ok(!certificate.verify(new X509Certificate(other.certificatePem).publicKey));
  assert.equal(certificate.subject, `CN=${BROKER_PRINCIPAL}`);
  assert.equal(certificate.checkHost(`kafka-1.${headless}`), `kafka-1.${headless}`);
  assert.equal(certificate.checkHost(`kafka-2.${headless}`), undefined);
  assert.equal(certificate.checkIP('10.0.0.7'), '10.0.0.7');
  assert.ok(new X509Certificate(ca.certificatePem).ca);
  assert.ok(!certificate.ca);
  // What a client does: the handshake passes for a name in the certificate and fails for any other or another CA.
  await handshake(issued, ca.certificatePem, 'kafka-bootstrap.streaming.svc');
  await assert.rejects(handshake(issued, ca.certificatePem, 'kafka-2.streaming.svc'), /altnames|does not match/i);
  await assert.rejects(handshake(issued, other.certificatePem, 'kafka-bootstrap.streaming.svc'), /self.signed|unable to (verify|get)|certificate/i);
});

test('broker names: the pod name in the headless domain, {id} as the ordinal, extra addresses', () => {
  const env = parseBrokerCertificateEnv({
    POD_NAME: 'kafka-2',
    HEADLESS_DOMAIN: headless,
    EXTRA_DNS_NAMES: 'kafka-bootstrap.streaming.svc, broker-{id}.kafka.prod.internal',
    EXTRA_IPS: '10.1.2.3',
    CA_DIR: '/ca',
    OUTPUT_DIR: '/out',
    VALID_DAYS: '30',
  });
  assert.deepEqual(brokerNames(env, ['192.168.0.4']), {
    dns: [`kafka-2.${headless}`, 'kafka-bootstrap.streaming.svc', 'broker-2.kafka.prod.internal'],
    ips: ['10.1.2.3', '192.168.0.4'],
  });
  assert.throws(() => brokerNames({ ...env, POD_NAME: 'kafka' }), /no ordinal/);
  assert.throws(() => parseBrokerCertificateEnv({ HEADLESS_DOMAIN: headless }), /POD_NAME/);
});

test('broker stores: key store = key + certificate + CA, trust store = CA, the key store readable by its owner only', async () => {
  const ca = await createCertificateAuthority('airline-test-ca', 30);
  const caDir = makeTempDir('ca');
  writeFileSync(join(caDir, KUBERNETES_SECRETS.keys.caCertificate), ca.certificatePem);
  writeFileSync(join(caDir, KUBERNETES_SECRETS.keys.caKey), ca.keyPem);
  const out = makeTempDir('stores');
  await writeBrokerStores(parseBrokerCertificateEnv({ POD_NAME: 'kafka-0', HEADLESS_DOMAIN: headless, CA_DIR: caDir, OUTPUT_DIR: out, VALID_DAYS: '30' }));
  const keyStore = readFileSync(join(out, 'keystore.pem'), 'utf8');
  assert.equal((keyStore.match(/BEGIN PRIVATE KEY/g) ?? []).length, 1);
  assert.equal((keyStore.match(/BEGIN CERTIFICATE/g) ?? []).length, 2);
  assert.ok(keyStore.endsWith(ca.certificatePem));
  assert.equal(readFileSync(join(out, 'truststore.pem'), 'utf8'), ca.certificatePem);
  assert.equal(statSync(join(out, 'keystore.pem')).mode & 0o077, 0);
  const leaf = new X509Certificate(keyStore.slice(keyStore.indexOf('-----BEGIN CERTIFICATE-----')));
  assert.equal(leaf.checkHost(`kafka-0.${headless}`), `kafka-0.${headless}`);
});

interface FakeSecretsApi {
  server: Server;
  url: string;
  secrets: Map<string, { metadata: { name: string; labels?: Record<string, string> }; data: Record<string, string> }>;
  posts: number;
}

async function fakeSecretsApi(): Promise<FakeSecretsApi> {
  const api: FakeSecretsApi = { server: undefined as unknown as Server, url: '', secrets: new Map(), posts: 0 };
  api.server = createServer((request: IncomingMessage, response) => {
    if (request.headers.authorization !== 'Bearer test-token') return void response.writeHead(401).end('{}');
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const get = /^\/api\/v1\/namespaces\/streaming\/secrets\/([^/]+)$/.exec(request.url ?? '');
      if (request.method === 'GET' && get) {
        const secret = api.secrets.get(get[1]);
        return void (secret ? response.writeHead(200).end(JSON.stringify(secret)) : response.writeHead(404).end('{}'));
      }
      if (request.method === 'POST' && request.url === '/api/v1/namespaces/streaming/secrets') {
        api.posts += 1;
        const secret = JSON.parse(body);
        if (api.secrets.has(secret.metadata.name)) return void response.writeHead(409).end('{}');
        api.secrets.set(secret.metadata.name, secret);
        return void response.writeHead(201).end(JSON.stringify(secret));
      }
      response.writeHead(400).end('{}');
    });
  });
  await new Promise<void>((resolve) => api.server.listen(0, '127.0.0.1', resolve));
  api.url = `http://127.0.0.1:${(api.server.address() as AddressInfo).port}`;
  return api;
}

function serviceAccountDir(): string {
  const dir = makeTempDir('sa');
  writeFileSync(join(dir, 'token'), 'test-token\n');
  return dir;
}

const decoded = (secret: { data: Record<string, string> }, key: string) => Buffer.from(secret.data[key], 'base64').toString('utf8');

test('cluster secrets: made once with fresh values; a second run keeps every one unchanged', async (t) => {
  const fake = await fakeSecretsApi();
  t.after(() => fake.server.close());
  const env = parseClusterSecretsEnv({
    NAMESPACE: 'streaming',
    PRINCIPALS: 'airline-predictor,airline-topics-provisioner',
    CA_COMMON_NAME: 'airline-streaming-ca',
    CA_VALID_DAYS: '3650',
    SECRET_LABELS: '{"app.kubernetes.io/part-of":"airline-streaming"}',
    KUBERNETES_API_URL: fake.url,
    SERVICE_ACCOUNT_DIR: serviceAccountDir(),
  });
  const api = inClusterApi({ apiUrl: fake.url, serviceAccountDir: env.SERVICE_ACCOUNT_DIR, timeoutMs: 5_000 });
  const first = await ensureClusterSecrets(api, env);
  const names = [KUBERNETES_SECRETS.clusterCa, KUBERNETES_SECRETS.zookeeperSasl, 'kafka-user-airline-predictor', 'kafka-user-airline-topics-provisioner', KUBERNETES_SECRETS.clusterCaCertificate];
  assert.deepEqual(first, { created: names, kept: [] });
  const k = KUBERNETES_SECRETS.keys;
  const ca = fake.secrets.get(KUBERNETES_SECRETS.clusterCa)!;
  assert.equal(decoded(fake.secrets.get(KUBERNETES_SECRETS.clusterCaCertificate)!, k.caCertificate), decoded(ca, k.caCertificate));
  assert.equal(fake.secrets.get(KUBERNETES_SECRETS.clusterCaCertificate)!.data[k.caKey], undefined, 'clients never get the CA key');
  const predictor = decoded(fake.secrets.get('kafka-user-airline-predictor')!, k.password);
  const provisioner = decoded(fake.secrets.get('kafka-user-airline-topics-provisioner')!, k.password);
  assert.match(predictor, /^[0-9a-f]{48}$/);
  assert.notEqual(predictor, provisioner);
  assert.equal(decoded(fake.secrets.get('kafka-user-airline-predictor')!, k.username), 'airline-predictor');
  const zookeeper = fake.secrets.get(KUBERNETES_SECRETS.zookeeperSasl)!;
  const password = /user_kafka="([0-9a-f]+)"/.exec(decoded(zookeeper, k.zookeeperServerJaas))?.[1];
  assert.ok(password && decoded(zookeeper, k.zookeeperClientJaas).includes(`password="${password}"`), 'server and client JAAS share the password');
  assert.deepEqual(ca.metadata.labels, { 'app.kubernetes.io/part-of': 'airline-streaming' });

  const before = JSON.stringify([...fake.secrets]);
  const second = await ensureClusterSecrets(api, env);
  assert.deepEqual(second, { created: [], kept: names });
  assert.equal(JSON.stringify([...fake.secrets]), before);
});

test('cluster-secrets and broker-certificate bundles (what the pods run) work as standalone files', async (t) => {
  const fake = await fakeSecretsApi();
  t.after(() => fake.server.close());
  const dir = makeTempDir('credentials-bundle');
  const run = async (entry: string, env: Record<string, string>) => {
    const script = join(dir, `${entry.split('/').pop()}.js`);
    writeFileSync(script, bundleNodeEntry(entry).code);
    const child = spawn(process.execPath, [script], { cwd: dir, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    return { code, stderr };
  };
  const secrets = await run('constructs/kafka/runtime/cluster-secrets.ts', {
    NAMESPACE: 'streaming', PRINCIPALS: 'airline-predictor', CA_COMMON_NAME: 'ca', CA_VALID_DAYS: '10', KUBERNETES_API_URL: fake.url, SERVICE_ACCOUNT_DIR: serviceAccountDir(),
  });
  assert.equal(secrets.code, 0, secrets.stderr);
  const ca = fake.secrets.get(KUBERNETES_SECRETS.clusterCa)!;
  const caDir = makeTempDir('bundle-ca');
  for (const key of [KUBERNETES_SECRETS.keys.caCertificate, KUBERNETES_SECRETS.keys.caKey]) writeFileSync(join(caDir, key), decoded(ca, key));
  const out = makeTempDir('bundle-out');
  const issued = await run('constructs/kafka/runtime/broker-certificate.ts', { POD_NAME: 'kafka-0', HEADLESS_DOMAIN: headless, CA_DIR: caDir, OUTPUT_DIR: out, VALID_DAYS: '5' });
  assert.equal(issued.code, 0, issued.stderr);
  assert.match(readFileSync(join(out, 'keystore.pem'), 'utf8'), /BEGIN PRIVATE KEY/);
  const bad = await run('constructs/kafka/runtime/broker-certificate.ts', { HEADLESS_DOMAIN: headless });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /POD_NAME/);
});
