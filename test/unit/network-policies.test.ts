// The streaming stacks' NetworkPolicies, read from the synthesized JSON and evaluated with NetworkPolicy semantics
// against the pod labels the workloads really carry (their synthesized pod templates).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Testing, TerraformStack } from 'cdktf';
import { loadEnvironments } from '../../config';
import { cidrContains, isCidr, parseCidr } from '../../config/cidr';
import type { ResolvedEnvironment } from '../../config/schema';
import { ConfigError } from '../../contracts/config-error';
import { NETWORK_POLICIES_DEFAULTS, NetworkPolicies, type NetworkPoliciesProps } from '../../constructs/k8s/network-policies';
import { StreamingStack, streamingStackName } from '../../stacks/streaming-stack';
import { resourcesOfType, synthStack, type Json, type StackJson } from '../harness/synth';

const NAMES = NETWORK_POLICIES_DEFAULTS.names;
const environments = loadEnvironments({});

interface Source {
  readonly name: string;
  readonly namespace?: string;
  readonly labels?: Record<string, string>;
  /** A client outside the cluster, as the brokers see it. */
  readonly address?: string;
}

function synth(environment: ResolvedEnvironment): { stack: StreamingStack; json: StackJson } {
  const stack = new StreamingStack(Testing.app(), streamingStackName(environment.name), { environment });
  return { stack, json: synthStack(stack) };
}

function policies(json: StackJson): Json[] {
  return resourcesOfType(json, 'kubernetes_network_policy_v1').map((element) => element.config);
}

function policy(json: StackJson, name: string): Json {
  const found = policies(json).filter((config) => config.metadata.name === name);
  assert.equal(found.length, 1, `one NetworkPolicy ${name}`);
  return found[0];
}

/** A label selector in the provider's JSON: absent or without match_labels selects everything. */
function selects(selector: Json, labels: Record<string, string>): boolean {
  assert.equal(selector?.match_expressions, undefined, 'the stack uses matchLabels only');
  return Object.entries(selector?.match_labels ?? {}).every(([key, value]) => labels[key] === value);
}

function peerAdmits(peer: Json, source: Source, policyNamespace: string): boolean {
  if (peer.ip_block) {
    const block = parseCidr(peer.ip_block.cidr);
    const address = source.address === undefined ? undefined : parseCidr(`${source.address}/32`);
    return isCidr(block) && address !== undefined && isCidr(address) && cidrContains(block, address);
  }
  if (source.address !== undefined) return false;
  // Namespaces carry their name as the kubernetes.io/metadata.name label.
  const namespaceMatches = peer.namespace_selector
    ? selects(peer.namespace_selector, { 'kubernetes.io/metadata.name': source.namespace! })
    : source.namespace === policyNamespace;
  const podMatches = peer.pod_selector ? selects(peer.pod_selector, source.labels ?? {}) : true;
  return namespaceMatches && podMatches;
}

/** Whether `source` may open a TCP connection to a pod with `labels` in `namespace` on `port`. */
function admits(all: Json[], namespace: string, labels: Record<string, string>, port: number, source: Source): boolean {
  const isolating = all.filter(
    (p) => p.metadata.namespace === namespace && p.spec.policy_types.includes('Ingress') && selects(p.spec.pod_selector, labels),
  );
  if (isolating.length === 0) return true;
  return isolating.some((p) =>
    (p.spec.ingress ?? []).some(
      (rule: Json) =>
        (rule.ports ?? []).some((entry: Json) => Number(entry.port) === port && entry.protocol === 'TCP') &&
        (rule.from ?? []).some((peer: Json) => peerAdmits(peer, source, p.metadata.namespace)),
    ),
  );
}

function podTemplate(json: StackJson, type: string, name: string): Json {
  const found = resourcesOfType(json, type).filter((element) => element.config.metadata.name.startsWith(name));
  assert.equal(found.length, 1, `${type} ${name}`);
  return found[0].config.spec.template;
}

function containerPort(template: Json, name: string): number {
  const port = template.spec.container[0].port.find((entry: Json) => entry.name === name);
  assert.ok(port, `container port ${name}`);
  return port.container_port;
}

