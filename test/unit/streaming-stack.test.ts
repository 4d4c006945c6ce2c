// The streaming-<env> stacks of the real environments (config/environments.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { App, Testing } from 'cdktf';
import { loadEnvironments } from '../../config';
import type { ResolvedEnvironment } from '../../config/schema';
import { StreamingStack, streamingStackName } from '../../stacks/streaming-stack';
import { EXTERNAL_NODE_PORTS } from '../../contracts/kafka-settings';
import {
  allResources,
  dataSourcesOfType,
  providerBlocks,
  readSynthesizedStacks,
  resourcesOfType,
  runApp,
  synthStack,
  type Json,
  type StackJson,
} from '../harness/synth';

const environments = loadEnvironments({});
const awsEnvironments = environments.filter((e) => e.target === 'aws');
const localEnvironments = environments.filter((e) => e.target === 'local');

function synthEnvironment(environment: ResolvedEnvironment): StackJson {
  const stack = new StreamingStack(Testing.app(), streamingStackName(environment.name), { environment });
  return synthStack(stack);
}

const synthesized = new Map(environments.map((e) => [e.name, synthEnvironment(e)]));

function statefulSet(stack: StackJson, name: string): Json {
  const found = resourcesOfType(stack, 'kubernetes_stateful_set_v1').filter((s) => s.config.metadata.name === name);
  assert.equal(found.length, 1, `StatefulSet ${name}`);
  return found[0].config;
}

test('there is an aws and a local environment to test', () => {
  assert.ok(awsEnvironments.length >= 1);
  assert.ok(localEnvironments.length >= 1);
});

for (const environment of awsEnvironments) {
  test(`${environment.name}: kubernetes provider authenticates with aws eks get-token, cluster found by name`, () => {
    const stack = synthesized.get(environment.name)!;
    const [provider] = providerBlocks(stack, 'kubernetes');
    assert.equal(providerBlocks(stack, 'kubernetes').length, 1);
    assert.equal(provider.token, undefined, 'no long-lived token');
    assert.equal(provider.config_path, undefined);
    const [exec] = provider.exec;
    assert.equal(exec.command, 'aws');
    assert.equal(exec.api_version, 'client.authentication.k8s.io/v1beta1');
    assert.deepEqual(exec.args.slice(0, 6), ['eks', 'get-token', '--cluster-name', environment.aws!.clusterName, '--region', environment.aws!.region]);
    const [cluster] = dataSourcesOfType(stack, 'aws_eks_cluster');
    assert.equal(cluster.config.name, environment.aws!.clusterName);
    assert.equal(provider.host, `\${data.aws_eks_cluster.${cluster.name}.endpoint}`);
    assert.equal(provider.cluster_ca_certificate, `\${base64decode(data.aws_eks_cluster.${cluster.name}.certificate_authority[0].data)}`);
    assert.equal(providerBlocks(stack, 'aws')[0].region, environment.aws!.region);
  });

  test(`${environment.name}: encrypted gp3 volumes and hard spread rules for ZooKeeper and Kafka`, () => {
    const stack = synthesized.get(environment.name)!;
    const [storageClass] = resourcesOfType(stack, 'kubernetes_storage_class_v1');
    assert.equal(storageClass.config.parameters.encrypted, 'true');
    for (const name of ['zookeeper', 'kafka']) {
      const sts = statefulSet(stack, name);
      assert.equal(sts.spec.volume_claim_template[0].spec.storage_class_name, `\${kubernetes_storage_class_v1.${storageClass.name}.metadata[0].name}`);
      assert.ok(sts.spec.template.spec.affinity.pod_anti_affinity.required_during_scheduling_ignored_during_execution, name);
      assert.equal(sts.spec.template.spec.topology_spread_constraint[0].when_unsatisfiable, 'DoNotSchedule');
    }
  });
}

for (const environment of localEnvironments) {
  test(`${environment.name}: kubeconfig context, no AWS provider or resources, cluster default storage, relaxed spread`, () => {
    const stack = synthesized.get(environment.name)!;
    const [provider] = providerBlocks(stack, 'kubernetes');
    assert.equal(provider.config_path, environment.local!.kubeconfigPath);
    assert.equal(provider.config_context, environment.local!.kubeconfigContext);
    assert.equal(provider.exec, undefined);
    assert.equal(stack.provider?.aws, undefined);
    assert.deepEqual(allResources(stack).filter((r) => r.type.startsWith('aws_')), []);
    assert.deepEqual(Object.keys(stack.data ?? {}), []);
    assert.equal(JSON.stringify(stack.terraform.required_providers).includes('aws'), false);
    for (const name of ['zookeeper', 'kafka']) {
      const sts = statefulSet(stack, name);
      assert.equal(sts.spec.volume_claim_template[0].spec.storage_class_name, undefined);
      assert.equal(sts.spec.template.spec.topology_spread_constraint[0].when_unsatisfiable, 'ScheduleAnyway');
    }
  });
}

