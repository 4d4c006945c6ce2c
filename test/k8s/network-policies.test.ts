// The streaming stack's NetworkPolicies enforced on the local Kubernetes: the `local` stack is synthesized for a
// namespace of this test, its kubernetes_network_policy_v1 resources become manifests, and a pod with the brokers'
// labels listening on the broker port is reached (or not) by pods with other workloads' labels.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Testing } from 'cdktf';
import { loadEnvironments } from '../../config';
import { StreamingStack, streamingStackName } from '../../stacks/streaming-stack';
import { commandPod, eventually, Kubectl, localKubernetes, type LocalKubernetes } from '../harness/kube';
import { resourcesOfType, synthStack, type Json, type StackJson } from '../harness/synth';

let cluster: LocalKubernetes;
let kubectl: Kubectl;
let namespace: string | undefined;

/** Provider JSON (snake_case, ports as strings) to the API's form; label keys are kept as written. */
function apiForm(value: Json, key = ''): Json {
  if (Array.isArray(value)) return value.map((item) => apiForm(item));
  if (value === null || typeof value !== 'object') return key === 'port' && /^\d+$/.test(value) ? Number(value) : value;
  if (key === 'match_labels' || key === 'labels') return value;
  return Object.fromEntries(
    Object.entries(value).map(([name, item]) => [name.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase()), apiForm(item, name)]),
  );
}

/** The stack's NetworkPolicies as one List for kubectl apply. */
function networkPolicyManifests(json: StackJson): string {
  const items = resourcesOfType(json, 'kubernetes_network_policy_v1').map(({ config }) => ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: apiForm(config.metadata),
    spec: apiForm(config.spec),
  }));
  return JSON.stringify({ apiVersion: 'v1', kind: 'List', items });
}

function podLabels(json: StackJson, type: string, name: string): Record<string, string> {
  const found = resourcesOfType(json, type).filter((element) => element.config.metadata.name === name);
  assert.equal(found.length, 1, `${type} ${name}`);
  return found[0].config.spec.template.metadata.labels;
}

describe('the streaming NetworkPolicies on the local Kubernetes', () => {
  let stack: StreamingStack;
  let json: StackJson;
  let brokerAddress: string;
  let probes = 0;

  /** Whether a pod with these labels opens a TCP connection to the broker-labelled server within 3 s. */
  async function connects(labels: Record<string, string>): Promise<boolean> {
    const name = `probe-${probes++}`;
    await kubectl.apply(
      commandPod({
        name,
        namespace: namespace!,
        image: cluster.images.kafka,
        labels,
        command: ['bash', '-c', `if nc -z -w 3 ${brokerAddress}; then echo CONNECTED; else echo BLOCKED; fi`],
      }),
    );
    const output = (await kubectl.podOutput(namespace!, name)).trim();
    assert.match(output, /^(CONNECTED|BLOCKED)$/, output);
    return output === 'CONNECTED';
  }

  before(async () => {
    cluster = localKubernetes();
    kubectl = new Kubectl(cluster);
    namespace = await kubectl.createNamespace('netpol-test');
    const local = loadEnvironments({}).find((environment) => environment.target === 'local')!;
    const environment = { ...local, streaming: { ...local.streaming, namespace } };
    stack = new StreamingStack(Testing.app(), streamingStackName(local.name), { environment });
    json = synthStack(stack);

    const port = stack.kafka.internalPort;
    await kubectl.apply(
      commandPod({
        name: 'broker',
        namespace,
        image: cluster.images.kafka,
        labels: podLabels(json, 'kubernetes_stateful_set_v1', 'kafka'),
        command: ['nc', '-lk', String(port)],
        extraSpec: `      readinessProbe: { tcpSocket: { port: ${port} }, periodSeconds: 1 }\n`,
      }),
    );
    await kubectl.ok(['-n', namespace, 'wait', 'pod/broker', '--for=condition=Ready', '--timeout=120s'], { timeoutMs: 130_000 });
    const ip = (await kubectl.json(['-n', namespace, 'get', 'pod', 'broker'])).status.podIP;
    brokerAddress = `${ip} ${port}`;
  });

  after(async () => {
    if (namespace) await kubectl.deleteNamespace(namespace);
  });

  it('admits the predictor and refuses other pods on the broker port once the policies are applied', async () => {
    const other = { 'app.kubernetes.io/name': 'other-app', 'app.kubernetes.io/part-of': 'airline-streaming' };
    const predictor = podLabels(json, 'kubernetes_deployment_v1', stack.prediction.name);
    const zookeeper = podLabels(json, 'kubernetes_stateful_set_v1', 'zookeeper');
    // Without a policy every pod connects: the listener and the path work.
    await eventually('the broker-labelled listener reachable before any policy', async () => ((await connects(other)) ? true : undefined), 60_000, 500);

    await kubectl.apply(networkPolicyManifests(json));
    const applied = await kubectl.json<{ items: Json[] }>(['-n', namespace!, 'get', 'networkpolicies']);
    assert.deepEqual(applied.items.map((item) => item.metadata.name).sort(), [...stack.networkPolicies.policyNames].sort());
    // The agent applies policies asynchronously: wait until the other pod is refused, then check each client.
    await eventually('the policies to take effect', async () => ((await connects(other)) ? undefined : true), 60_000, 500);

    assert.equal(await connects(other), false, 'a pod of another app cannot connect');
    assert.equal(await connects({}), false, 'an unlabelled pod cannot connect');
    assert.equal(await connects(zookeeper), false, 'ZooKeeper is no client of the brokers');
    assert.equal(await connects(predictor), true, 'a pod with the predictor labels connects');
    assert.equal(await connects(podLabels(json, 'kubernetes_job_v1', stack.topics.jobName)), true, 'a pod with the topics Job labels connects');
  });
});
