// `npm run demo -- --on k8s`: the 2017 demo against the streaming stack deployed on the local Kubernetes
// (npm run k8s:up, then npx cdktf deploy streaming-local). Records are replayed from this machine through the
// bootstrap NodePort and predictions collected the same way; while records flow, the prediction service is scaled
// 1 -> N. The scaling goes through the autoscaler: its bounds are set to min = max = n at each step, so the
// autoscaler itself moves the Deployment and nothing undoes the step; the bounds Terraform set are restored at the
// end (a second plan then shows no changes).
import { Partitioners, logLevel, type Producer } from 'kafkajs';
import { createKafkaClient } from '../services/common/kafka-client';
import { loadEnvironment } from '../config';
import { EXTERNAL_NODE_PORTS } from '../contracts/kafka-settings';
import { TOPIC_NAMES } from '../contracts/topics';
import { DEMO_COLLECTOR_GROUP_PREFIX } from '../contracts/kafka-security';
import { Kubectl, eventually, kubernetesClientSecurity, localKubernetes } from '../local/kubernetes';
import { OutputCollector } from './collector';
import { sleep } from './instances';
import { dataFilePath, readFlightLines, replay } from './replay';
import { printSummary } from './summary';

export interface KubernetesDemoOptions {
  /** Flight records to replay (all when undefined). */
  records: number | undefined;
  rate: number;
  /** Replicas at the end of the scaling (starts from 1). */
  replicas: number;
  /** Time between scaling steps once the previous step's pods are Ready. */
  stepSeconds: number;
  /** The config environment whose stack runs on the local Kubernetes. */
  environment: string;
}

interface Autoscaler {
  name: string;
  deployment: string;
  minReplicas: number;
  maxReplicas: number;
}

export class KubernetesDemoError extends Error {}

/** The one autoscaler of the namespace and the Deployment it scales; a clear error when the stack is not there. */
async function findAutoscaler(kubectl: Kubectl, namespace: string, environment: string): Promise<Autoscaler> {
  const listed = await kubectl.run(['-n', namespace, 'get', 'horizontalpodautoscalers.autoscaling', '-o', 'json']);
  if (listed.code !== 0) {
    throw new KubernetesDemoError(`cannot read the cluster (${listed.stderr.trim()}): is it up? npm run k8s:up`);
  }
  const items = (JSON.parse(listed.stdout) as { items: any[] }).items;
  if (items.length !== 1) {
    throw new KubernetesDemoError(
      `found ${items.length} autoscalers in namespace "${namespace}", expected the prediction service's one: ` +
        `deploy the stack first (npx cdktf deploy streaming-${environment}, or npm run deploy -- ${environment})`,
    );
  }
  const [hpa] = items;
  return {
    name: hpa.metadata.name,
    deployment: hpa.spec.scaleTargetRef.name,
    minReplicas: hpa.spec.minReplicas ?? 1,
    maxReplicas: hpa.spec.maxReplicas,
  };
}

/** The address of one node (any node forwards NodePorts) and a check that the bootstrap NodePort exists. */
async function externalBootstrap(kubectl: Kubectl, namespace: string, environment: string): Promise<string> {
  const services = (await kubectl.json<{ items: any[] }>(['-n', namespace, 'get', 'services'])).items;
  const bootstrap = services.find((s) => s.spec.type === 'NodePort' && s.spec.ports?.some((p: any) => p.nodePort === EXTERNAL_NODE_PORTS.bootstrap));
  if (!bootstrap) {
    throw new KubernetesDemoError(
      `no Service in "${namespace}" exposes NodePort ${EXTERNAL_NODE_PORTS.bootstrap}: set streaming.kafka.externalAccess ` +
        `for environment "${environment}" in config/environments.ts and deploy again`,
    );
  }
  const nodes = (await kubectl.json<{ items: any[] }>(['get', 'nodes'])).items;
  const address = nodes
    .flatMap((node) => node.status.addresses as Array<{ type: string; address: string }>)
    .find((a) => a.type === 'InternalIP')?.address;
  if (!address) throw new KubernetesDemoError('no node reports an InternalIP address');
  return `${address}:${EXTERNAL_NODE_PORTS.bootstrap}`;
}

async function readyReplicas(kubectl: Kubectl, namespace: string, deployment: string): Promise<{ wanted: number; ready: number; total: number }> {
  const status = (await kubectl.json<any>(['-n', namespace, 'get', 'deployment', deployment])).status ?? {};
  const pods = (await kubectl.json<{ items: any[] }>(['-n', namespace, 'get', 'pods', '-l', `app.kubernetes.io/name=${deployment}`])).items;
  return { wanted: status.replicas ?? 0, ready: status.readyReplicas ?? 0, total: pods.length };
}

