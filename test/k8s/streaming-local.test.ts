// The streaming stack of the `local` environment deployed for real on the local Kubernetes: applied offline
// (npm run deploy -- local: OpenTofu + the kubernetes provider built from the Go module proxy), checked from inside
// the cluster with Kafka's own tools, then destroyed with the leftover report. The slowest file of test:k8s.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { logLevel } from 'kafkajs';
import { CLIENT_PRINCIPALS, KUBERNETES_SECRETS } from '../../contracts/kafka-security';
import { rotateKubernetesCredential } from '../../local/kubernetes-credential-rotation';
import { createKafkaClient, type ScramSecurity } from '../../services/common/kafka-client';
import { commandPod, eventually, Kubectl, kubernetesClientSecurity, localKubernetes, type LocalKubernetes } from '../harness/kube';
import { NAMESPACE, PREDICTOR, evict, externalBootstrap, faultRounds, flowWithFault, readyPods, waitAllReady } from './streaming-faults';

const ROOT = path.resolve(__dirname, '../..');
let cluster: LocalKubernetes;
let kubectl: Kubectl;
let deploy: { status: number | null; output: string };

function script(args: string[], command = 'bash'): { status: number | null; output: string } {
  const result = spawnSync(command, args, { cwd: ROOT, encoding: 'utf8', timeout: 20 * 60_000, maxBuffer: 64 * 1024 * 1024 });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

// The stack's NetworkPolicies admit only its own workloads: the check pods get in through a policy of this test
// (the namespace, and the policy with it, goes at teardown).
const CHECK_POD_LABELS = { 'airline.io/test-client': 'true' };
const CHECK_POD_POLICY = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: test-check-pods, namespace: ${NAMESPACE} }
spec:
  podSelector: { matchExpressions: [{ key: app.kubernetes.io/name, operator: In, values: [zookeeper, kafka] }] }
  policyTypes: [Ingress]
  ingress: [{ from: [{ podSelector: { matchLabels: { airline.io/test-client: "true" } } }] }]
