import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { AssetType, Fn, TerraformAsset, type ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { ConfigMapV1 } from '@cdktf/provider-kubernetes/lib/config-map-v1';
import { DeploymentV1 } from '@cdktf/provider-kubernetes/lib/deployment-v1';
import { HorizontalPodAutoscalerV2 } from '@cdktf/provider-kubernetes/lib/horizontal-pod-autoscaler-v2';
import { PodDisruptionBudgetV1 } from '@cdktf/provider-kubernetes/lib/pod-disruption-budget-v1';
import { BOUNDS, boundIssue } from '../../contracts/bounds';
import { ConfigError, type ConfigIssue } from '../../contracts/config-error';
import {
  PREDICTOR_HEARTBEAT_INTERVAL_MS,
  PREDICTOR_HTTP_PORT,
  PREDICTOR_SESSION_TIMEOUT_MS,
  predictorContainerEnv,
  topicVariables,
  type DeliveryMode,
  type PredictorEnvName,
} from '../../contracts/predictor-env';
import { PREDICTOR_GROUP_ID, TOPIC_NAMES, type TopicsByRole } from '../../contracts/topics';
import { suppressCheckovCheck } from '../checkov';
import type { ClientCredentialsMount } from '../kafka/cluster-credentials';
import { CONFIG_MAP_MAX_BYTES, NodeAppBundle } from '../k8s/node-app-bundle';
import { HOSTNAME_TOPOLOGY_KEY, ZONE_TOPOLOGY_KEY, podPlacement } from '../k8s/placement';
import { nonRootPodSecurityContext, restrictedContainerSecurityContext } from '../k8s/security';

const REPO_ROOT = path.resolve(__dirname, '..', '..');

export interface ContainerResources {
  readonly requests: { readonly cpu: string; readonly memory: string };
  readonly limits: { readonly cpu: string; readonly memory: string };
}

export interface PredictionServiceProps {
  readonly namespace: string;
  /** Image that runs the bundled Node program (NodeAppBundle); default NODE_APP_IMAGE, the official Node 20 image. */
  readonly nodeRuntimeImage?: string;
  /** In-cluster bootstrap address, e.g. `kafka-bootstrap.kafka.svc:9092`. */
  readonly bootstrap: string;
  /** Partition count of the input topic: more consumers than partitions would sit idle. */
  readonly inputPartitions: number;
  readonly name?: string;
  readonly replicas?: number;
  /** Autoscaler ceiling; default and upper bound (more is refused): `inputPartitions`. */
  readonly maxReplicas?: number;
  readonly deliveryMode?: DeliveryMode;
  readonly topics?: Partial<TopicsByRole>;
  readonly groupId?: string;
  /** A prebuilt image holding the service (its entry must be the container's default command). */
  readonly image?: string;
  /** The model file shipped in its own ConfigMap; default model/model.json of this repository. */
  readonly modelFile?: string;
  readonly resources?: ContainerResources;
  /** Scale out above this average CPU utilisation (percent of requests). */
  readonly targetCpuUtilization?: number;
  /** Strict placement: one pod per node, zones balanced (DoNotSchedule). Relaxed for single-node clusters. */
  readonly strictPlacement?: boolean;
  readonly labels?: Record<string, string>;
  /** Created first, e.g. the topics Job. */
  readonly dependsOn?: ITerraformDependable[];
  /** The predictor principal's credentials (KafkaClusterCredentials.clientMount('predictor')); undefined: plaintext. */
  readonly credentials?: ClientCredentialsMount;
}

/** Every default of the construct, in one place. */
export const PREDICTION_DEFAULTS = {
  name: 'airline-predictor',
  replicas: 5,
  deliveryMode: 'at-least-once' as DeliveryMode,
  topics: TOPIC_NAMES,
  groupId: PREDICTOR_GROUP_ID,
  modelFile: path.join(REPO_ROOT, 'model', 'model.json'),
  modelMountPath: '/model',
  httpPort: PREDICTOR_HTTP_PORT,
  resources: {
    requests: { cpu: '250m', memory: '192Mi' },
    limits: { cpu: '1', memory: '384Mi' },
  },
  targetCpuUtilization: 70,
  strictPlacement: false,
  // Kafka's minimum session timeout: a killed pod's partitions move within about 10 s.
  sessionTimeoutMs: PREDICTOR_SESSION_TIMEOUT_MS,
  heartbeatIntervalMs: PREDICTOR_HEARTBEAT_INTERVAL_MS,
  terminationGracePeriodSeconds: 30,
  shutdownTimeoutMs: 20000,
} as const;

/**
 * The airline delay prediction service: a Deployment of consumer-group members, an autoscaler bounded by the input
 * topic's partitions, a disruption budget, and the code and model shipped as ConfigMaps (no image build needed).
 */
export class PredictionService extends Construct {
  readonly name: string;
  readonly namespace: string;
  readonly replicas: number;
  readonly maxReplicas: number;
  readonly matchLabels: Record<string, string>;
  readonly deployment: DeploymentV1;
  readonly autoscaler: HorizontalPodAutoscalerV2;
  readonly disruptionBudget: PodDisruptionBudgetV1;
  readonly modelConfigMap: ConfigMapV1;
  readonly modelSizeBytes: number;
  /** The model file, copied into the stack's output directory at synth and read by Terraform with file(). */
  readonly modelAsset: TerraformAsset;
  /** Present unless a prebuilt image was given. */
  readonly bundle?: NodeAppBundle;

  constructor(scope: Construct, id: string, props: PredictionServiceProps) {
    super(scope, id);
    const d = PREDICTION_DEFAULTS;
    this.name = props.name ?? d.name;
    this.namespace = props.namespace;
    this.replicas = props.replicas ?? d.replicas;
    this.maxReplicas = props.maxReplicas ?? props.inputPartitions;
    validate(this.name, props, this.replicas, this.maxReplicas);

    const topics = { ...d.topics, ...props.topics };
    const deliveryMode = props.deliveryMode ?? d.deliveryMode;
    const resources = props.resources ?? d.resources;
    this.matchLabels = { 'app.kubernetes.io/name': this.name, 'app.kubernetes.io/component': 'predictor' };
    const labels = { ...props.labels, ...this.matchLabels, 'app.kubernetes.io/part-of': 'airline-streaming' };

    const modelFile = path.resolve(props.modelFile ?? d.modelFile);
    const model = readModel(modelFile);
    this.modelSizeBytes = model.sizeBytes;
    // The ConfigMap key is always model.json, whatever the source file is called.
    this.modelAsset = new TerraformAsset(this, 'model-file', { path: modelFile, type: AssetType.FILE, assetHash: model.contentHash });
    this.modelConfigMap = new ConfigMapV1(this, 'model', {
      metadata: {
        name: `${this.name}-model`,
        namespace: props.namespace,
        labels: { ...labels, 'app.kubernetes.io/component': 'model' },
        annotations: { 'airline.io/content-hash': model.contentHash },
      },
      // file() content is not a template: no escaping, and the model stays out of the stack JSON.
      data: { 'model.json': Fn.file(this.modelAsset.path) },
    });

    if (props.image === undefined) {
      this.bundle = new NodeAppBundle(this, 'bundle', {
        entry: 'services/predictor/main.ts',
        name: this.name,
        namespace: props.namespace,
        labels,
        image: props.nodeRuntimeImage,
      });
    }
    const modelVolume = { name: 'model', configMap: { name: this.modelConfigMap.metadata.name, defaultMode: '0444' } };
    const volumes = [modelVolume, ...(this.bundle ? [this.bundle.volume] : []), ...(props.credentials?.volumes ?? [])];
    const volumeMounts = [
      { name: 'model', mountPath: d.modelMountPath, readOnly: true },
      ...(this.bundle ? [this.bundle.volumeMount] : []),
      ...(props.credentials?.volumeMounts ?? []),
    ];

    const env = predictorContainerEnv({
      KAFKA_BOOTSTRAP: props.bootstrap,
      ...topicVariables(topics),
      GROUP_ID: props.groupId ?? d.groupId,
      DELIVERY_MODE: deliveryMode,
      HTTP_HOST: '0.0.0.0',
      HTTP_PORT: d.httpPort,
      MODEL_PATH: `${d.modelMountPath}/model.json`,
      SESSION_TIMEOUT_MS: d.sessionTimeoutMs,
      HEARTBEAT_INTERVAL_MS: d.heartbeatIntervalMs,
      SHUTDOWN_TIMEOUT_MS: d.shutdownTimeoutMs,
    });
    // The pod name: unique per instance, so transactional ids never collide.
    const instanceIdVariable: PredictorEnvName = 'INSTANCE_ID';
    const httpGet = (probePath: string) => ({ path: probePath, port: String(d.httpPort) });
    // Up to maxReplicas pods on the agents: never one-per-node (10 pods, 5 agents), but zones balanced (hard when
    // strict) and nodes preferably distinct.
    const strict = props.strictPlacement ?? d.strictPlacement;
    const preferDistinctNodes = podPlacement({ matchLabels: this.matchLabels, strict: false });
    const labelSelector = [{ matchLabels: { ...this.matchLabels } }];
    const spread = [
      { maxSkew: 1, topologyKey: ZONE_TOPOLOGY_KEY, whenUnsatisfiable: strict ? 'DoNotSchedule' : 'ScheduleAnyway', labelSelector },
      { maxSkew: 1, topologyKey: HOSTNAME_TOPOLOGY_KEY, whenUnsatisfiable: 'ScheduleAnyway', labelSelector },
    ];

    this.deployment = new DeploymentV1(this, 'deployment', {
      metadata: { name: this.name, namespace: props.namespace, labels },
      spec: {
        replicas: String(this.replicas),
        selector: { matchLabels: this.matchLabels },
        // Surge first: a rolling update never drops below the running consumers.
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '1', maxUnavailable: '0' } },
        template: {
          metadata: {
            labels,
            annotations: {
              'prometheus.io/scrape': 'true',
              'prometheus.io/port': String(d.httpPort),
              'prometheus.io/path': '/metrics',
              // Changed code or model rolls the pods.
              'airline.io/model-hash': model.contentHash,
              ...this.bundle?.podAnnotations,
            },
          },
          spec: {
            automountServiceAccountToken: false,
            terminationGracePeriodSeconds: d.terminationGracePeriodSeconds,
            // The official Node image's `node` user.
            securityContext: nonRootPodSecurityContext(1000),
            affinity: preferDistinctNodes.affinity,
            topologySpreadConstraint: spread,
            volume: volumes,
            container: [
              {
                name: 'predictor',
                image: props.image ?? this.bundle!.image,
                imagePullPolicy: 'IfNotPresent',
                ...(this.bundle ? { command: this.bundle.command } : {}),
                env: [
                  ...env,
                  ...(props.credentials?.env ?? []),
                  // Not read by the service; Node libraries run their production paths.
                  { name: 'NODE_ENV', value: 'production' },
                  { name: instanceIdVariable, valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                ],
                port: [{ name: 'http', containerPort: d.httpPort, protocol: 'TCP' }],
                livenessProbe: { httpGet: httpGet('/healthz'), periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 },
                readinessProbe: { httpGet: httpGet('/readyz'), periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 2 },
                startupProbe: { httpGet: httpGet('/healthz'), periodSeconds: 2, failureThreshold: 30 },
                resources: { requests: { ...resources.requests }, limits: { ...resources.limits } },
                securityContext: restrictedContainerSecurityContext(),
                volumeMount: volumeMounts,
              },
            ],
          },
        },
      },
      // The autoscaler owns the replica count once deployed; re-applying must not reset it.
      lifecycle: { ignoreChanges: ['spec[0].replicas'] },
      // The bundle's volume names its ConfigMap literally: create both ConfigMaps before the pods.
      dependsOn: [this.modelConfigMap, ...(this.bundle ? [this.bundle.configMap] : []), ...(props.dependsOn ?? [])],
    });

    // Security scan (npm run scan) suppressions, added with tools/terraform: reasons reviewed with the code.
    suppressCheckovCheck(this.deployment, 'CKV_K8S_43',
      'The default image is the official Node image pinned by version tag (the code and model ship in ConfigMaps); an operator who needs digest pinning sets prediction.image to an image@sha256 reference.');
    suppressCheckovCheck(this.deployment, 'CKV_K8S_15',
      'IfNotPresent with a version-pinned image avoids a registry pull for every one of the replicas on each start; Always only matters for mutable tags.');

    this.autoscaler = new HorizontalPodAutoscalerV2(this, 'autoscaler', {
      metadata: { name: this.name, namespace: props.namespace, labels },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: this.deployment.metadata.name },
        minReplicas: this.replicas,
        maxReplicas: this.maxReplicas,
        metric: [
          {
            type: 'Resource',
            resource: {
              name: 'cpu',
              target: { type: 'Utilization', averageUtilization: props.targetCpuUtilization ?? d.targetCpuUtilization },
            },
          },
        ],
        // Every scale step rebalances the consumer group: scale down slowly. selectPolicy is spelled out because the
        // provider sends an unset one as "", which the API server refuses (supported values: Disabled, Max, Min).
        behavior: {
          scaleDown: [{ stabilizationWindowSeconds: 300, selectPolicy: 'Max', policy: [{ type: 'Pods', value: 1, periodSeconds: 60 }] }],
        },
      },
    });

    this.disruptionBudget = new PodDisruptionBudgetV1(this, 'disruption-budget', {
      metadata: { name: this.name, namespace: props.namespace, labels },
      spec: { maxUnavailable: '1', selector: { matchLabels: this.matchLabels } },
    });
  }
}

