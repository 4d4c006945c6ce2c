// The secured local cluster refuses every client that is not who it must be (plaintext, TLS without SASL, a wrong
// SCRAM password, a foreign certificate on the mutual-TLS inter-broker listener, a principal without the ACL), and
// lets each service principal do its own job.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Kafka, Partitioners, logLevel, type KafkaConfig } from 'kafkajs';
import { DEMO_COLLECTOR_GROUP_PREFIX } from '../../contracts/kafka-security';
import { PREDICTOR_GROUP_ID, defaultTopicSpec, topicNamesWithSuffix } from '../../contracts/topics';
import { LOCAL_INTER_BROKER_PORT } from '../../local/broker-config';
import { createBrokerCertificate, createCertificateAuthority, type LocalPrincipalRole } from '../../local/cluster-security';
import { createKafkaClient, type KafkaSecurity } from '../../services/common/kafka-client';
import { provisionTopics } from '../../services/topics/provisioner';
import { quietLogger, testBootstrap, testCluster, uniqueName, withAdmin } from '../harness/cluster';

const cluster = testCluster();
const bootstrap = testBootstrap();
const caPem = () => fs.readFileSync(cluster.caFile, 'utf8');
const FAST_FAIL = { logLevel: logLevel.NOTHING, retry: { retries: 0 }, connectionTimeout: 5000 } as const;

/** A client as `role`; refusals are asserted without retries, jobs are done with them. */
function clientAs(role: LocalPrincipalRole, clientId: string, retries = 0): Kafka {
  return createKafkaClient({ security: cluster.clientSecurity(role), clientId, brokers: [bootstrap], ...FAST_FAIL, retry: { retries } });
}