`;

// The check pods authenticate as the services do (SASL_SSL, SCRAM-SHA-512, the cluster CA) with the principals'
// Secrets: the topics provisioner describes topics, the predictor its consumer group.
const CHECK_PRINCIPALS = [CLIENT_PRINCIPALS.topicsProvisioner, CLIENT_PRINCIPALS.predictor];
const CHECK_POD_SECRETS =
  `      volumeMounts:\n` +
  `        - { name: ca, mountPath: /var/run/kafka-ca, readOnly: true }\n` +
  CHECK_PRINCIPALS.map((p) => `        - { name: ${p}, mountPath: /var/run/kafka-users/${p}, readOnly: true }\n`).join('') +
  `  volumes:\n` +
  `    - { name: ca, secret: { secretName: ${KUBERNETES_SECRETS.clusterCaCertificate} } }\n` +
  CHECK_PRINCIPALS.map((p) => `    - { name: ${p}, secret: { secretName: ${KUBERNETES_SECRETS.userPrefix}${p} } }\n`).join('');
const CLIENT_PROPERTIES =
  `for user in ${CHECK_PRINCIPALS.join(' ')}; do printf '%s\\n' security.protocol=SASL_SSL sasl.mechanism=SCRAM-SHA-512 ` +
  `ssl.truststore.type=PEM ssl.truststore.location=/var/run/kafka-ca/ca.crt ` +
  `"sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\\"$user\\" password=\\"$(cat /var/run/kafka-users/$user/password)\\";" ` +
  `> /tmp/$user.properties; done; `;

/** Runs one command in a pod of the Kafka image (it carries Kafka's tools and nc) and returns what it printed. */
async function inCluster(name: string, command: string): Promise<string> {
  await kubectl.apply(
    commandPod({
      name,
      namespace: NAMESPACE,
      image: cluster.images.kafka,
      labels: CHECK_POD_LABELS,
      command: ['bash', '-c', CLIENT_PROPERTIES + command],
      restrictedAsUid: 1000,
      extraSpec: CHECK_POD_SECRETS,
    }),
  );
  return kubectl.podOutput(NAMESPACE, name, 180);
}

const tool = (main: string, args: string, principal: string = CLIENT_PRINCIPALS.topicsProvisioner) =>
  `java -Xmx128m -cp "/opt/kafka/libs/*" ${main} --bootstrap-server kafka-bootstrap.kafka.svc:9092 --command-config /tmp/${principal}.properties ${args} 2>/dev/null`;

describe('streaming-local on the local Kubernetes', () => {
  before(() => {
    cluster = localKubernetes();
    kubectl = new Kubectl(cluster);
    deploy = script(['tools/terraform/deploy.sh', 'local']);
  });
  before(async () => {
    // Applied ahead of the checks: the NetworkPolicy agent takes a moment.
    if (deploy.status === 0) await kubectl.apply(CHECK_POD_POLICY);
  });
  after(() => {
    const teardown = script(['tools/terraform/teardown.sh', 'local', '--yes']);
    assert.equal(teardown.status, 0, teardown.output.slice(-4000));
    assert.match(teardown.output, /leftovers in the cluster: none/);
  });

  it('applies, and a second plan shows no changes', () => {
    assert.equal(deploy.status, 0, deploy.output.slice(-6000));
    assert.match(deploy.output, /second plan: no changes/);
  });

  it('runs ZooKeeper 3/3, 3 brokers, the completed topics Job and 5 predictors, all Ready', async () => {
    const pods = (await kubectl.json<{ items: any[] }>(['-n', NAMESPACE, 'get', 'pods'])).items;
    const ready = (prefix: string) =>
      pods.filter((p) => p.metadata.name.startsWith(prefix) && p.status.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True')).length;
    assert.equal(ready('zookeeper-'), 3);
    assert.equal(ready('kafka-') - ready('kafka-topics-'), 3);
    assert.equal(ready('airline-predictor-'), 5);
    const jobs = (await kubectl.json<{ items: any[] }>(['-n', NAMESPACE, 'get', 'jobs'])).items;
    // The credentials Job (Secrets made in the cluster), the access Job (SCRAM credentials and ACLs), the topics Job.
    assert.deepEqual(jobs.map((job) => job.metadata.name.replace(/-[0-9a-f]{10}$/, '')).sort(), ['kafka-access', 'kafka-credentials', 'kafka-topics']);
    for (const job of jobs) assert.equal(job.status.succeeded, 1, job.metadata.name);
  });

  it('has a ZooKeeper quorum and 3 brokers registered with one rack per zone', async () => {
    const output = await inCluster(
      'check-brokers',
      `${tool('kafka.admin.BrokerApiVersionsCommand', '')} | grep -o '(id: [0-9]* rack: [a-z0-9-]*)' | sort -u; ` +
        // Each server asked up to 5 times (a busy JVM can miss nc's 3 s); the pod always succeeds, the test judges.
        'for i in 0 1 2; do for try in 1 2 3 4 5; do ' +
        'echo srvr | nc -w 3 zookeeper-$i.zookeeper-headless.kafka.svc.cluster.local 2181 | grep "^Mode" && break; sleep 1; done; done; true',
    );
    const racks = [...output.matchAll(/\(id: (\d+) rack: ([a-z0-9-]+)\)/g)].map((m) => [m[1], m[2]]);
    assert.deepEqual(racks.map(([id]) => id).sort(), ['0', '1', '2']);
    assert.deepEqual(racks.map(([, rack]) => rack).sort(), [...cluster.zones].sort());
    assert.deepEqual(output.match(/^Mode: \w+$/gm)?.sort(), ['Mode: follower', 'Mode: follower', 'Mode: leader']);
  });

  it('has the topics 10 x 3 and the predictors sharing the 10 input partitions, 2 each', async () => {
    const output = await inCluster(
      'check-topics',
      `${tool('org.apache.kafka.tools.TopicCommand', '--describe')} | grep '^Topic:'; ` +
        `${tool('org.apache.kafka.tools.consumer.group.ConsumerGroupCommand', '--describe --group airline-predictor --members', CLIENT_PRINCIPALS.predictor)}; true`,
    );
    for (const topic of ['AirlineInputTopic', 'AirlineOutputTopic']) {
      assert.match(output, new RegExp(`^Topic: ${topic}\\s.*PartitionCount: 10\\s+ReplicationFactor: 3\\s`, 'm'), output);
    }
    const members = output.split('\n').filter((line) => line.startsWith('airline-predictor '));
    assert.equal(members.length, 5, output);
    for (const member of members) assert.equal(member.trim().split(/\s+/).at(-1), '2', member);
  });

  it('runs the demo from this machine: the predictor scaled 1 -> 5 through its autoscaler while records flow, none lost', async () => {
    const hpaBefore = await kubectl.json<any>(['-n', NAMESPACE, 'get', 'hpa', PREDICTOR]);
    const demo = script(['--import', 'tsx', 'demo/run.ts', '--on', 'k8s', '--records', '2000', '--rate', '100', '--step-seconds', '2'], process.execPath);
    assert.equal(demo.status, 0, demo.output.slice(-6000));
    for (let replicas = 2; replicas <= 5; replicas += 1) assert.match(demo.output, new RegExp(`^scaled to ${replicas} replicas`, 'm'));
    assert.match(demo.output, /^lost {16}0$/m);
    assert.match(demo.output, /^records in {10}2000$/m);
    // The bounds go back to what was deployed, so Terraform sees no drift.
    const hpaAfter = await kubectl.json<any>(['-n', NAMESPACE, 'get', 'hpa', PREDICTOR]);
    assert.deepEqual([hpaAfter.spec.minReplicas, hpaAfter.spec.maxReplicas], [hpaBefore.spec.minReplicas, hpaBefore.spec.maxReplicas]);
    await waitAllReady(kubectl);
  });

  it(`loses no record when a broker pod is deleted mid-stream (${faultRounds()} round(s))`, async () => {
    const bootstrap = await externalBootstrap(kubectl);
    const outcomes: string[] = [];
    for (let round = 0; round < faultRounds(); round += 1) {
      const broker = `kafka-${round % 3}`;
      const volumeBefore = await kubectl.ok(['-n', NAMESPACE, 'get', 'pvc', `data-${broker}`, '-o', 'jsonpath={.spec.volumeName}']);
      const uidBefore = await kubectl.ok(['-n', NAMESPACE, 'get', 'pod', broker, '-o', 'jsonpath={.metadata.uid}']);
      const { result } = await flowWithFault(kubectl, bootstrap, { records: 3000, rate: 300, faultAfterMs: 3000, label: `broker-kill-${round}` }, async () => {
        await kubectl.ok(['-n', NAMESPACE, 'delete', 'pod', broker, '--wait=false']);
      });
      outcomes.push(`round ${round + 1}: ${broker} deleted, sent ${result.sent}, missing ${result.missing}, duplicate keys ${result.duplicates}`);
      assert.equal(result.missing, 0, outcomes.join('\n'));
      await waitAllReady(kubectl);
      const uidAfter = await kubectl.ok(['-n', NAMESPACE, 'get', 'pod', broker, '-o', 'jsonpath={.metadata.uid}']);
      const volumeAfter = await kubectl.ok(['-n', NAMESPACE, 'get', 'pvc', `data-${broker}`, '-o', 'jsonpath={.spec.volumeName}']);
      assert.notEqual(uidAfter, uidBefore, 'the StatefulSet made a new pod');
      assert.equal(volumeAfter, volumeBefore, 'on the same volume');
    }
    process.stderr.write(`${outcomes.join('\n')}\n`);
  });

  it(`rotates the predictor's credential while records flow: the old password is refused, none lost (${faultRounds()} round(s))`, async () => {
    const bootstrap = await externalBootstrap(kubectl);
    // A new connection as the predictor through the EXTERNAL listener: resolves, or rejects with Kafka's reason.
    const connectAs = async (security: ScramSecurity) => {
      const admin = createKafkaClient({ clientId: 'rotation-check', brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 }, security }).admin();
      try {
        await admin.connect();
        await admin.describeCluster();
      } finally {
        await admin.disconnect();
      }
    };
    const outcomes: string[] = [];
    for (let round = 0; round < faultRounds(); round += 1) {
      const before = await kubernetesClientSecurity(kubectl, NAMESPACE, 'predictor');
      const { result } = await flowWithFault(kubectl, bootstrap, { records: 3000, rate: 150, faultAfterMs: 4000, label: `rotate-${round}` }, async () => {
        await rotateKubernetesCredential('local', 'predictor', kubectl);
      });
      outcomes.push(`round ${round + 1}: sent ${result.sent}, missing ${result.missing}, duplicate keys ${result.duplicates}`);
      assert.equal(result.missing, 0, outcomes.join('\n'));
      const after = await kubernetesClientSecurity(kubectl, NAMESPACE, 'predictor');
      assert.ok('password' in after && 'password' in before && after.password !== before.password, 'a new password in the Secret');
      await assert.rejects(connectAs(before), /SASL|[Aa]uthentication/);
      await connectAs(after);
      await waitAllReady(kubectl);
    }
    process.stderr.write(`${outcomes.join('\n')}\n`);
  });

  it(`resumes processing within 10 s when a predictor pod is deleted (${faultRounds()} round(s))`, async () => {
    const bootstrap = await externalBootstrap(kubectl);
    const outcomes: string[] = [];
    for (let round = 0; round < faultRounds(); round += 1) {
      let resumeMs = Number.NaN;
      let victim = '';
      const { result } = await flowWithFault(kubectl, bootstrap, { records: 4000, rate: 200, faultAfterMs: 6000, label: `predictor-kill-${round}` }, async (collector) => {
        // The victim: a pod that has produced, and the input partitions it was serving.
        const partitionsOf = new Map<string, Set<number>>();
        for (const outputs of collector.predictions.values()) {
          for (const { message } of outputs) {
            if (!partitionsOf.has(message.instanceId)) partitionsOf.set(message.instanceId, new Set());
            partitionsOf.get(message.instanceId)!.add(message.source.partition);
          }
        }
        victim = [...partitionsOf.keys()].sort()[round % partitionsOf.size];
        const partitions = [...partitionsOf.get(victim)!];
        const deletedAt = Date.now();
        await kubectl.ok(['-n', NAMESPACE, 'delete', 'pod', victim, '--wait=false']);
        const resumedAt = await eventually('another pod to process the deleted pod\'s partitions', async () => {
          const at = collector.resumedAfter(deletedAt, partitions, victim);
          return Number.isFinite(at) ? at : undefined;
        }, 60_000, 200);
        resumeMs = resumedAt - deletedAt;
      });
      outcomes.push(`round ${round + 1}: ${victim} deleted, resumed after ${resumeMs} ms, sent ${result.sent}, missing ${result.missing}, duplicate keys ${result.duplicates}`);
      assert.equal(result.missing, 0, outcomes.join('\n'));
      assert.ok(resumeMs < 10_000, outcomes.join('\n'));
      await waitAllReady(kubectl);
    }
    process.stderr.write(`${outcomes.join('\n')}\n`);
  });

  it(`evictions respect the disruption budgets: one broker, ZooKeeper server or predictor at a time (${faultRounds()} round(s))`, async () => {
    for (let round = 0; round < faultRounds(); round += 1) {
      process.stderr.write(`evictions: round ${round + 1} of ${faultRounds()}\n`);
      for (const [prefix, count] of [['kafka-', 3], ['zookeeper-', 3], [`${PREDICTOR}-`, 5]] as const) {
        const pods = (await readyPods(kubectl, prefix)).filter((p) => !p.metadata.name.startsWith('kafka-topics-')).map((p) => p.metadata.name).sort();
        assert.equal(pods.length, count, prefix);
        const first = await evict(kubectl, pods[round % count]);
        assert.ok(first.accepted, `${pods[round % count]}: ${first.message}`);
        const second = await evict(kubectl, pods[(round + 1) % count]);
        assert.equal(second.accepted, false, `${pods[(round + 1) % count]} evicted while ${pods[round % count]} was down`);
        assert.match(second.message, /disruption budget/);
        // A broker's graceful stop may take up to its 120 s grace period before the new pod starts.
        await waitAllReady(kubectl, 600_000);
      }
    }
  });
});
