// Faults on the deployed streaming-local stack, driven from this machine through the bootstrap NodePort: records
// flow while a broker pod or a predictor pod is deleted, or pods are evicted against their disruption budgets.
// Used by streaming-local.test.ts between its deploy and its teardown.
import { randomBytes } from 'node:crypto';
import { Partitioners, logLevel } from 'kafkajs';
import { DEMO_COLLECTOR_GROUP_PREFIX } from '../../contracts/kafka-security';
import { createKafkaClient } from '../../services/common/kafka-client';
import { EXTERNAL_NODE_PORTS } from '../../contracts/kafka-settings';
import { TOPIC_NAMES } from '../../contracts/topics';
import { OutputCollector, dataFilePath, readFlightLines, replay, sleep } from '../harness/demo';
import { eventually, kubernetesClientSecurity, type Kubectl } from '../harness/kube';

export const NAMESPACE = 'kafka';
export const PREDICTOR = 'airline-predictor';

/** Rounds per fault test: 1 in CI; the counts in the notes come from K8S_FAULT_ROUNDS=10. */
export function faultRounds(): number {
  const raw = process.env.K8S_FAULT_ROUNDS ?? '1';
  const rounds = Number(raw);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`K8S_FAULT_ROUNDS must be a whole number >= 1, got "${raw}"`);
  return rounds;
}

export async function externalBootstrap(kubectl: Kubectl): Promise<string> {
  const nodes = (await kubectl.json<{ items: any[] }>(['get', 'nodes'])).items;
  const address = nodes[0].status.addresses.find((a: { type: string }) => a.type === 'InternalIP').address;
  return `${address}:${EXTERNAL_NODE_PORTS.bootstrap}`;
}

const isReady = (pod: any) => pod.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True') === true;

export async function readyPods(kubectl: Kubectl, prefix: string): Promise<any[]> {
  const pods = (await kubectl.json<{ items: any[] }>(['-n', NAMESPACE, 'get', 'pods'])).items;
  return pods.filter((p) => p.metadata.name.startsWith(prefix) && !p.metadata.deletionTimestamp && isReady(p));
}

/** Waits until every broker, ZooKeeper server and predictor is Ready again; on timeout names the pods that were not. */
export async function waitAllReady(kubectl: Kubectl, timeoutMs = 300_000): Promise<true> {
  try {
    return await eventually(
      'brokers 3/3, ZooKeeper 3/3 and predictors 5/5 Ready',
      async () => {
        const [brokers, zookeeper, predictors] = await Promise.all([
          readyPods(kubectl, 'kafka-').then((pods) => pods.filter((p) => !p.metadata.name.startsWith('kafka-topics-'))),
          readyPods(kubectl, 'zookeeper-'),
          readyPods(kubectl, `${PREDICTOR}-`),
        ]);
        return brokers.length === 3 && zookeeper.length === 3 && predictors.length === 5 ? true : undefined;
      },
      timeoutMs,
      2_000,
    );
  } catch (error) {
    const pods = (await kubectl.json<{ items: any[] }>(['-n', NAMESPACE, 'get', 'pods'])).items;
    const notReady = pods
      .filter((p) => !p.metadata.name.startsWith('kafka-topics-') && !p.metadata.name.startsWith('check-') && (!isReady(p) || p.metadata.deletionTimestamp))
      .map((p) => {
        const container = p.status?.containerStatuses?.[0];
        const state = container ? Object.keys(container.state ?? {}).join(',') : 'no container';
        return `${p.metadata.name}: phase ${p.status?.phase}, ${state}, restarts ${container?.restartCount ?? 0}${p.metadata.deletionTimestamp ? ', terminating' : ''}`;
      });
    // A predictor's readiness says where its consumer is (joining, rebalancing, ...): its last log messages say why.
    const predictorLogs = await Promise.all(
      pods
        .filter((p) => p.metadata.name.startsWith(`${PREDICTOR}-`) && !isReady(p))
        .map(async (p) => `${p.metadata.name}: ${await lastLogMessages(kubectl, p.metadata.name, 8)}`),
    );
    throw new Error(
      `${(error as Error).message}; not Ready: ${notReady.join('; ') || 'none (counts differ)'}` +
        (predictorLogs.length > 0 ? `\nlast messages of the predictors not Ready:\n${predictorLogs.join('\n')}` : ''),
    );
  }
}