for (const environment of environments) {
  test(`${environment.name}: sizes, topics and the bootstrap address come from config`, () => {
    const stack = synthesized.get(environment.name)!;
    const { streaming } = environment;
    assert.equal(statefulSet(stack, 'zookeeper').spec.replicas, String(streaming.zookeeper.replicas));
    const kafka = statefulSet(stack, 'kafka');
    assert.equal(kafka.spec.replicas, String(streaming.kafka.brokers));
    assert.equal(kafka.spec.volume_claim_template[0].spec.resources.requests.storage, `${streaming.kafka.storageGiB}Gi`);
    assert.equal(kafka.spec.template.spec.container[0].image, streaming.kafka.image);
    assert.equal(kafka.metadata.namespace, streaming.namespace);
    const job = resourcesOfType(stack, 'kubernetes_job_v1').find((j) => j.config.metadata.name.startsWith('kafka-topics-'))!;
    const env = Object.fromEntries(job.config.spec.template.spec.container[0].env.map((e: Json) => [e.name, e.value]));
    assert.deepEqual(
      JSON.parse(env.TOPICS_SPEC).map((t: Json) => `${t.name}:${t.partitions}x${t.replicationFactor}`),
      streaming.topics.map((t) => `${t.name}:${t.partitions}x${t.replicationFactor}`),
    );
    assert.equal(env.KAFKA_BOOTSTRAP, `kafka-bootstrap.${streaming.namespace}.svc:9092`);
    assert.equal(env.EXPECTED_BROKERS, String(streaming.kafka.brokers));
    assert.equal(stack.output?.kafka_bootstrap?.value, `kafka-bootstrap.${streaming.namespace}.svc:9092`);
  });

  test(`${environment.name}: every Kubernetes resource waits for the namespace; the topics Job waits for the brokers`, () => {
    const stack = synthesized.get(environment.name)!;
    const [namespace] = resourcesOfType(stack, 'kubernetes_namespace_v1');
    const address = `kubernetes_namespace_v1.${namespace.name}`;
    for (const resource of allResources(stack).filter((r) => r.type.startsWith('kubernetes_') && r.type !== 'kubernetes_namespace_v1')) {
      assert.ok((resource.config.depends_on ?? []).includes(address), `${resource.type}.${resource.name}`);
    }
    const kafka = resourcesOfType(stack, 'kubernetes_stateful_set_v1').find((s) => s.config.metadata.name === 'kafka')!;
    const zookeeper = resourcesOfType(stack, 'kubernetes_stateful_set_v1').find((s) => s.config.metadata.name === 'zookeeper')!;
    assert.ok(kafka.config.depends_on.includes(`kubernetes_stateful_set_v1.${zookeeper.name}`));
    const job = resourcesOfType(stack, 'kubernetes_job_v1').find((j) => j.config.metadata.name.startsWith('kafka-topics-'))!;
    assert.ok(job.config.depends_on.includes(`kubernetes_stateful_set_v1.${kafka.name}`));
  });

  const external = environment.target === 'aws' && environment.streaming.kafka.externalAccess;
  test(`${environment.name}: external access ${external ? 'on: NLBs, EXTERNAL listener, private DNS' : 'off: nothing outside the cluster'}`, () => {
    const stack = synthesized.get(environment.name)!;
    const balancers = resourcesOfType(stack, 'kubernetes_service_v1').filter((s) => s.config.spec.type === 'LoadBalancer');
    const zones = resourcesOfType(stack, 'aws_route53_zone');
    const nodePorts = resourcesOfType(stack, 'kubernetes_service_v1').filter((s) => s.config.spec.type === 'NodePort');
    if (!external) {
      assert.deepEqual([balancers.length, zones.length], [0, 0]);
      // Without load balancers, external access is NodePorts: the bootstrap and one per broker.
      const viaNodePorts = environment.target === 'local' && environment.streaming.kafka.externalAccess;
      assert.equal(nodePorts.length, viaNodePorts ? environment.streaming.kafka.brokers + 1 : 0);
      assert.equal(stack.output?.kafka_external_bootstrap_node_port?.value, viaNodePorts ? EXTERNAL_NODE_PORTS.bootstrap : undefined);
      return;
    }
    assert.equal(nodePorts.length, 0);
    const { aws, streaming } = environment;
    assert.equal(balancers.length, streaming.kafka.brokers + 1);
    for (const lb of balancers) assert.deepEqual(lb.config.spec.load_balancer_source_ranges, [aws!.vpcCidr, ...aws!.adminCidrs]);
    const [cluster] = dataSourcesOfType(stack, 'aws_eks_cluster');
    assert.equal(zones[0].config.name, streaming.kafka.externalDomain);
    assert.equal(zones[0].config.vpc[0].vpc_id, `\${data.aws_eks_cluster.${cluster.name}.vpc_config[0].vpc_id}`);
    const names = resourcesOfType(stack, 'aws_route53_record').map((r) => r.config.name).sort();
    assert.deepEqual(names, [
      `bootstrap.${streaming.kafka.externalDomain}`,
      ...Array.from({ length: streaming.kafka.brokers }, (_, id) => `broker-${id}.${streaming.kafka.externalDomain}`),
    ].sort());
    assert.equal(stack.output?.kafka_external_bootstrap?.value, `bootstrap.${streaming.kafka.externalDomain}:9094`);
  });
}