export async function runOnKubernetes(
  options: KubernetesDemoOptions,
  abort: AbortSignal,
  cleanups: Array<() => Promise<void>>,
  say: (line: string) => void,
): Promise<void> {
  const runId = Date.now().toString(36);
  const environment = loadEnvironment(options.environment);
  if (environment.target !== 'local') {
    throw new KubernetesDemoError(`environment "${options.environment}" targets ${environment.target}; --on k8s runs against the local Kubernetes (environment "local")`);
  }
  const namespace = environment.streaming.namespace;
  const kubectl = new Kubectl(localKubernetes());
  const autoscaler = await findAutoscaler(kubectl, namespace, options.environment);
  const bootstrap = await externalBootstrap(kubectl, namespace, options.environment);
  const partitions = environment.streaming.topics.find((t) => t.name === TOPIC_NAMES.input)?.partitions ?? 0;
  if (options.replicas > partitions) {
    throw new KubernetesDemoError(`--instances ${options.replicas}: the input topic has ${partitions} partitions, so more replicas would idle`);
  }
  say(`airline delay prediction demo on the local Kubernetes (run ${runId}): namespace ${namespace}, bootstrap ${bootstrap} (NodePort)`);

  const setBounds = async (replicas: number) => {
    const patch = JSON.stringify({ spec: { minReplicas: replicas, maxReplicas: replicas } });
    await kubectl.ok(['-n', namespace, 'patch', 'horizontalpodautoscalers.autoscaling', autoscaler.name, '--type', 'merge', '-p', patch]);
  };
  const waitForReplicas = (replicas: number) =>
    eventually(
      `${replicas} Ready pods of ${autoscaler.deployment} (the autoscaler acts every 15 s)`,
      async () => {
        const state = await readyReplicas(kubectl, namespace, autoscaler.deployment);
        return state.wanted === replicas && state.ready === replicas && state.total === replicas ? state : undefined;
      },
      180_000,
      1_000,
    );
  cleanups.push(async () => {
    say(`restoring the autoscaler's bounds to min ${autoscaler.minReplicas}, max ${autoscaler.maxReplicas} (as deployed)`);
    const patch = JSON.stringify({ spec: { minReplicas: autoscaler.minReplicas, maxReplicas: autoscaler.maxReplicas } });
    await kubectl.ok(['-n', namespace, 'patch', 'horizontalpodautoscalers.autoscaling', autoscaler.name, '--type', 'merge', '-p', patch]);
  });

  say(`scaling ${autoscaler.deployment} to 1 replica through its autoscaler (min = max = 1)...`);
  await setBounds(1);
  await waitForReplicas(1);
  if (abort.aborted) return;

  // Replay and collector each as their own principal, with the credentials the stack made in the cluster.
  const client = async (role: 'demoReplay' | 'demoCollector') =>
    createKafkaClient({
      clientId: `airline-demo-${runId}`,
      brokers: [bootstrap],
      logLevel: logLevel.ERROR,
      security: await kubernetesClientSecurity(kubectl, namespace, role),
    });
  const collector = new OutputCollector(await client('demoCollector'), {
    outputTopic: TOPIC_NAMES.output,
    deadLetterTopic: TOPIC_NAMES.deadLetter,
    groupId: `${DEMO_COLLECTOR_GROUP_PREFIX}-${runId}`,
    keyPrefix: `${runId}-`,
  });
  cleanups.push(() => collector.stop());
  await collector.start();
  const producer: Producer = (await client('demoReplay')).producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
  cleanups.push(() => producer.disconnect());
  await producer.connect();

  const records = readFlightLines(dataFilePath(), options.records, `${runId}-`);
  const labels = new Map(records.map((record) => [record.key, record.label]));
  say(`read ${records.length} flight records from ${dataFilePath()}`);

  const perPod = () => {
    const counts = new Map<string, number>();
    for (const outputs of collector.predictions.values()) {
      for (const output of outputs) counts.set(output.message.instanceId, (counts.get(output.message.instanceId) ?? 0) + 1);
    }
    return [...counts].sort(([a], [b]) => a.localeCompare(b)).map(([pod, n]) => `${pod.slice(pod.lastIndexOf('-') + 1)} ${n}`).join(', ');
  };
  let sent = 0;
  let replicas = 1;
  const replayStarted = Date.now();
  const progress = setInterval(() => {
    const elapsed = ((Date.now() - replayStarted) / 1000).toFixed(1).padStart(5);
    say(`[${elapsed}s] sent ${sent}/${records.length}  predictions ${collector.predictions.size}  replicas ${replicas}  per pod: ${perPod()}`);
  }, 2000);
  cleanups.push(async () => clearInterval(progress));

  say(`replaying ${records.length} records at ${options.rate > 0 ? `${options.rate}/s` : 'full speed'} into ${TOPIC_NAMES.input}; scaling 1 -> ${options.replicas} while they flow`);
  const replaying = replay(producer, records, { topic: TOPIC_NAMES.input, ratePerSecond: options.rate, signal: abort, onProgress: (n) => (sent = n) });
  const scaling = (async () => {
    for (let next = 2; next <= options.replicas && !abort.aborted; next += 1) {
      await sleep(options.stepSeconds * 1000);
      const asked = Date.now();
      await setBounds(next);
      await waitForReplicas(next);
      replicas = next;
      say(`scaled to ${next} replicas (${((Date.now() - asked) / 1000).toFixed(1)} s after the autoscaler's bounds moved); per pod so far: ${perPod()}`);
    }
  })();
  sent = await replaying;
  const replayDone = Date.now();
  await scaling;
  const complete = await collector.waitForKeys(sent, 180_000, () => {
    if (abort.aborted) throw new Error('interrupted');
  });
  clearInterval(progress);
  const lastOutputAt = Date.now();
  if (!complete) throw new Error(`only ${collector.distinctKeys()} of ${sent} records came out within 180 s`);
  const outcome = printSummary(say, collector, labels, sent, { replayStarted, replayDone, lastOutputAt }, 'pod');
  if (outcome.lost > 0) throw new Error(`${outcome.lost} records lost`);
}