/** What connecting an admin and reading the cluster throws (or null when it works). */
async function connectError(client: Kafka): Promise<Error | null> {
  const admin = client.admin();
  try {
    await admin.connect();
    await admin.describeCluster();
    return null;
  } catch (error) {
    return error as Error;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** The error itself or the one kafkajs wrapped in it on giving up (KafkaJSNumberOfRetriesExceeded). */
function rootError(error: Error | null): Error | null {
  const cause = (error as { cause?: Error } | null)?.cause;
  return cause instanceof Error ? cause : error;
}

describe('the secured local cluster refuses', () => {
  it('a plaintext client on the client listener (the connection is closed)', async () => {
    const error = rootError(await connectError(new Kafka({ clientId: 'plaintext', brokers: [bootstrap], ...FAST_FAIL })));
    assert.equal(error?.name, 'KafkaJSConnectionClosedError', String(error));
  });

  it('a TLS client without SASL (the broker closes the connection at the first request)', async () => {
    // Built without the factory on purpose: the factory never makes a TLS client without credentials.
    const config: KafkaConfig = { clientId: 'tls-only', brokers: [bootstrap], ssl: { ca: [caPem()], rejectUnauthorized: true }, ...FAST_FAIL };
    const error = rootError(await connectError(new Kafka(config)));
    assert.equal(error?.name, 'KafkaJSConnectionClosedError', String(error));
  });

  it('a wrong SCRAM password', async (t) => {
    const right = cluster.securitySettings('predictor');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'airline-wrong-password-'));
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
    const passwordFile = path.join(dir, 'password');
    fs.writeFileSync(passwordFile, `${fs.readFileSync(right.passwordFile, 'utf8').trim()}-wrong`, { mode: 0o600 });
    const wrong: KafkaSecurity = { kind: 'scram', username: right.username, passwordFile, caPem: caPem() };
    const error = await connectError(createKafkaClient({ security: wrong, clientId: 'wrong-password', brokers: [bootstrap], ...FAST_FAIL }));
    assert.equal(error?.name, 'KafkaJSSASLAuthenticationError', String(error));
    assert.match(error!.message, /invalid credentials with SASL mechanism SCRAM-SHA-512/);
  });

  it('a ZooKeeper client without SASL (only the brokers, logged in with DIGEST-MD5, are served)', () => {
    const state = JSON.parse(fs.readFileSync(process.env.KAFKA_CLUSTER_STATE!, 'utf8')) as { libsDir: string; zookeepers: Array<{ host: string; clientPort: number }> };
    const zk = state.zookeepers[0];
    const shell = spawnSync(
      'java',
      ['-XX:TieredStopAtLevel=1', '-Dlog4j.configuration=file:/dev/null', '-cp', path.join(state.libsDir, '*'), 'org.apache.zookeeper.ZooKeeperMain', '-server', `${zk.host}:${zk.clientPort}`, 'ls', '/config/users'],
      { encoding: 'utf8', timeout: 60_000 },
    );
    assert.match(shell.stdout + shell.stderr, /Session closed because client failed to authenticate for \/config\/users/);
  });

  describe('certificates of another CA', () => {
    let dir: string;
    let other: { cert: string; key: string };
    before(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'airline-other-ca-'));
      other = await createCertificateAuthority(dir, 'another-ca');
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('a client certificate from another CA on the mutual-TLS inter-broker listener (even with the broker CN)', async () => {
      const broker = cluster.brokers[0];
      const intruder = await createBrokerCertificate(dir, 'intruder', [broker.host], other);
      const security: KafkaSecurity = { kind: 'mutual-tls', caPem: caPem(), certificatePem: fs.readFileSync(intruder.cert, 'utf8'), keyPem: fs.readFileSync(intruder.key, 'utf8') };
      const client = createKafkaClient({ security, clientId: 'intruder', brokers: [`${broker.host}:${LOCAL_INTER_BROKER_PORT}`], ...FAST_FAIL });
      const error = rootError(await connectError(client));
      assert.equal(error?.name, 'KafkaJSConnectionError', String(error));
      assert.match(error!.message, /certificate unknown/);
    });

    it('(the client side) a broker whose certificate is not from the CA the client trusts', async () => {
      const security = { ...cluster.clientSecurity('predictor'), caPem: fs.readFileSync(other.cert, 'utf8') };
      const error = rootError(await connectError(createKafkaClient({ security, clientId: 'wrong-ca', brokers: [bootstrap], ...FAST_FAIL })));
      assert.equal(error?.name, 'KafkaJSConnectionError', String(error));
      assert.match(error!.message, /self-signed certificate in certificate chain/);
    });
  });

  describe('authenticated principals without the ACL', () => {
    const topics = topicNamesWithSuffix(`-${uniqueName('security')}`);
    before(async () => {
      await provisionTopics({
        bootstrap,
        topics: Object.values(topics).map((name) => ({ ...defaultTopicSpec(name), partitions: 2 })),
        security: cluster.clientSecurity('topicsProvisioner'),
        timeoutMs: 60_000,
        logger: quietLogger('security-test'),
      });
    });
    after(() => withAdmin((admin) => admin.deleteTopics({ topics: Object.values(topics), timeout: 30_000 })).catch(() => undefined));

    async function sendError(role: LocalPrincipalRole, topic: string): Promise<Error | null> {
      const producer = clientAs(role, `${role}-send`).producer({ createPartitioner: Partitioners.DefaultPartitioner });
      try {
        await producer.connect();
        await producer.send({ topic, messages: [{ key: 'k', value: 'v' }] });
        return null;
      } catch (error) {
        return error as Error;
      } finally {
        await producer.disconnect().catch(() => undefined);
      }
    }

    it('the demo collector writing the input topic', async () => {
      const error = await sendError('demoCollector', topics.input);
      assert.equal(rootError(error)?.name, 'KafkaJSProtocolError', String(error));
      assert.equal((rootError(error) as { type?: string }).type, 'TOPIC_AUTHORIZATION_FAILED');
    });

    it('the predictor writing its own input topic', async () => {
      const error = await sendError('predictor', topics.input);
      assert.equal((rootError(error) as { type?: string } | null)?.type, 'TOPIC_AUTHORIZATION_FAILED', String(error));
    });

    it('the predictor creating a topic (only the provisioner may)', async () => {
      const admin = clientAs('predictor', 'predictor-create').admin();
      await admin.connect();
      try {
        await assert.rejects(
          admin.createTopics({ topics: [{ topic: `${topics.output}-extra`, numPartitions: 1, replicationFactor: 3 }] }),
          (error: Error & { errors?: Array<{ type?: string }> }) => {
            assert.equal(error.name, 'KafkaJSAggregateError');
            assert.deepEqual(error.errors?.map((e) => e.type), ['TOPIC_AUTHORIZATION_FAILED']);
            return true;
          },
        );
      } finally {
        await admin.disconnect();
      }
    });

    it('the demo collector reading the predictor group (the predictor itself may)', async () => {
      const groupId = `${PREDICTOR_GROUP_ID}-${uniqueName('intrude')}`;
      const offsetsAs = async (role: LocalPrincipalRole) => {
        const admin = clientAs(role, `${role}-offsets`, 3).admin();
        await admin.connect();
        try {
          return await admin.fetchOffsets({ groupId, topics: [topics.input] });
        } finally {
          await admin.disconnect();
        }
      };
      assert.equal((await offsetsAs('predictor')).length, 1);
      // The broker answers FindCoordinator with GROUP_AUTHORIZATION_FAILED; kafkajs drops that code and reports that
      // no broker gave it a coordinator (which of its two errors depends on the broker pool's state).
      await assert.rejects(offsetsAs('demoCollector'), (error: Error) => {
        assert.ok(['KafkaJSGroupCoordinatorNotFound', 'KafkaJSBrokerNotFound'].includes(error.name), `${error.name}: ${error.message}`);
        return true;
      });
    });

    it('lets each service principal do its own job: replay -> predictor -> collector', async () => {
      const count = 20;
      const replay = clientAs('demoReplay', 'replay', 5).producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
      await replay.connect();
      await replay.send({ topic: topics.input, messages: Array.from({ length: count }, (_, i) => ({ key: `k${i}`, value: `v${i}` })) });
      await replay.disconnect();

      // The predictor's rights: read the input in its group, write the output (idempotent).
      const predictor = clientAs('predictor', 'predictor', 5);
      const output = predictor.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
      await output.connect();
      const input = predictor.consumer({ groupId: `${PREDICTOR_GROUP_ID}-${uniqueName('security')}` });
      await input.connect();
      await input.subscribe({ topics: [topics.input], fromBeginning: true });
      let forwarded = 0;
      const allForwarded = new Promise<void>((resolve) => {
        void input.run({
          eachMessage: async ({ message }) => {
            await output.send({ topic: topics.output, messages: [{ key: message.key, value: `predicted ${message.value?.toString()}` }] });
            forwarded += 1;
            if (forwarded === count) resolve();
          },
        });
      });
      await allForwarded;
      await input.disconnect();
      await output.disconnect();

      const collector = clientAs('demoCollector', 'collector', 5).consumer({ groupId: `${DEMO_COLLECTOR_GROUP_PREFIX}-${uniqueName('security')}` });
      await collector.connect();
      await collector.subscribe({ topics: [topics.output], fromBeginning: true });
      const keys = new Set<string>();
      await new Promise<void>((resolve) => {
        void collector.run({
          eachMessage: async ({ message }) => {
            keys.add(message.key!.toString());
            if (keys.size === count) resolve();
          },
        });
      });
      await collector.disconnect();
      assert.equal(keys.size, count);
    });
  });
});