for (const environment of environments) {
  const keep = environment.production;
  test(`${environment.name}: data volumes ${keep ? 'kept when the StatefulSets or the stack are deleted (production)' : 'deleted with their StatefulSets'}`, () => {
    const stack = synthesized.get(environment.name)!;
    for (const name of ['zookeeper', 'kafka']) {
      assert.deepEqual(statefulSet(stack, name).spec.persistent_volume_claim_retention_policy, [{ when_deleted: keep ? 'Retain' : 'Delete', when_scaled: 'Retain' }], name);
    }
    const storageClasses = resourcesOfType(stack, 'kubernetes_storage_class_v1');
    if (environment.target !== 'aws') {
      assert.deepEqual(storageClasses, [], 'local clusters use their own default StorageClass');
      return;
    }
    const [storageClass] = storageClasses;
    assert.equal(storageClass.config.reclaim_policy, keep ? 'Retain' : 'Delete');
    // The volumes carry the environment's tags, so the teardown's leftover scan finds any that outlive the cluster.
    assert.deepEqual(
      Object.entries(storageClass.config.parameters).filter(([key]) => key.startsWith('tagSpecification_')).map(([, value]) => value),
      ['project=airline-streaming', `environment=${environment.name}`],
    );
  });
}

test('the shipped environments cover both: prod keeps its volumes, dev, staging and local do not', () => {
  assert.deepEqual(environments.map((environment) => [environment.name, environment.production]),
    [['dev', false], ['staging', false], ['prod', true], ['local', false]]);
});

test('hashes in names and annotations do not depend on what else the app synthesizes', () => {
  const [first, second] = [environments[0], environments[environments.length - 1]];
  const alone = synthEnvironment(second);
  const app = new App({ outdir: Testing.app().outdir });
  new StreamingStack(app, streamingStackName(first.name), { environment: first });
  const after = synthStack(new StreamingStack(app, streamingStackName(second.name), { environment: second }));
  const fingerprint = (stack: StackJson) => ({
    job: resourcesOfType(stack, 'kubernetes_job_v1')[0].config.metadata.name,
    annotations: resourcesOfType(stack, 'kubernetes_stateful_set_v1').map((s) => s.config.spec.template.metadata.annotations),
  });
  assert.deepEqual(fingerprint(after), fingerprint(alone));
});

test('the app (main.ts) writes a streaming stack for every environment', () => {
  const run = runApp({});
  assert.equal(run.status, 0, run.stderr);
  const stacks = readSynthesizedStacks(run.outdir);
  for (const environment of environments) {
    const stack = stacks[streamingStackName(environment.name)];
    assert.ok(stack, streamingStackName(environment.name));
    // No cross-stack reference: the platform stack's state is never read.
    assert.deepEqual(dataSourcesOfType(stack, 'terraform_remote_state'), []);
  }
});

/** Every container and init container (with the resource holding it) in a synthesized stack. */
function containers(stack: StackJson): Array<{ resource: string; container: Json }> {
  const found: Array<{ resource: string; container: Json }> = [];
  for (const resource of allResources(stack)) {
    const visit = (value: unknown, key?: string): void => {
      if (Array.isArray(value)) value.forEach((item) => visit(item, key));
      else if (value && typeof value === 'object') {
        if ((key === 'container' || key === 'init_container') && typeof (value as Json).image === 'string') {
          found.push({ resource: `${resource.type}.${resource.name}`, container: value as Json });
        }
        for (const [childKey, child] of Object.entries(value)) visit(child, childKey);
      }
    };
    visit(resource.config);
  }
  return found;
}