for (const environment of environments) {
  const { stack, json } = synth(environment);
  const namespace = environment.streaming.namespace;
  const zookeeperPod = podTemplate(json, 'kubernetes_stateful_set_v1', 'zookeeper');
  const brokerPod = podTemplate(json, 'kubernetes_stateful_set_v1', 'kafka');
  const predictorPod = podTemplate(json, 'kubernetes_deployment_v1', stack.prediction.name);
  const topicsPod = podTemplate(json, 'kubernetes_job_v1', 'kafka-topics');
  const accessPod = podTemplate(json, 'kubernetes_job_v1', 'kafka-access');
  const credentialsPod = podTemplate(json, 'kubernetes_job_v1', 'kafka-credentials');
  const inNamespace = (name: string, template: Json): Source => ({ name, namespace, labels: template.metadata.labels });
  const sources: Source[] = [
    inNamespace('zookeeper', zookeeperPod),
    inNamespace('broker', brokerPod),
    inNamespace('predictor', predictorPod),
    inNamespace('topics-job', topicsPod),
    inNamespace('access-job', accessPod),
    inNamespace('credentials-job', credentialsPod),
    { name: 'unlabelled', namespace, labels: {} },
    { name: 'other-app', namespace, labels: { 'app.kubernetes.io/name': 'other', 'app.kubernetes.io/part-of': 'airline-streaming' } },
    { name: 'monitoring', namespace: environment.streaming.monitoringNamespace, labels: { 'app.kubernetes.io/name': 'prometheus' } },
    { name: 'predictor-labels-elsewhere', namespace: 'elsewhere', labels: predictorPod.metadata.labels },
    { name: 'outside-client', address: '198.51.100.7' },
  ];
  const admitted = (template: Json, port: number) =>
    sources.filter((source) => admits(policies(json), namespace, template.metadata.labels, port, source)).map((source) => source.name);

  test(`${environment.name}: ingress is denied by default for every pod of the namespace, egress is left open`, () => {
    const deny = policy(json, NAMES.defaultDeny);
    assert.equal(deny.metadata.namespace, namespace);
    assert.deepEqual(deny.spec.pod_selector, {}, 'selects every pod');
    assert.deepEqual(deny.spec.policy_types, ['Ingress']);
    assert.equal(deny.spec.ingress, undefined, 'admits nothing');
    for (const config of policies(json)) assert.deepEqual(config.spec.policy_types, ['Ingress'], config.metadata.name);
    // A pod that no allow rule names gets nothing on any port.
    for (const port of [9092, 2181, 8080, 9094, 22]) {
      assert.deepEqual(admits(policies(json), namespace, { 'app.kubernetes.io/name': 'new-app' }, port, sources[1]), false, `port ${port}`);
    }
  });

  test(`${environment.name}: exactly the expected policies, created allow rules first`, () => {
    const external = stack.kafka.externalPort !== undefined;
    const expected = [NAMES.defaultDeny, NAMES.zookeeper, NAMES.broker, ...(external ? [NAMES.external] : []), NAMES.metrics];
    assert.deepEqual(policies(json).map((config) => config.metadata.name).sort(), [...expected].sort());
    assert.deepEqual([...stack.networkPolicies.policyNames].sort(), [...expected].sort());
    const deny = resourcesOfType(json, 'kubernetes_network_policy_v1').find((element) => element.config.metadata.name === NAMES.defaultDeny)!;
    for (const allow of resourcesOfType(json, 'kubernetes_network_policy_v1').filter((element) => element.name !== deny.name)) {
      assert.ok(deny.config.depends_on.includes(`kubernetes_network_policy_v1.${allow.name}`), `default deny waits for ${allow.config.metadata.name}`);
    }
  });

  test(`${environment.name}: ZooKeeper's client, peer and election ports admit exactly ZooKeeper and the brokers`, () => {
    const ports = ['client', 'peer', 'election'].map((name) => containerPort(zookeeperPod, name));
    assert.deepEqual(ports, [2181, 2888, 3888]);
    // The access Job writes credentials and ACLs to ZooKeeper: the client port only.
    assert.deepEqual(admitted(zookeeperPod, ports[0]), ['zookeeper', 'broker', 'access-job']);
    for (const port of ports.slice(1)) assert.deepEqual(admitted(zookeeperPod, port), ['zookeeper', 'broker'], `port ${port}`);
    assert.deepEqual(admitted(zookeeperPod, 9092), [], 'no other port');
  });

  test(`${environment.name}: the brokers' internal port admits exactly the brokers, the predictors and the topics Job`, () => {
    const port = containerPort(brokerPod, 'internal');
    assert.equal(port, 9092);
    assert.deepEqual(admitted(brokerPod, port), ['broker', 'predictor', 'topics-job']);
    assert.deepEqual(admitted(brokerPod, 2181), [], 'no other port');
  });

  test(`${environment.name}: the brokers' mutual-TLS replication port admits the brokers only`, () => {
    const port = containerPort(brokerPod, 'replication');
    assert.equal(port, 9093);
    assert.deepEqual(admitted(brokerPod, port), ['broker']);
  });

  test(`${environment.name}: the predictors' metrics port admits only the monitoring namespace`, () => {
    const port = containerPort(predictorPod, 'http');
    assert.equal(String(port), predictorPod.metadata.annotations['prometheus.io/port']);
    assert.deepEqual(admitted(predictorPod, port), ['monitoring']);
    const rule = policy(json, NAMES.metrics).spec.ingress;
    assert.deepEqual(rule, [{
      from: [{ namespace_selector: { match_labels: { 'kubernetes.io/metadata.name': environment.streaming.monitoringNamespace } } }],
      ports: [{ port: String(port), protocol: 'TCP' }],
    }]);
  });

  const externalPort = stack.kafka.externalPort;
  test(`${environment.name}: the EXTERNAL listener ${externalPort === undefined ? 'is absent and so is its rule' : 'admits any address on its port only'}`, () => {
    const outsideOn = (port: number) => admitted(brokerPod, port).includes('outside-client');
    assert.equal(outsideOn(9092), false, 'outside clients never reach the internal listener');
    if (externalPort === undefined) {
      assert.equal(policies(json).some((config) => config.metadata.name === NAMES.external), false);
      return;
    }
    assert.equal(externalPort, containerPort(brokerPod, 'external'));
    assert.deepEqual(admitted(brokerPod, externalPort), ['outside-client']);
    assert.deepEqual(policy(json, NAMES.external).spec.ingress, [
      { from: [{ ip_block: { cidr: '0.0.0.0/0' } }], ports: [{ port: String(externalPort), protocol: 'TCP' }] },
    ]);
  });
}

