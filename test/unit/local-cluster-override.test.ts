// The override that applies an AWS environment's streaming stack to the local cluster (npm run rehearse:k8s):
// what it substitutes, that it leaves everything else as synthesized, and that each substitution is named.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Testing } from 'cdktf';
import { loadEnvironment } from '../../config';
import { StreamingStack, streamingStackName } from '../../stacks/streaming-stack';
import {
  EBS_CSI_PROVISIONER,
  LOCAL_PROVISIONER,
  imageStandIns,
  localClusterOverride,
  type LocalClusterTarget,
} from '../../tools/terraform/local-cluster-override';
import { synthStack, type Json, type StackJson } from '../harness/synth';

const prod = loadEnvironment('prod');
const local = loadEnvironment('local');
const prodStack: StackJson = synthStack(new StreamingStack(Testing.app(), streamingStackName(prod.name), { environment: prod }));

const target: LocalClusterTarget = {
  statePath: '/tmp/work/streaming-prod.tfstate',
  emulatorEndpoint: 'http://127.0.0.1:5000',
  apiServer: 'https://10.99.0.1:6443',
  caCertificatePem: '-----BEGIN CERTIFICATE-----\nlocal\n-----END CERTIFICATE-----\n',
  credentialFile: '/tmp/work/credential.json',
  imageStandIns: imageStandIns(prod, local),
};
const { document, substitutions } = localClusterOverride(prodStack as never, target);
const overridden = document.resource as Record<string, Record<string, Record<string, Json>>>;

/** Every `image` value under `value`. */
function images(value: Json): string[] {
  if (Array.isArray(value)) return value.flatMap(images);
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, field]) => (key === 'image' && typeof field === 'string' ? [field] : images(field)));
}

test('images pair by role: prod official references to the local builds', () => {
  const byRole = Object.fromEntries(target.imageStandIns.map((pair) => [pair.role, pair]));
  assert.equal(byRole.kafka!.reference, prod.streaming.kafka.image);
  assert.equal(byRole.kafka!.standIn, local.streaming.kafka.image);
  assert.equal(byRole.zookeeper!.standIn, local.streaming.zookeeper.image);
  assert.equal(byRole['node runtime']!.standIn, local.streaming.nodeRuntimeImage);
});

test('every container image of the stack is replaced by its local build, and only those blocks are overridden', () => {
  const synthesizedImages = new Set(images(prodStack.resource));
  assert.ok(synthesizedImages.has(prod.streaming.kafka.image));
  const localImages = new Set(target.imageStandIns.map((pair) => pair.standIn));
  for (const [type, byName] of Object.entries(overridden)) {
    if (!type.startsWith('kubernetes_')) continue;
    for (const [name, fields] of Object.entries(byName)) {
      for (const image of images(fields)) assert.ok(localImages.has(image), `${type}.${name} keeps image ${image}`);
      // The override carries the changed top-level blocks; all else stays as synthesized.
      const original = prodStack.resource![type]![name];
      for (const field of Object.keys(fields)) assert.ok(field in original, `${type}.${name}.${field} is not in the stack`);
    }
  }
  const statefulSets = Object.keys(prodStack.resource!.kubernetes_stateful_set_v1!);
  assert.deepEqual(Object.keys(overridden.kubernetes_stateful_set_v1!).sort(), statefulSets.sort());
  assert.ok(overridden.kubernetes_deployment_v1, 'the predictor deployment is overridden');
  assert.ok(overridden.kubernetes_job_v1, 'the topics job is overridden');
});

test('the override keeps everything but the images inside a replaced block', () => {
  const [name, original] = Object.entries(prodStack.resource!.kubernetes_stateful_set_v1!)[0]!;
  const replaced = overridden.kubernetes_stateful_set_v1![name]!.spec;
  const strip = (value: Json): Json => JSON.parse(JSON.stringify(value).replace(/"image":"[^"]*"/g, '"image":"X"'));
  assert.deepEqual(strip(replaced), strip(original.spec));
});

test('the gp3 StorageClass gets the local provisioner and keeps its other fields', () => {
  const [name, storageClass] = Object.entries(prodStack.resource!.kubernetes_storage_class_v1!)[0]!;
  assert.equal(storageClass.storage_provisioner, EBS_CSI_PROVISIONER);
  assert.deepEqual(overridden.kubernetes_storage_class_v1![name], { storage_provisioner: LOCAL_PROVISIONER });
});

test('providers: kubernetes to the local API server through an exec credential, aws to moto; state local', () => {
  const provider = document.provider as Record<string, Json[]>;
  const kubernetes = provider.kubernetes![0];
  assert.equal(kubernetes.host, target.apiServer);
  assert.equal(kubernetes.cluster_ca_certificate, target.caCertificatePem);
  assert.deepEqual(kubernetes.exec[0].args, [target.credentialFile]);
  for (const service of ['eks', 'route53']) assert.equal(provider.aws![0].endpoints[0][service], target.emulatorEndpoint);
  assert.deepEqual(document.terraform, { backend: { local: { path: target.statePath } } });
});

test('each substitution names what it leaves unchecked: EKS auth, EBS, NLBs, Route 53, the official images', () => {
  const unchecked = substitutions.map((s) => s.notExercisedHere).join('\n');
  for (const phrase of ['EKS authentication', 'EBS gp3', 'NLBs', 'Route 53', prod.streaming.kafka.image]) {
    assert.ok(unchecked.includes(phrase), `no substitution names ${phrase}:\n${unchecked}`);
  }
  const loadBalancers = substitutions.find((s) => s.address.startsWith('kubernetes_service_v1'));
  assert.match(loadBalancers!.address, /\(4 of type LoadBalancer\)/);
});

test('the private zone ignores only its VPC association (moto drift), and says so', () => {
  const [name] = Object.keys(prodStack.resource!.aws_route53_zone!);
  assert.deepEqual(overridden.aws_route53_zone![name!], { lifecycle: { ignore_changes: ['vpc'] } });
  assert.ok(substitutions.some((s) => s.address === `aws_route53_zone.${name}` && /vpc/.test(s.change)));
  assert.equal(overridden.aws_route53_record, undefined, 'records are applied as synthesized');
});

test('a stack without a kubernetes provider is refused', () => {
  assert.throws(() => localClusterOverride({ provider: { aws: [{}] } }, target), /not a streaming stack/);
});