function containerImages(stack: StackJson): string[] {
  return containers(stack).map(({ container }) => container.image);
}

for (const environment of environments) {
  test(`${environment.name}: the namespace enforces the restricted Pod Security level and every container meets it with a read-only root`, () => {
    const stack = synthesized.get(environment.name)!;
    const [namespace] = resourcesOfType(stack, 'kubernetes_namespace_v1');
    assert.equal(namespace.config.metadata.labels['pod-security.kubernetes.io/enforce'], 'restricted');
    const found = containers(stack);
    assert.ok(found.length >= 5, `${found.length} containers`);
    for (const { resource, container } of found) {
      const context = container.security_context;
      const where = `${resource} ${container.name}`;
      assert.equal(context?.run_as_non_root, true, where);
      assert.equal(context?.allow_privilege_escalation, false, where);
      assert.equal(context?.read_only_root_filesystem, true, where);
      assert.deepEqual(context?.capabilities?.drop, ['ALL'], where);
    }
    for (const resource of allResources(stack).filter((r) => ['kubernetes_stateful_set_v1', 'kubernetes_deployment_v1', 'kubernetes_job_v1'].includes(r.type))) {
      const pod = resource.config.spec.template.spec;
      assert.equal(pod.security_context.run_as_non_root, true, resource.name);
      assert.equal(pod.security_context.seccomp_profile.type, 'RuntimeDefault', resource.name);
    }
  });
}

test('local runs only the images built by tools/k8s; the AWS environments only official ones', async () => {
  const { execFileSync } = await import('node:child_process');
  const info = execFileSync('bash', ['tools/k8s/info.sh'], { encoding: 'utf8' });
  const built = new Set(info.split('\n').filter((line) => line.startsWith('image.')).map((line) => line.slice(line.indexOf('=') + 1)));
  const local = containerImages(synthesized.get('local')!);
  // Brokers, their rack lookup, ZooKeeper, the topics Job and the predictor.
  assert.ok(local.length >= 5, local.join(', '));
  for (const image of local) assert.ok(built.has(image), `${image} is not an image tools/k8s builds (${[...built].join(', ')})`);
  for (const environment of awsEnvironments) {
    for (const image of containerImages(synthesized.get(environment.name)!)) {
      assert.ok(!image.startsWith('localhost/'), `${environment.name} runs ${image}`);
    }
  }
});

// ---------- security (TLS, SCRAM, ACLs, ZooKeeper SASL), for every environment ----------

const properties = (text: string) =>
  Object.fromEntries(text.split('\n').filter((line) => line.includes('=')).map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));

function configMapData(stack: StackJson, name: string): Record<string, string> {
  const found = resourcesOfType(stack, 'kubernetes_config_map_v1').find((c) => c.config.metadata.name === name);
  assert.ok(found, `ConfigMap ${name}`);
  return found.config.data;
}

const containerEnv = (container: Json) => Object.fromEntries((container.env ?? []).map((e: Json) => [e.name, e.value]));

