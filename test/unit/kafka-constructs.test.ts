// Synth tests of the Kafka/ZooKeeper constructs: each builds one construct in a bare stack and inspects the JSON.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TerraformStack, Testing } from 'cdktf';
import { BROKER_DEFAULTS, EXTERNAL_NODE_PORTS, ZOOKEEPER_DEFAULTS } from '../../contracts/kafka-settings';
import { ZooKeeperEnsemble } from '../../constructs/kafka/zookeeper-ensemble';
import { ClusterOwnedBrokerSettingError, KafkaCluster, type KafkaClusterProps } from '../../constructs/kafka/kafka-cluster';
import { BOUNDS } from '../../contracts/bounds';
import { ConfigError } from '../../contracts/config-error';
import { BootstrapVip, INTERNAL_NLB_ANNOTATIONS } from '../../constructs/kafka/bootstrap-vip';
import { KafkaTopics } from '../../constructs/kafka/kafka-topics';
import { EncryptedGp3StorageClass } from '../../constructs/kafka/storage-class';
import { KafkaExternalDns } from '../../constructs/kafka/external-dns';
import { resourcesOfType, synthStack, type Json, type StackJson } from '../harness/synth';

function build(compose: (stack: TerraformStack) => void): StackJson {
  const stack = new TerraformStack(Testing.app(), 'test');
  compose(stack);
  return synthStack(stack);
}

function only(stack: StackJson, type: string): Json {
  const found = resourcesOfType(stack, type);
  assert.equal(found.length, 1, `expected one ${type}, found ${found.length}`);
  return found[0].config;
}

function configMapData(stack: StackJson, nameSuffix: string): Record<string, string> {
  const found = resourcesOfType(stack, 'kubernetes_config_map_v1').filter((cm) => cm.config.metadata.name.endsWith(nameSuffix));
  assert.equal(found.length, 1, `expected one ConfigMap *${nameSuffix}`);
  return found[0].config.data;
}

function properties(text: string): Map<string, string> {
  return new Map(
    text
      .split('\n')
      .filter((line) => line.includes('='))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)] as [string, string]),
  );
}

const topics = [
  { name: 'AirlineInputTopic', partitions: 10, replicationFactor: 3, config: { 'min.insync.replicas': '2' } },
  { name: 'AirlineOutputTopic', partitions: 10, replicationFactor: 3, config: { 'min.insync.replicas': '2' } },
];