test('the monitoring namespace comes from the environment', () => {
  const local = environments.find((environment) => environment.target === 'local')!;
  const environment = { ...local, streaming: { ...local.streaming, monitoringNamespace: 'observability' } };
  const { json } = synth(environment);
  const [peer] = policy(json, NAMES.metrics).spec.ingress[0].from;
  assert.deepEqual(peer, { namespace_selector: { match_labels: { 'kubernetes.io/metadata.name': 'observability' } } });
});

const baseProps: NetworkPoliciesProps = {
  namespace: 'kafka',
  zookeeperPodLabels: { 'app.kubernetes.io/name': 'zookeeper' },
  brokerPodLabels: { 'app.kubernetes.io/name': 'kafka' },
  predictorPodLabels: { 'app.kubernetes.io/name': 'airline-predictor' },
  topicsJobPodLabels: { 'app.kubernetes.io/name': 'kafka-topics' },
  monitoringNamespace: 'monitoring',
};

function constructJson(props: NetworkPoliciesProps): StackJson {
  const stack = new TerraformStack(Testing.app(), 'policies');
  new NetworkPolicies(stack, 'policies', props);
  return synthStack(stack);
}

test('NetworkPolicies: given external source CIDRs replace the any-address default', () => {
  const json = constructJson({ ...baseProps, externalPort: 9094, externalSourceCidrs: ['10.2.0.0/16', '203.0.113.0/24'] });
  assert.deepEqual(policy(json, NAMES.external).spec.ingress[0].from, [{ ip_block: { cidr: '10.2.0.0/16' } }, { ip_block: { cidr: '203.0.113.0/24' } }]);
});

test('NetworkPolicies: refuses an empty pod selector, a namespace that is not a DNS label, no metrics port and bad CIDRs', () => {
  const refused = (props: NetworkPoliciesProps, field: string) =>
    assert.throws(() => constructJson(props), (error: unknown) => error instanceof ConfigError && error.issues[0].field === `NetworkPolicies.${field}`);
  refused({ ...baseProps, predictorPodLabels: {} }, 'predictorPodLabels');
  refused({ ...baseProps, topicsJobPodLabels: {} }, 'topicsJobPodLabels');
  refused({ ...baseProps, monitoringNamespace: 'Monitoring' }, 'monitoringNamespace');
  refused({ ...baseProps, metricsPorts: [] }, 'metricsPorts');
  refused({ ...baseProps, externalPort: 9094, externalSourceCidrs: [] }, 'externalSourceCidrs');
  refused({ ...baseProps, externalPort: 9094, externalSourceCidrs: ['10.0.0.1/8'] }, 'externalSourceCidrs');
});