/** The `msg` (and `reason`/`error`) of a pod's last structured log lines, one line. */
async function lastLogMessages(kubectl: Kubectl, pod: string, lines: number): Promise<string> {
  const logs = await kubectl.run(['-n', NAMESPACE, 'logs', pod, `--tail=${lines}`]);
  return logs.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      try {
        const entry = JSON.parse(line) as { time?: number; msg?: string; reason?: string; error?: string };
        const detail = entry.reason ?? entry.error;
        return `${new Date(entry.time ?? 0).toISOString().slice(11, 19)} ${entry.msg}${detail ? ` (${detail})` : ''}`;
      } catch {
        return line.slice(0, 200);
      }
    })
    .join(' | ');
}

export interface FlowResult {
  sent: number;
  missing: number;
  duplicates: number;
  /** Set by the fault: ms from the fault to processing resuming (predictor deletion). */
  resumeMs?: number;
}

/**
 * Replays `records` flight records at `rate` per second through the bootstrap NodePort, calls `fault` once
 * `faultAfterMs` into the replay, and collects every output with the run's key prefix.
 */
export async function flowWithFault(
  kubectl: Kubectl,
  bootstrap: string,
  options: { records: number; rate: number; faultAfterMs: number; label: string },
  fault: (collector: OutputCollector) => Promise<void>,
): Promise<{ result: FlowResult; collector: OutputCollector }> {
  const runId = `${options.label}-${randomBytes(3).toString('hex')}`;
  // The demo's principals (replay writes the input, the collector reads the outputs), from the stack's Secrets.
  const client = async (role: 'demoReplay' | 'demoCollector') =>
    createKafkaClient({ clientId: `k8s-fault-${runId}`, brokers: [bootstrap], logLevel: logLevel.NOTHING, security: await kubernetesClientSecurity(kubectl, NAMESPACE, role) });
  const collector = new OutputCollector(await client('demoCollector'), {
    outputTopic: TOPIC_NAMES.output,
    deadLetterTopic: TOPIC_NAMES.deadLetter,
    groupId: `${DEMO_COLLECTOR_GROUP_PREFIX}-k8s-fault-${runId}`,
    keyPrefix: `${runId}-`,
  });
  const producer = (await client('demoReplay')).producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
  await collector.start();
  await producer.connect();
  try {
    const records = readFlightLines(dataFilePath(), options.records, `${runId}-`);
    const replaying = replay(producer, records, { topic: TOPIC_NAMES.input, ratePerSecond: options.rate });
    await sleep(options.faultAfterMs);
    await fault(collector);
    const sent = await replaying;
    await collector.waitForKeys(sent, 240_000);
    return {
      result: {
        sent,
        missing: collector.missingKeys(records.map((r) => r.key)).length,
        duplicates: collector.duplicateKeys().length,
      },
      collector,
    };
  } finally {
    await producer.disconnect().catch(() => undefined);
    await collector.stop().catch(() => undefined);
  }
}

/** Evicts a pod through the Eviction API (what kubectl drain does); the API's answer, refused or not. */
export async function evict(kubectl: Kubectl, pod: string): Promise<{ accepted: boolean; message: string }> {
  const eviction = JSON.stringify({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: pod, namespace: NAMESPACE } });
  const result = await kubectl.run(['create', '--raw', `/api/v1/namespaces/${NAMESPACE}/pods/${pod}/eviction`, '-f', '-'], { input: eviction });
  return { accepted: result.code === 0, message: `${result.stdout}${result.stderr}`.trim() };
}