function validate(name: string, props: PredictionServiceProps, replicas: number, maxReplicas: number): void {
  const issue = (field: string, problem: string, fix: string): ConfigIssue => ({ environment: '', field: `PredictionService.${field}`, problem, fix });
  const issues: Array<ConfigIssue | undefined> = [
    boundIssue('PredictionService.inputPartitions', props.inputPartitions, BOUNDS.topicPartitions),
    boundIssue('PredictionService.replicas', replicas, BOUNDS.predictionReplicas),
    boundIssue('PredictionService.maxReplicas', maxReplicas, BOUNDS.predictionReplicas),
  ];
  if (!/^[a-z0-9]([-a-z0-9]{0,40}[a-z0-9])?$/.test(name)) {
    issues.push(issue('name', `"${name}" is not a DNS label of at most 42 characters`, 'use lowercase letters, digits and dashes'));
  }
  if (maxReplicas > props.inputPartitions) {
    issues.push(issue('maxReplicas', `${maxReplicas} exceeds the ${props.inputPartitions} partitions of the input topic; extra consumers would sit idle`,
      `use at most ${props.inputPartitions} or add partitions to the input topic`));
  } else if (replicas > maxReplicas) {
    issues.push(issue('replicas', `replicas (${replicas}) exceeds maxReplicas (${maxReplicas}, at most the input topic's ${props.inputPartitions} partitions); consumers beyond the partition count would sit idle`,
      `use at most ${maxReplicas} replicas`));
  }
  if (!props.bootstrap) issues.push(issue('bootstrap', 'is empty', 'name the Kafka bootstrap address'));
  const found = issues.filter((entry): entry is ConfigIssue => entry !== undefined);
  if (found.length > 0) throw new ConfigError(found);
}

function readModel(file: string): { sizeBytes: number; contentHash: string } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw new Error(`PredictionService: cannot read the model file ${file}: ${(error as Error).message}`);
  }
  let text: string;
  try {
    // Terraform's file() refuses invalid UTF-8 at plan time: refuse it here, at synth.
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new Error(`PredictionService: model file ${file} is not valid UTF-8`);
  }
  const sizeBytes = Buffer.byteLength(text, 'utf8') + Buffer.byteLength('model.json');
  if (sizeBytes >= CONFIG_MAP_MAX_BYTES) {
    throw new Error(`PredictionService: model file ${file} is ${sizeBytes} bytes; a ConfigMap holds less than ${CONFIG_MAP_MAX_BYTES}`);
  }
  return { sizeBytes, contentHash: createHash('sha256').update(text).digest('hex').slice(0, 16) };
}
