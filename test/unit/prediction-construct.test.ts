import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { TerraformStack } from 'cdktf';
import { CONFIG_MAP_MAX_BYTES } from '../../constructs/k8s/node-app-bundle';
import { PREDICTION_DEFAULTS, PredictionService, type PredictionServiceProps } from '../../constructs/prediction/prediction-service';
import { predictorEnvSchema } from '../../contracts/predictor-env';
import { PREDICTOR_GROUP_ID } from '../../contracts/topics';
import { loadServiceConfig } from '../../services/predictor/config';
import { REPO_ROOT, diskApp, fileFunctionContent, makeTempDir, resourcesOfType, synthStackToDisk, type Json, type StackJson } from '../harness/synth';

const BASE: PredictionServiceProps = {
  namespace: 'kafka',
  bootstrap: 'kafka-bootstrap.kafka.svc:9092',
  inputPartitions: 10,
};

/** Synthesizes to disk, as `cdktf synth` does: the model and code files land in the stack's assets. */
function synth(props: Partial<PredictionServiceProps> = {}): { stack: StackJson; stackDir: string; construct: PredictionService } {
  const stack = new TerraformStack(diskApp(), 'test');
  const construct = new PredictionService(stack, 'prediction', { ...BASE, ...props });
  const { json, stackDir } = synthStackToDisk(stack);
  return { stack: json, stackDir, construct };
}

function only(stack: StackJson, type: string): Json {
  const found = resourcesOfType(stack, type);
  assert.equal(found.length, 1, `one ${type}`);
  return found[0].config;
}

function container(stack: StackJson): Json {
  return only(stack, 'kubernetes_deployment_v1').spec.template.spec.container[0];
}

function envOf(stack: StackJson): Record<string, Json> {
  return Object.fromEntries(container(stack).env.map((e: Json) => [e.name, e.value ?? e.value_from]));
}