for (const environment of environments) {
  test(`${environment.name}: brokers take SASL_SSL (SCRAM-SHA-512) on every client listener, mutual TLS between them, ACLs, no plaintext`, () => {
    const stack = synthesized.get(environment.name)!;
    const server = properties(configMapData(stack, 'kafka-config')['server.properties']);
    const protocols = Object.fromEntries(server['listener.security.protocol.map'].split(',').map((pair: string) => pair.split(':')));
    assert.equal(protocols.INTERNAL, 'SASL_SSL');
    assert.equal(protocols.REPLICATION, 'SSL');
    if (protocols.EXTERNAL !== undefined) assert.equal(protocols.EXTERNAL, 'SASL_SSL');
    assert.ok(!Object.values(protocols).some((protocol) => String(protocol).includes('PLAINTEXT')), server['listener.security.protocol.map']);
    assert.equal(server['inter.broker.listener.name'], 'REPLICATION');
    assert.equal(server['listener.name.replication.ssl.client.auth'], 'required');
    assert.equal(server['sasl.enabled.mechanisms'], 'SCRAM-SHA-512');
    assert.equal(server['authorizer.class.name'], 'kafka.security.authorizer.AclAuthorizer');
    assert.equal(server['allow.everyone.if.no.acl.found'], 'false');
    assert.equal(server['super.users'], 'User:airline-broker');
    assert.equal(server['zookeeper.set.acl'], 'true');
    assert.equal(server['ssl.endpoint.identification.algorithm'], undefined, 'host names are verified (Kafka default https)');
    const zoo = properties(configMapData(stack, 'zookeeper-config')['zoo.cfg']);
    assert.equal(zoo['authProvider.1'], 'org.apache.zookeeper.server.auth.SASLAuthenticationProvider');
    assert.equal(zoo['enforce.auth.enabled'], 'true');
  });

  test(`${environment.name}: every secret is made in the cluster; none is in the synthesized JSON or Terraform's state`, () => {
    const stack = synthesized.get(environment.name)!;
    assert.deepEqual(resourcesOfType(stack, 'kubernetes_secret_v1'), []);
    assert.deepEqual(resourcesOfType(stack, 'kubernetes_secret'), []);
    assert.deepEqual(allResources(stack).filter((r) => r.type.startsWith('random_') || r.type.startsWith('tls_')), []);
    const json = JSON.stringify(stack);
    assert.doesNotMatch(json, /BEGIN (EC |RSA )?PRIVATE KEY|password=[0-9a-f]{16}/);
    const credentials = resourcesOfType(stack, 'kubernetes_job_v1').find((j) => j.config.metadata.name.startsWith('kafka-credentials-'))!;
    assert.equal(credentials.config.wait_for_completion, true);
    // The ensemble, the brokers and the access Job start after the Secrets exist.
    const address = `kubernetes_job_v1.${credentials.name}`;
    for (const name of ['zookeeper']) assert.ok(statefulSet(stack, name).depends_on.includes(address), name);
    const access = resourcesOfType(stack, 'kubernetes_job_v1').find((j) => j.config.metadata.name.startsWith('kafka-access-'))!;
    assert.ok(access.config.depends_on.includes(address));
    const topics = resourcesOfType(stack, 'kubernetes_job_v1').find((j) => j.config.metadata.name.startsWith('kafka-topics-'))!;
    assert.ok(topics.config.depends_on.includes(`kubernetes_job_v1.${access.name}`), 'no client before its credential and ACLs');
  });

  test(`${environment.name}: the predictor and the topics Job authenticate as their own principals; only the issuer sees the CA key`, () => {
    const stack = synthesized.get(environment.name)!;
    const [deployment] = resourcesOfType(stack, 'kubernetes_deployment_v1');
    const predictor = deployment.config.spec.template.spec;
    assert.deepEqual(
      Object.fromEntries(Object.entries(containerEnv(predictor.container[0])).filter(([key]) => key.startsWith('KAFKA_SASL') || key.startsWith('KAFKA_TLS'))),
      {
        KAFKA_SASL_USERNAME: 'airline-predictor',
        KAFKA_SASL_PASSWORD_FILE: '/var/run/airline/kafka-user/password',
        KAFKA_TLS_CA_FILE: '/var/run/airline/kafka-ca/ca.crt',
      },
    );
    const secretsOf = (spec: Json) => (spec.volume ?? []).filter((v: Json) => v.secret).map((v: Json) => v.secret.secret_name).sort();
    assert.deepEqual(secretsOf(predictor), ['kafka-cluster-ca-cert', 'kafka-user-airline-predictor']);
    const topics = resourcesOfType(stack, 'kubernetes_job_v1').find((j) => j.config.metadata.name.startsWith('kafka-topics-'))!.config.spec.template.spec;
    assert.equal(containerEnv(topics.container[0]).KAFKA_SASL_USERNAME, 'airline-topics-provisioner');
    assert.deepEqual(secretsOf(topics), ['kafka-cluster-ca-cert', 'kafka-user-airline-topics-provisioner']);
    const brokers = statefulSet(stack, 'kafka').spec.template.spec;
    assert.deepEqual(secretsOf(brokers), ['kafka-cluster-ca', 'zookeeper-sasl']);
    const mountsCaKey = (container: Json) => (container.volume_mount ?? []).some((m: Json) => m.name === 'cluster-ca');
    assert.deepEqual(brokers.init_container.filter(mountsCaKey).map((c: Json) => c.name), ['broker-certificate']);
    assert.equal(brokers.container.filter(mountsCaKey).length, 0, 'the broker container never mounts the CA key');
    const tls = brokers.volume.find((v: Json) => v.name === 'tls');
    assert.equal(tls.empty_dir.medium, 'Memory', 'issued keys stay off disk');
  });
}