test('ZooKeeper: 3 servers, zoo.cfg lists every peer by its stable name, shared defaults applied', () => {
  const stack = build((s) => new ZooKeeperEnsemble(s, 'zk', { namespace: 'kafka', storageClassName: 'fast' }));
  const sts = only(stack, 'kubernetes_stateful_set_v1');
  assert.equal(sts.spec.replicas, '3');
  assert.equal(sts.spec.pod_management_policy, 'Parallel');
  const cfg = properties(configMapData(stack, 'zookeeper-config')['zoo.cfg']);
  for (const id of [1, 2, 3]) {
    assert.equal(
      cfg.get(`server.${id}`),
      `zookeeper-${id - 1}.zookeeper-headless.kafka.svc.cluster.local:2888:3888;2181`,
    );
  }
  assert.equal(cfg.has('server.4'), false);
  for (const [key, value] of Object.entries(ZOOKEEPER_DEFAULTS)) assert.equal(cfg.get(key), value, key);
  assert.equal(cfg.get('standaloneEnabled'), 'false');
  // myid comes from the ordinal + 1.
  assert.match(sts.spec.template.spec.container[0].command.join(' '), /ZOO_MY_ID=\$\(\( \$\$\{HOSTNAME##\*-\} \+ 1 \)\)/);
});

test('ZooKeeper: probes, resources from the heap, volumes, PDB and Services', () => {
  const stack = build((s) => new ZooKeeperEnsemble(s, 'zk', { namespace: 'kafka', heapMb: 700, storageGiB: 7, storageClassName: 'fast' }));
  const pod = only(stack, 'kubernetes_stateful_set_v1').spec.template.spec;
  const container = pod.container[0];
  assert.match(container.readiness_probe.exec.command.join(' '), /echo srvr \| nc .*grep -q '\^Mode: '/);
  assert.match(container.liveness_probe.exec.command.join(' '), /echo ruok \| nc .*imok/);
  assert.deepEqual(container.env.find((e: Json) => e.name === 'ZK_SERVER_HEAP'), { name: 'ZK_SERVER_HEAP', value: '700' });
  assert.equal(container.resources.requests.memory, `${700 + 384}Mi`);
  assert.equal(container.resources.limits.memory, `${700 + 384}Mi`);
  const claim = only(stack, 'kubernetes_stateful_set_v1').spec.volume_claim_template[0];
  assert.equal(claim.spec.resources.requests.storage, '7Gi');
  assert.equal(claim.spec.storage_class_name, 'fast');
  assert.ok(container.volume_mount.some((m: Json) => m.name === 'data' && m.mount_path === '/data'));
  const pdb = only(stack, 'kubernetes_pod_disruption_budget_v1');
  assert.equal(pdb.spec.max_unavailable, '1');
  assert.deepEqual(pdb.spec.selector.match_labels, only(stack, 'kubernetes_stateful_set_v1').spec.selector.match_labels);
  const services = resourcesOfType(stack, 'kubernetes_service_v1').map((s) => s.config);
  const headless = services.find((s) => s.metadata.name === 'zookeeper-headless');
  assert.equal(headless.spec.cluster_ip, 'None');
  assert.equal(headless.spec.publish_not_ready_addresses, true);
  assert.deepEqual(headless.spec.port.map((p: Json) => p.port).sort(), [2181, 2888, 3888]);
  assert.ok(services.some((s) => s.metadata.name === 'zookeeper-client' && s.spec.port[0].port === 2181));
});

test('placement: strict = one server per node (required) and zone spread DoNotSchedule; relaxed = preferences', () => {
  const strict = only(build((s) => new ZooKeeperEnsemble(s, 'zk', { namespace: 'kafka' })), 'kubernetes_stateful_set_v1');
  const strictPod = strict.spec.template.spec;
  const required = strictPod.affinity.pod_anti_affinity.required_during_scheduling_ignored_during_execution;
  assert.equal(required[0].topology_key, 'kubernetes.io/hostname');
  assert.deepEqual(required[0].label_selector[0].match_labels, strict.spec.selector.match_labels);
  assert.equal(strictPod.topology_spread_constraint[0].topology_key, 'topology.kubernetes.io/zone');
  assert.equal(strictPod.topology_spread_constraint[0].when_unsatisfiable, 'DoNotSchedule');
  assert.equal(strictPod.topology_spread_constraint[0].max_skew, 1);

  const relaxed = only(build((s) => new ZooKeeperEnsemble(s, 'zk', { namespace: 'kafka', strictPlacement: false })), 'kubernetes_stateful_set_v1');
  const relaxedPod = relaxed.spec.template.spec;
  assert.equal(relaxedPod.affinity.pod_anti_affinity.required_during_scheduling_ignored_during_execution, undefined);
  assert.equal(relaxedPod.affinity.pod_anti_affinity.preferred_during_scheduling_ignored_during_execution[0].weight, 100);
  assert.equal(relaxedPod.topology_spread_constraint[0].when_unsatisfiable, 'ScheduleAnyway');
});

test('ZooKeeper: an even or zero server count is refused', () => {
  assert.throws(() => build((s) => new ZooKeeperEnsemble(s, 'zk', { namespace: 'kafka', replicas: 2 })), /odd number/);
  assert.throws(() => build((s) => new ZooKeeperEnsemble(s, 'zk', { namespace: 'kafka', replicas: 0 })), /odd number/);
});

test('Kafka: 3 brokers with every shared RF-3 default, ZooKeeper connect and listeners in server.properties', () => {
  const stack = build((s) => new KafkaCluster(s, 'kafka', { namespace: 'kafka', zookeeperConnect: 'zk-0:2181,zk-1:2181' }));
  assert.equal(only(stack, 'kubernetes_stateful_set_v1').spec.replicas, '3');
  const props = properties(configMapData(stack, 'kafka-config')['server.properties']);
  for (const [key, value] of Object.entries(BROKER_DEFAULTS)) assert.equal(props.get(key), value, key);
  assert.equal(props.get('default.replication.factor'), '3');
  assert.equal(props.get('min.insync.replicas'), '2');
  assert.equal(props.get('unclean.leader.election.enable'), 'false');
  assert.equal(props.get('auto.create.topics.enable'), 'false');
  assert.equal(props.get('zookeeper.connect'), 'zk-0:2181,zk-1:2181');
  assert.equal(props.get('listeners'), 'INTERNAL://:9092');
  assert.equal(props.get('inter.broker.listener.name'), 'INTERNAL');
  // Per-broker values are the start script's job, never static.
  assert.equal(props.has('broker.id'), false);
  assert.equal(props.has('broker.rack'), false);
});

function kafkaCluster(props: Partial<KafkaClusterProps>): StackJson {
  return build((s) => new KafkaCluster(s, 'kafka', { namespace: 'kafka', zookeeperConnect: 'zk:2181', ...props }));
}

test('Kafka: brokerConfig may change shared settings but not the ones the cluster derives itself', () => {
  const props = properties(configMapData(kafkaCluster({ brokerConfig: { 'log.retention.hours': '24' } }), 'kafka-config')['server.properties']);
  assert.equal(props.get('log.retention.hours'), '24');
  for (const key of ['listeners', 'advertised.listeners', 'zookeeper.connect', 'broker.id', 'broker.rack', 'log.dirs', 'inter.broker.listener.name']) {
    assert.throws(
      () => kafkaCluster({ brokerConfig: { [key]: 'x' } }),
      (error: unknown) =>
        error instanceof ClusterOwnedBrokerSettingError &&
        error instanceof ConfigError &&
        error.message.startsWith(`config error, field KafkaCluster.brokerConfig.${key}: is set by the construct itself`),
      key,
    );
  }
});

test('Kafka and ZooKeeper: heap bounds are the config bounds, refused as config errors', () => {
  assert.throws(
    () => kafkaCluster({ heapMb: BOUNDS.kafkaHeapMb.min - 1 }),
    /^ConfigError: config error, field KafkaCluster\.heapMb: 255 is out of range\. Fix: use a whole number between 256 and 65536\.$/,
  );
  assert.equal(only(kafkaCluster({ heapMb: BOUNDS.kafkaHeapMb.min }), 'kubernetes_stateful_set_v1').spec.template.spec.container[0].resources.limits.memory, '512Mi');
  assert.throws(
    () => build((s) => new ZooKeeperEnsemble(s, 'zk', { namespace: 'kafka', heapMb: BOUNDS.zookeeperHeapMb.min - 1 })),
    /field ZooKeeperEnsemble\.heapMb: 63 is out of range/,
  );
});

test('Kafka: fewer than 3 brokers scale the replication rules down instead of breaking', () => {
  const stack = build((s) => new KafkaCluster(s, 'kafka', { namespace: 'kafka', zookeeperConnect: 'zk:2181', brokers: 1 }));
  const props = properties(configMapData(stack, 'kafka-config')['server.properties']);
  assert.equal(props.get('default.replication.factor'), '1');
  assert.equal(props.get('offsets.topic.replication.factor'), '1');
  assert.equal(props.get('min.insync.replicas'), '1');
});

test('Kafka: probes mean "registered and serving", volumes encrypted class, PDB, heap', () => {
  const stack = build((s) =>
    new KafkaCluster(s, 'kafka', { namespace: 'kafka', zookeeperConnect: 'zk:2181', heapMb: 2048, storageGiB: 50, storageClassName: 'kafka-gp3-encrypted' }),
  );
  const sts = only(stack, 'kubernetes_stateful_set_v1');
  const kafka = sts.spec.template.spec.container[0];
  assert.deepEqual(kafka.readiness_probe.exec.command, ['bash', '/opt/airline/config/broker-ready.sh']);
  assert.match(configMapData(stack, 'kafka-config')['broker-ready.sh'], /kafka\.admin\.BrokerApiVersionsCommand/);
  assert.equal(kafka.startup_probe.tcp_socket[0].port, 'internal');
  assert.equal(kafka.liveness_probe.tcp_socket[0].port, 'internal');
  assert.deepEqual(kafka.env.find((e: Json) => e.name === 'KAFKA_HEAP_OPTS'), { name: 'KAFKA_HEAP_OPTS', value: '-Xmx2048m -Xms2048m' });
  assert.equal(kafka.resources.requests.memory, '4096Mi');
  const claim = sts.spec.volume_claim_template[0];
  assert.equal(claim.spec.storage_class_name, 'kafka-gp3-encrypted');
  assert.equal(claim.spec.resources.requests.storage, '50Gi');
  assert.deepEqual(sts.spec.persistent_volume_claim_retention_policy, [{ when_deleted: 'Delete', when_scaled: 'Retain' }]);
  const pdb = only(stack, 'kubernetes_pod_disruption_budget_v1');
  assert.equal(pdb.spec.max_unavailable, '1');
  assert.deepEqual(pdb.spec.selector.match_labels, sts.spec.selector.match_labels);
});

test('Kafka rack: node-zone init container, node-read-only RBAC, API token only in the init container', () => {
  const stack = build((s) => new KafkaCluster(s, 'kafka', { namespace: 'kafka', zookeeperConnect: 'zk:2181' }));
  const pod = only(stack, 'kubernetes_stateful_set_v1').spec.template.spec;
  const init = pod.init_container[0];
  assert.deepEqual(init.command, ['node', '/app/node-zone.js']);
  assert.deepEqual(init.env.find((e: Json) => e.name === 'NODE_NAME').value_from.field_ref.field_path, 'spec.nodeName');
  assert.equal(init.env.find((e: Json) => e.name === 'ZONE_LABEL').value, 'topology.kubernetes.io/zone');
  assert.equal(pod.automount_service_account_token, false);
  const tokenVolume = pod.volume.find((v: Json) => v.projected);
  assert.ok(tokenVolume.projected[0].sources.some((source: Json) => source.service_account_token?.path === 'token'));
  assert.ok(init.volume_mount.some((m: Json) => m.name === tokenVolume.name));
  assert.ok(!pod.container[0].volume_mount.some((m: Json) => m.name === tokenVolume.name));
  // The broker reads the file the init container writes.
  const rackFile = init.env.find((e: Json) => e.name === 'RACK_FILE').value;
  assert.equal(pod.container[0].env.find((e: Json) => e.name === 'RACK_FILE').value, rackFile);
  const fallback = (env: Json[]) => env.find((e: Json) => e.name === 'FALLBACK_RACK').value;
  assert.equal(fallback(pod.container[0].env), fallback(init.env));
  const role = only(stack, 'kubernetes_cluster_role_v1');
  // list: the certificate issuer names every node's address for node-port clients.
  assert.deepEqual(role.rule, [{ api_groups: [''], resources: ['nodes'], verbs: ['get', 'list'] }]);
  const binding = only(stack, 'kubernetes_cluster_role_binding_v1');
  assert.equal(binding.subject[0].namespace, 'kafka');
  assert.match(pod.service_account_name, /^\$\{kubernetes_service_account_v1\.kafka_rack_service-account_[0-9A-F]+\.metadata\[0\]\.name\}$/);
});

test('Kafka: an external listener adds port 9094 and the advertised name template; a template without {id} is refused', () => {
  const stack = build((s) =>
    new KafkaCluster(s, 'kafka', { namespace: 'kafka', zookeeperConnect: 'zk:2181', externalListener: { hostTemplate: 'broker-{id}.kafka.x.internal' } }),
  );
  const props = properties(configMapData(stack, 'kafka-config')['server.properties']);
  assert.equal(props.get('listeners'), 'INTERNAL://:9092,EXTERNAL://:9094');
  assert.equal(props.get('listener.security.protocol.map'), 'INTERNAL:PLAINTEXT,EXTERNAL:PLAINTEXT');
  const kafka = only(stack, 'kubernetes_stateful_set_v1').spec.template.spec.container[0];
  assert.equal(kafka.env.find((e: Json) => e.name === 'EXTERNAL_HOST_TEMPLATE').value, 'broker-{id}.kafka.x.internal');
  assert.ok(kafka.port.some((p: Json) => p.container_port === 9094));
  assert.throws(
    () => build((s) => new KafkaCluster(s, 'kafka', { namespace: 'kafka', zookeeperConnect: 'zk:2181', externalListener: { hostTemplate: 'broker.x' } })),
    /must contain \{id\}/,
  );
});

test('Kafka: a NodePort listener advertises the node address (downward API) and a NodePort per broker', () => {
  const stack = build((s) => new KafkaCluster(s, 'kafka', { namespace: 'kafka', zookeeperConnect: 'zk:2181', externalListener: { kind: 'nodePort' } }));
  const props = properties(configMapData(stack, 'kafka-config')['server.properties']);
  assert.equal(props.get('listeners'), 'INTERNAL://:9092,EXTERNAL://:9094');
  const env: Json[] = only(stack, 'kubernetes_stateful_set_v1').spec.template.spec.container[0].env;
  const byName = (name: string) => env.find((e: Json) => e.name === name);
  assert.deepEqual(byName('NODE_IP').value_from, { field_ref: { field_path: 'status.hostIP' } });
  // The kubelet expands $(NODE_IP) only from a variable defined earlier in the list.
  assert.ok(env.indexOf(byName('NODE_IP')) < env.indexOf(byName('EXTERNAL_HOST_TEMPLATE')));
  assert.equal(byName('EXTERNAL_HOST_TEMPLATE').value, '$(NODE_IP)');
  assert.equal(byName('EXTERNAL_FIRST_ADVERTISED_PORT').value, String(EXTERNAL_NODE_PORTS.firstBroker));
});

test('BootstrapVip NodePorts: bootstrap and one per broker at the ports the brokers advertise, no load balancers', () => {
  const brokerLabels = { 'app.kubernetes.io/name': 'kafka' };
  const pods = ['kafka-0', 'kafka-1', 'kafka-2'];
  const stack = build((s) => new BootstrapVip(s, 'vip', { namespace: 'kafka', brokerPodLabels: brokerLabels, brokerPodNames: pods, port: 9092, external: { kind: 'nodePort', port: 9094 } }));
  const services = resourcesOfType(stack, 'kubernetes_service_v1').map((s) => s.config);
  assert.equal(services.filter((s) => s.spec.type === 'LoadBalancer').length, 0);
  const nodePorts = services.filter((s) => s.spec.type === 'NodePort');
  const byName = new Map(nodePorts.map((s) => [s.metadata.name, s]));
  assert.deepEqual([...byName.keys()].sort(), ['kafka-0-external', 'kafka-1-external', 'kafka-2-external', 'kafka-bootstrap-external']);
  assert.equal(byName.get('kafka-bootstrap-external').spec.port[0].node_port, EXTERNAL_NODE_PORTS.bootstrap);
  assert.deepEqual(byName.get('kafka-bootstrap-external').spec.selector, brokerLabels);
  pods.forEach((pod, ordinal) => {
    const service = byName.get(`${pod}-external`);
    assert.equal(service.spec.port[0].node_port, EXTERNAL_NODE_PORTS.firstBroker + ordinal);
    assert.equal(service.spec.port[0].target_port, '9094');
    assert.equal(service.spec.selector['statefulset.kubernetes.io/pod-name'], pod);
  });
});

test('BootstrapVip: one ClusterIP Service over the brokers on 9092; no load balancers unless external access', () => {
  const brokerLabels = { 'app.kubernetes.io/name': 'kafka' };
  const stack = build((s) => new BootstrapVip(s, 'vip', { namespace: 'kafka', brokerPodLabels: brokerLabels, brokerPodNames: ['kafka-0', 'kafka-1', 'kafka-2'], port: 9092 }));
  const service = only(stack, 'kubernetes_service_v1');
  assert.equal(service.metadata.name, 'kafka-bootstrap');
  assert.equal(service.spec.type, 'ClusterIP');
  assert.deepEqual(service.spec.selector, brokerLabels);
  assert.equal(service.spec.port[0].port, 9092);
  assert.equal(service.spec.cluster_ip, undefined);
});

test('BootstrapVip external: internal NLB bootstrap + one per broker, source ranges restricted, 0.0.0.0/0 refused', () => {
  const brokerLabels = { 'app.kubernetes.io/name': 'kafka' };
  const pods = ['kafka-0', 'kafka-1', 'kafka-2'];
  const ranges = ['10.0.0.0/16', '203.0.113.0/24'];
  const stack = build((s) =>
    new BootstrapVip(s, 'vip', { namespace: 'kafka', brokerPodLabels: brokerLabels, brokerPodNames: pods, port: 9092, external: { port: 9094, sourceRanges: ranges } }),
  );
  const balancers = resourcesOfType(stack, 'kubernetes_service_v1').map((s) => s.config).filter((s) => s.spec.type === 'LoadBalancer');
  assert.equal(balancers.length, 4);
  for (const lb of balancers) {
    assert.deepEqual(lb.spec.load_balancer_source_ranges, ranges);
    for (const [key, value] of Object.entries(INTERNAL_NLB_ANNOTATIONS)) assert.equal(lb.metadata.annotations[key], value);
    assert.equal(lb.spec.port[0].port, 9094);
  }
  for (const pod of pods) {
    const perBroker = balancers.filter((lb) => lb.spec.selector['statefulset.kubernetes.io/pod-name'] === pod);
    assert.equal(perBroker.length, 1, pod);
  }
  assert.throws(
    () => build((s) => new BootstrapVip(s, 'vip', { namespace: 'kafka', brokerPodLabels: brokerLabels, brokerPodNames: pods, port: 9092, external: { port: 9094, sourceRanges: ['0.0.0.0/0'] } })),
    /0\.0\.0\.0\/0 is refused/,
  );
});

test('KafkaTopics: a Job with retry/deadline/TTL, the spec in its env and a spec hash in its name', () => {
  const stack = build((s) => new KafkaTopics(s, 'topics', { namespace: 'kafka', bootstrap: 'kafka-bootstrap.kafka.svc:9092', topics, expectedBrokers: 3 }));
  const job = only(stack, 'kubernetes_job_v1');
  assert.match(job.metadata.name, /^kafka-topics-[0-9a-f]{10}$/);
  assert.equal(job.metadata.name.slice('kafka-topics-'.length), job.metadata.annotations['airline.io/spec-hash'].slice(0, 10));
  assert.equal(job.spec.backoff_limit, 4);
  assert.equal(job.spec.active_deadline_seconds, 900);
  assert.equal(job.spec.ttl_seconds_after_finished, String(7 * 24 * 3600));
  assert.deepEqual(job.spec.pod_failure_policy.rule[0].on_exit_codes.values, [2, 4]);
  assert.equal(job.wait_for_completion, true);
  const pod = job.spec.template.spec;
  assert.equal(pod.restart_policy, 'Never');
  const env = Object.fromEntries(pod.container[0].env.map((e: Json) => [e.name, e.value]));
  assert.equal(env.KAFKA_BOOTSTRAP, 'kafka-bootstrap.kafka.svc:9092');
  assert.equal(env.EXPECTED_BROKERS, '3');
  assert.deepEqual(JSON.parse(env.TOPICS_SPEC), topics);
  assert.deepEqual(pod.container[0].command, ['node', '/app/topic-provisioner.js']);
});

test('KafkaTopics: same spec -> same Job name; changed partitions or config -> new Job name', () => {
  const jobName = (specTopics: typeof topics) =>
    only(build((s) => new KafkaTopics(s, 'topics', { namespace: 'kafka', bootstrap: 'b:9092', topics: specTopics, expectedBrokers: 3 })), 'kubernetes_job_v1').metadata.name;
  const base = jobName(topics);
  assert.equal(jobName(topics.map((t) => ({ ...t }))), base);
  assert.notEqual(jobName([{ ...topics[0], partitions: 12 }, topics[1]]), base);
  assert.notEqual(jobName([{ ...topics[0], config: { 'min.insync.replicas': '1' } }, topics[1]]), base);
});

test('KafkaTopics: replication factor above the broker count is refused before anything is created', () => {
  assert.throws(
    () => build((s) => new KafkaTopics(s, 'topics', { namespace: 'kafka', bootstrap: 'b:9092', topics, expectedBrokers: 2 })),
    /replication factor above the 2 brokers for AirlineInputTopic \(RF 3\), AirlineOutputTopic \(RF 3\)/,
  );
});

test('StorageClass: encrypted gp3 on the EBS CSI driver, bound at first consumer, deleted with its claim', () => {
  const sc = only(build((s) => new EncryptedGp3StorageClass(s, 'sc')), 'kubernetes_storage_class_v1');
  assert.equal(sc.storage_provisioner, 'ebs.csi.aws.com');
  assert.equal(sc.volume_binding_mode, 'WaitForFirstConsumer');
  assert.equal(sc.reclaim_policy, 'Delete');
  assert.equal(sc.parameters.type, 'gp3');
  assert.equal(sc.parameters.encrypted, 'true');
});

test('StorageClass: volumeRetention retain keeps volumes after their claim; volumeTags become the driver\'s tag parameters', () => {
  const sc = only(build((s) => new EncryptedGp3StorageClass(s, 'sc', { volumeRetention: 'retain', volumeTags: { project: 'p', environment: 'live' } })), 'kubernetes_storage_class_v1');
  assert.equal(sc.reclaim_policy, 'Retain');
  assert.equal(sc.parameters.tagSpecification_1, 'project=p');
  assert.equal(sc.parameters.tagSpecification_2, 'environment=live');
});

test('Kafka and ZooKeeper: volumeRetention retain keeps the claims when the StatefulSet is deleted; the default deletes them', () => {
  const policy = (stack: StackJson) => only(stack, 'kubernetes_stateful_set_v1').spec.persistent_volume_claim_retention_policy;
  assert.deepEqual(policy(kafkaCluster({ volumeRetention: 'retain' })), [{ when_deleted: 'Retain', when_scaled: 'Retain' }]);
  assert.deepEqual(policy(kafkaCluster({})), [{ when_deleted: 'Delete', when_scaled: 'Retain' }]);
  assert.deepEqual(policy(build((s) => new ZooKeeperEnsemble(s, 'zk', { namespace: 'kafka', volumeRetention: 'retain' }))), [{ when_deleted: 'Retain', when_scaled: 'Retain' }]);
  assert.deepEqual(policy(build((s) => new ZooKeeperEnsemble(s, 'zk', { namespace: 'kafka' }))), [{ when_deleted: 'Delete', when_scaled: 'Retain' }]);
});

test('KafkaExternalDns: private zone in the VPC, CNAMEs bootstrap.<domain> and broker-<id>.<domain>', () => {
  const stack = build((s) =>
    new KafkaExternalDns(s, 'dns', { domain: 'kafka.dev.internal', vpcId: 'vpc-123', bootstrapTarget: 'lb-b.elb', brokerTargets: ['lb-0.elb', 'lb-1.elb'] }),
  );
  const zone = only(stack, 'aws_route53_zone');
  assert.equal(zone.name, 'kafka.dev.internal');
  assert.deepEqual(zone.vpc, [{ vpc_id: 'vpc-123' }]);
  const records = resourcesOfType(stack, 'aws_route53_record').map((r) => r.config);
  const byName = Object.fromEntries(records.map((r) => [r.name, r]));
  assert.deepEqual(Object.keys(byName).sort(), ['bootstrap.kafka.dev.internal', 'broker-0.kafka.dev.internal', 'broker-1.kafka.dev.internal']);
  assert.deepEqual(byName['broker-1.kafka.dev.internal'].records, ['lb-1.elb']);
  assert.ok(records.every((r) => r.type === 'CNAME'));
  assert.throws(() => build((s) => new KafkaExternalDns(s, 'dns', { domain: 'Not A Domain', vpcId: 'v', bootstrapTarget: 'x', brokerTargets: [] })), /not a valid DNS domain/);
});