describe('PredictionService construct', () => {
  const { stack: prod, stackDir: prodDir, construct } = synth({ replicas: 5, deliveryMode: 'exactly-once', strictPlacement: true });

  it('runs 5 replicas by default and as configured', () => {
    assert.equal(only(prod, 'kubernetes_deployment_v1').spec.replicas, '5');
    assert.equal(only(synth({ replicas: 3 }).stack, 'kubernetes_deployment_v1').spec.replicas, '3');
    assert.equal(only(synth().stack, 'kubernetes_deployment_v1').spec.replicas, '5');
  });

  it('bounds the autoscaler by the input partitions (autoscaling/v2 on CPU)', () => {
    const hpa = only(prod, 'kubernetes_horizontal_pod_autoscaler_v2').spec;
    assert.equal(hpa.min_replicas, 5);
    assert.equal(hpa.max_replicas, 10);
    assert.equal(hpa.scale_target_ref.kind, 'Deployment');
    assert.equal(hpa.metric[0].resource.name, 'cpu');
    // An unset select_policy reaches the API server as "" and the autoscaler is refused (found on a real apply).
    assert.equal(hpa.behavior.scale_down[0].select_policy, 'Max');
    assert.equal(hpa.behavior.scale_down[0].stabilization_window_seconds, 300);
    // Asking for more than the partitions is refused, as config validation refuses it.
    assert.throws(() => synth({ maxReplicas: 50 }), /field PredictionService\.maxReplicas: 50 exceeds the 10 partitions/);
    assert.equal(only(synth({ maxReplicas: 7 }).stack, 'kubernetes_horizontal_pod_autoscaler_v2').spec.max_replicas, 7);
    assert.equal(only(synth({ inputPartitions: 6 }).stack, 'kubernetes_horizontal_pod_autoscaler_v2').spec.max_replicas, 6);
    assert.equal(construct.maxReplicas, 10);
  });

  it('refuses more replicas than the input topic has partitions, and bad counts', () => {
    assert.throws(() => synth({ replicas: 12 }), /replicas \(12\) exceeds maxReplicas \(10/);
    assert.throws(() => synth({ replicas: 6, maxReplicas: 5 }), /replicas \(6\) exceeds maxReplicas \(5/);
    assert.throws(() => synth({ replicas: 0 }), /^ConfigError: config error, field PredictionService\.replicas: 0 is out of range\. Fix: /);
    assert.throws(() => synth({ inputPartitions: 0 }), /field PredictionService\.inputPartitions: 0 is out of range/);
  });

  it('probes /healthz (liveness, startup) and /readyz (readiness) on the service port', () => {
    const c = container(prod);
    assert.equal(c.liveness_probe.http_get.path, '/healthz');
    assert.equal(c.readiness_probe.http_get.path, '/readyz');
    assert.equal(c.startup_probe.http_get.path, '/healthz');
    const port = String(c.port[0].container_port);
    assert.equal(c.liveness_probe.http_get.port, port);
    assert.equal(c.readiness_probe.http_get.port, port);
    assert.equal(envOf(prod).HTTP_PORT, port);
  });

  it('keeps at most one pod down through voluntary disruptions', () => {
    const pdb = only(prod, 'kubernetes_pod_disruption_budget_v1').spec;
    assert.equal(pdb.max_unavailable, '1');
    const deployment = only(prod, 'kubernetes_deployment_v1');
    assert.deepEqual(pdb.selector.match_labels, deployment.spec.selector.match_labels);
  });

  it('sets requests and limits, spreads over zones and nodes, runs unprivileged', () => {
    const deployment = only(prod, 'kubernetes_deployment_v1');
    const c = container(prod);
    for (const key of ['cpu', 'memory']) {
      assert.ok(c.resources.requests[key], `request ${key}`);
      assert.ok(c.resources.limits[key], `limit ${key}`);
    }
    const spread = deployment.spec.template.spec.topology_spread_constraint;
    const zone = spread.find((s: Json) => s.topology_key === 'topology.kubernetes.io/zone');
    assert.equal(zone.max_skew, 1);
    assert.equal(zone.when_unsatisfiable, 'DoNotSchedule');
    // Up to 10 pods on 5 agents: nodes are a preference, never a hard one-per-node rule.
    const antiAffinity = deployment.spec.template.spec.affinity.pod_anti_affinity;
    assert.equal(antiAffinity.required_during_scheduling_ignored_during_execution, undefined);
    assert.ok(antiAffinity.preferred_during_scheduling_ignored_during_execution.length > 0);
    const relaxed = only(synth().stack, 'kubernetes_deployment_v1').spec.template.spec.topology_spread_constraint;
    assert.ok(relaxed.every((s: Json) => s.when_unsatisfiable === 'ScheduleAnyway'));
    assert.equal(spread[0].label_selector[0].match_labels['app.kubernetes.io/name'], 'airline-predictor');
    assert.equal(c.security_context.allow_privilege_escalation, false);
    assert.equal(c.security_context.read_only_root_filesystem, true);
    assert.equal(deployment.spec.template.spec.security_context.run_as_non_root, true);
  });

  it('passes the config as environment: bootstrap, topics, mode, model path, pod name as instance id', () => {
    const env = envOf(prod);
    assert.equal(env.KAFKA_BOOTSTRAP, 'kafka-bootstrap.kafka.svc:9092');
    assert.equal(env.INPUT_TOPIC, 'AirlineInputTopic');
    assert.equal(env.OUTPUT_TOPIC, 'AirlineOutputTopic');
    assert.equal(env.DEAD_LETTER_TOPIC, 'AirlineDeadLetterTopic');
    assert.equal(env.DELIVERY_MODE, 'exactly-once');
    assert.equal(env.MODEL_PATH, '/model/model.json');
    assert.equal(env.INSTANCE_ID.field_ref.field_path, 'metadata.name');
    assert.equal(envOf(synth().stack).DELIVERY_MODE, 'at-least-once');
  });

  it('writes only variables the service parses, and the service accepts them as they are', () => {
    const env = envOf(prod);
    const literal = Object.fromEntries(Object.entries(env).filter(([, value]) => typeof value === 'string')) as Record<string, string>;
    const config = loadServiceConfig({ ...literal, INSTANCE_ID: 'airline-predictor-0' });
    assert.equal(config.deliveryMode, 'exactly-once');
    assert.equal(config.groupId, PREDICTOR_GROUP_ID);
    assert.equal(config.http.port, PREDICTION_DEFAULTS.httpPort);
    assert.equal(config.modelPath, '/model/model.json');
    const known = new Set(Object.keys(predictorEnvSchema.innerType().shape));
    assert.deepEqual(Object.keys(env).filter((name) => !known.has(name)), ['NODE_ENV']);
  });

  it('ships the model in its own ConfigMap under 1 MiB, mounted read-only at /model', () => {
    const configMaps = resourcesOfType(prod, 'kubernetes_config_map_v1').map((r) => r.config);
    const model = configMaps.find((cm: Json) => cm.metadata.name === 'airline-predictor-model');
    assert.ok(model, 'model ConfigMap');
    // Terraform reads the shipped copy with file(): it must be the repository's model, byte for byte.
    const text = fileFunctionContent(prodDir, model.data['model.json']);
    assert.equal(text, readFileSync(join(REPO_ROOT, 'model', 'model.json'), 'utf8'));
    assert.doesNotThrow(() => JSON.parse(text));
    const bytes = Object.entries(model.data as Record<string, string>).reduce(
      (total, [key, value]) => total + Buffer.byteLength(key) + Buffer.byteLength(fileFunctionContent(prodDir, value)),
      0,
    );
    assert.ok(bytes < CONFIG_MAP_MAX_BYTES, `model ConfigMap holds ${bytes} bytes`);
    const bundle = configMaps.find((cm: Json) => cm.metadata.name === 'airline-predictor-bundle');
    assert.ok(bundle, 'code bundle ConfigMap');
    const bundleBytes = Buffer.byteLength(fileFunctionContent(prodDir, bundle.data['airline-predictor.js']));
    assert.ok(bundleBytes < CONFIG_MAP_MAX_BYTES, `bundle ConfigMap holds ${bundleBytes} bytes`);
    const mounts = container(prod).volume_mount;
    assert.ok(mounts.some((m: Json) => m.mount_path === '/model' && m.read_only === true));
    assert.ok(mounts.some((m: Json) => m.mount_path === '/app' && m.read_only === true));
  });

  it('refuses a model file that would not fit a ConfigMap', () => {
    const big = join(makeTempDir('big-model'), 'model.json');
    writeFileSync(big, JSON.stringify({ padding: 'x'.repeat(CONFIG_MAP_MAX_BYTES) }));
    assert.throws(() => synth({ modelFile: big }), /ConfigMap holds less than/);
    // Terraform's file() would refuse it at plan time: synth refuses it first.
    const latin1 = join(makeTempDir('latin1-model'), 'model.json');
    writeFileSync(latin1, Buffer.from('{"origin":"S\xe3o Paulo"}', 'latin1'));
    assert.throws(() => synth({ modelFile: latin1 }), /is not valid UTF-8/);
  });

  it('runs the bundled code on the Node image, or a given image without a bundle', () => {
    const c = container(prod);
    assert.match(c.image, /^node:/);
    assert.deepEqual(c.command, ['node', '/app/airline-predictor.js']);
    const { stack } = synth({ image: 'registry.example/predictor:1.0' });
    const custom = container(stack);
    assert.equal(custom.image, 'registry.example/predictor:1.0');
    assert.equal(custom.command, undefined);
    assert.equal(resourcesOfType(stack, 'kubernetes_config_map_v1').length, 1, 'only the model ConfigMap');
  });

  it('annotates pods for Prometheus scraping and rolls them when the code or model changes', () => {
    const annotations = only(prod, 'kubernetes_deployment_v1').spec.template.metadata.annotations;
    assert.equal(annotations['prometheus.io/scrape'], 'true');
    assert.equal(annotations['prometheus.io/path'], '/metrics');
    assert.equal(annotations['prometheus.io/port'], envOf(prod).HTTP_PORT);
    assert.match(annotations['airline.io/model-hash'], /^[0-9a-f]{16}$/);
    assert.match(annotations['airline.io/bundle-airline-predictor'], /^[0-9a-f]{16}$/);
    const otherModel = join(makeTempDir('other-model'), 'model.json');
    writeFileSync(otherModel, '{"other":true}');
    const other = synth({ modelFile: otherModel });
    const changed = only(other.stack, 'kubernetes_deployment_v1').spec.template.metadata.annotations;
    assert.notEqual(changed['airline.io/model-hash'], annotations['airline.io/model-hash']);
    const otherConfigMap = resourcesOfType(other.stack, 'kubernetes_config_map_v1').find(
      (r) => r.config.metadata.name === 'airline-predictor-model',
    )!;
    assert.equal(fileFunctionContent(other.stackDir, otherConfigMap.config.data['model.json']), '{"other":true}');
  });

  it('lets the autoscaler own the replica count after the first apply', () => {
    assert.deepEqual(only(prod, 'kubernetes_deployment_v1').lifecycle.ignore_changes, ['spec[0].replicas']);
  });

  it('bundles a service that starts under plain node and refuses bad config with exit code 2', () => {
    const c = container(prod);
    const bundleConfigMap = resourcesOfType(prod, 'kubernetes_config_map_v1').find(
      (r) => r.config.metadata.name === 'airline-predictor-bundle',
    )!;
    const file = join(makeTempDir('bundle-run'), 'airline-predictor.js');
    writeFileSync(file, fileFunctionContent(prodDir, bundleConfigMap.config.data['airline-predictor.js']));
    const result = spawnSync(process.execPath, [file], {
      env: { PATH: process.env.PATH ?? '', DELIVERY_MODE: 'never' },
      encoding: 'utf8',
      timeout: 20000,
    });
    assert.equal(result.status, 2, result.stderr);
    assert.match(result.stderr, /KAFKA_BOOTSTRAP: is required/);
    assert.equal(c.command[1], '/app/airline-predictor.js');
  });
});
