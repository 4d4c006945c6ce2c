import { createHash } from 'node:crypto';
import { Construct } from 'constructs';
import type { ITerraformDependable } from 'cdktf';
import { ConfigMapV1 } from '@cdktf/provider-kubernetes/lib/config-map-v1';
import { ServiceV1 } from '@cdktf/provider-kubernetes/lib/service-v1';
import {
  StatefulSetV1,
  type StatefulSetV1SpecTemplateSpecContainerEnv,
  type StatefulSetV1SpecTemplateSpecVolume,
} from '@cdktf/provider-kubernetes/lib/stateful-set-v1';
import { PodDisruptionBudgetV1 } from '@cdktf/provider-kubernetes/lib/pod-disruption-budget-v1';
import { DEFAULTS, PROJECT } from '../../config/schema';
import { BOUNDS, assertWithin } from '../../contracts/bounds';
import { ConfigError, settingError } from '../../contracts/config-error';
import {
  BROKER_DEFAULTS,
  BROKER_EXTERNAL_PORT,
  BROKER_PORT,
  BROKER_REPLICATION_PORT,
  EXTERNAL_NODE_PORTS,
  CLUSTER_OWNED_BROKER_KEYS,
  isClusterOwnedBrokerKey,
  renderProperties,
} from '../../contracts/kafka-settings';
import { KUBERNETES_SECRETS, securedBrokerSettings } from '../../contracts/kafka-security';
import { NodeAppBundle } from '../k8s/node-app-bundle';
import { podPlacement } from '../k8s/placement';
import { nonRootPodSecurityContext, restrictedContainerSecurityContext, WRITABLE_TMP } from '../k8s/security';
import { escapeTerraformTemplate } from '../k8s/terraform-escape';
import { BrokerRackAwareness } from './rack-awareness';
import { claimRetentionPolicy, dataVolumeClaimTemplate, type VolumeRetention } from '../k8s/stateful-storage';

/** Clients outside the cluster through one load balancer per broker, each with a stable DNS name. */
export interface LoadBalancerExternalListenerProps {
  readonly kind?: 'loadBalancer';
  /** Advertised host of each broker, `{id}` replaced by the broker id, e.g. 'broker-{id}.kafka.dev.internal'. */
  readonly hostTemplate: string;
  readonly port?: number;
}

/**
 * Clients outside the cluster through NodePorts (no load balancers): each broker advertises the address of the node
 * it runs on and its own NodePort, EXTERNAL_NODE_PORTS.firstBroker + id.
 */
export interface NodePortExternalListenerProps {
  readonly kind: 'nodePort';
  readonly port?: number;
}

export type ExternalListenerProps = LoadBalancerExternalListenerProps | NodePortExternalListenerProps;

export interface KafkaClusterProps {
  readonly namespace: string;
  /** Image of the rack lookup init container (a bundled Node program); default NODE_APP_IMAGE. */
  readonly nodeRuntimeImage?: string;
  /** ZooKeeper connect string (ZooKeeperEnsemble.connectString). */
  readonly zookeeperConnect: string;
  readonly brokers?: number;
  readonly image?: string;
  readonly heapMb?: number;
  readonly storageGiB?: number;
  /** Undefined: the cluster's default StorageClass. */
  readonly storageClassName?: string;
  /** Whether the brokers' volume claims outlive the StatefulSet (production) or go with it. */
  readonly volumeRetention?: VolumeRetention;
  /** One broker per node and zones balanced, as hard rules (false for single-node dev clusters). */
  readonly strictPlacement?: boolean;
  /** Adds the EXTERNAL listener (clients outside the cluster, through per-broker load balancers). */
  readonly externalListener?: ExternalListenerProps;
  /**
   * Extra or changed broker settings on top of the shared RF-3 defaults. Keys the construct sets itself
   * (CLUSTER_OWNED_BROKER_KEYS: listeners, advertised.*, zookeeper.connect, broker.id, log.dirs, ...) are refused.
   */
  readonly brokerConfig?: Record<string, string>;
  readonly clusterDomain?: string;
  readonly name?: string;
  /** Resources the brokers wait for (the ZooKeeper StatefulSet: brokers exit when ZooKeeper is unreachable). */
  readonly dependsOn?: ITerraformDependable[];
  /**
   * TLS on every listener, SCRAM-SHA-512 for clients, mutual TLS between brokers, ACLs, SASL to ZooKeeper
   * (contracts/kafka-security.ts securedBrokerSettings). Undefined: plaintext, for tests of the construct alone.
   */
  readonly security?: KafkaClusterSecurityProps;
}

export interface KafkaClusterSecurityProps {
  /** The Secret with the cluster CA and its key (KafkaClusterCredentials.caSecretName). */
  readonly caSecretName: string;
  /** The Secret with ZooKeeper's client JAAS file (KafkaClusterCredentials.zookeeperSaslSecretName). */
  readonly zookeeperSaslSecretName: string;
  /** Names clients reach the brokers by besides each broker's own (the bootstrap Service's names). */
  readonly extraDnsNames?: readonly string[];
  /** Validity of the broker certificates, issued at every pod start. */
  readonly certificateValidDays?: number;
}

export const KAFKA_CLUSTER_DEFAULTS = {
  name: 'kafka',
  brokers: DEFAULTS.streaming.kafka.brokers,
  image: DEFAULTS.streaming.kafka.image,
  heapMb: DEFAULTS.streaming.kafka.heapMb,
  storageGiB: DEFAULTS.streaming.kafka.storageGiB,
  strictPlacement: true,
  /** Claims go with the StatefulSet; the streaming stack keeps them in production. */
  volumeRetention: 'delete' as VolumeRetention,
  clusterDomain: 'cluster.local',
  internalPort: BROKER_PORT,
  externalPort: BROKER_EXTERNAL_PORT,
  /** apache/kafka's `appuser`. */
  uid: 1000,
  kafkaHome: '/opt/kafka',
  cpuRequest: '500m',
  /** Pod memory = heap x this: the rest is page cache and JVM overhead. */
  memoryPerHeap: 2,
  /** Brokers finish in-flight requests and hand over leadership before they stop. */
  terminationGracePeriodSeconds: 120,
  replicationPort: BROKER_REPLICATION_PORT,
  /** A pod restart renews its certificate; a month covers brokers that run that long without one. */
  certificateValidDays: 30,
} as const;

const CONFIG_DIR = '/opt/airline/config';
const RUN_DIR = '/opt/airline/run';
const DATA_DIR = '/var/lib/kafka/data';
const TLS_DIR = '/var/run/airline/tls';
const CA_DIR = '/var/run/airline/cluster-ca';
const ZOOKEEPER_SASL_DIR = '/var/run/airline/zookeeper-sasl';

/** The start script: per-broker settings (id, rack, advertised names) from the pod, then the broker. */
export const START_BROKER_SCRIPT = `#!/bin/bash
# Broker id = pod ordinal, rack = node zone (written by the node-zone init container), advertised names = the pod's
# stable DNS name (and its external name when an EXTERNAL listener is configured).
set -euo pipefail
ordinal="\${HOSTNAME##*-}"
rack="$(tr -d '[:space:]' 2>/dev/null < "$RACK_FILE" || true)"
config="$RUN_DIR/server.properties"
# A restarted container finds the previous copy (read-only, as the ConfigMap's files are): replace it.
rm -f "$config"
cp "$BASE_CONFIG" "$config"
chmod u+w "$config"
advertised="INTERNAL://\${HOSTNAME}.\${HEADLESS_DOMAIN}:\${INTERNAL_PORT}"
if [ -n "\${REPLICATION_PORT:-}" ]; then advertised="\${advertised},REPLICATION://\${HOSTNAME}.\${HEADLESS_DOMAIN}:\${REPLICATION_PORT}"; fi
if [ -n "\${EXTERNAL_HOST_TEMPLATE:-}" ]; then
  # Per-broker NodePorts: the advertised port is the first one plus the ordinal; load balancers keep the listener's.
  external_port="\${EXTERNAL_PORT}"
  if [ -n "\${EXTERNAL_FIRST_ADVERTISED_PORT:-}" ]; then external_port=$((EXTERNAL_FIRST_ADVERTISED_PORT + ordinal)); fi
  advertised="\${advertised},EXTERNAL://\${EXTERNAL_HOST_TEMPLATE//\\{id\\}/$ordinal}:\${external_port}"
fi
{
  echo "broker.id=\${ordinal}"
  echo "broker.rack=\${rack:-$FALLBACK_RACK}"
  echo "advertised.listeners=\${advertised}"
} >> "$config"
mkdir -p "$LOG_DIRS"
# The JVM directly, not the release's bin/ scripts: images built from the Maven jars have only $KAFKA_HOME/libs.
# shellcheck disable=SC2086 # KAFKA_HEAP_OPTS and KAFKA_JVM_OPTS hold several flags
exec java $KAFKA_HEAP_OPTS \${KAFKA_JVM_OPTS:-} -Dlog4j.configuration="file:$LOG4J_CONFIG" \
  -cp "$KAFKA_HOME/libs/*" kafka.Kafka "$config"
`;

/** Brokers log to the console only: Kubernetes keeps container output. */
export const BROKER_LOG4J_PROPERTIES = `log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.state.change.logger=INFO
`;

/**
 * Readiness: the broker answers on its own listener AND its id is in the cluster metadata it serves, which happens
 * only after it registered in ZooKeeper and the controller announced it. Secured, the check speaks mutual TLS as the
 * broker itself on the inter-broker listener, by the pod's own name (which its certificate holds).
 */
export const BROKER_READY_SCRIPT = `#!/bin/bash
set -u
ordinal="\${HOSTNAME##*-}"
if [ -n "\${PROBE_CONFIG:-}" ]; then
  target=(--bootstrap-server "\${HOSTNAME}.\${HEADLESS_DOMAIN}:\${REPLICATION_PORT}" --command-config "$PROBE_CONFIG")
else
  target=(--bootstrap-server "localhost:\${INTERNAL_PORT}")
fi
# Only this broker's line matters; the tool's exit status also reflects other brokers, so it is ignored.
output="$(java -Xmx96m -Xms32m -cp "$KAFKA_HOME/libs/*" kafka.admin.BrokerApiVersionsCommand "\${target[@]}" 2>/dev/null || true)"
grep -q "(id: \${ordinal} rack: " <<<"$output"
`;

/** RF rules scaled down when a (test) cluster has fewer than 3 brokers; the defaults assume 3. */
export function replicationSettingsFor(brokers: number): Record<string, string> {
  if (brokers >= 3) return {};
  const minIsr = String(Math.max(1, brokers - 1));
  return {
    'default.replication.factor': String(brokers),
    'min.insync.replicas': minIsr,
    'offsets.topic.replication.factor': String(brokers),
    'transaction.state.log.replication.factor': String(brokers),
    'transaction.state.log.min.isr': minIsr,
  };
}

/** A brokerConfig key that KafkaCluster derives itself (addresses, listeners, identity, storage). */
export class ClusterOwnedBrokerSettingError extends ConfigError {
  constructor(readonly keys: readonly string[]) {
    super(keys.map((key) => ({
      environment: '',
      field: `KafkaCluster.brokerConfig.${key}`,
      problem: 'is set by the construct itself (from the namespace, the ZooKeeper ensemble, the pod and its volume)',
      fix: `remove it; the construct owns ${CLUSTER_OWNED_BROKER_KEYS.join(', ')}`,
    })));
    this.name = 'ClusterOwnedBrokerSettingError';
  }
}

function refuseClusterOwnedKeys(brokerConfig: Readonly<Record<string, string>> | undefined): void {
  const owned = Object.keys(brokerConfig ?? {}).filter(isClusterOwnedBrokerKey);
  if (owned.length > 0) throw new ClusterOwnedBrokerSettingError(owned);
}

/**
 * Kafka brokers in ZooKeeper mode as a StatefulSet on the official apache/kafka image: rack-aware (node zone),
 * persistent volumes, a headless Service for stable per-broker names, a PDB, and brokers spread over nodes/zones.
 */
export class KafkaCluster extends Construct {
  readonly brokerCount: number;
  readonly podLabels: Record<string, string>;
  readonly headlessServiceName: string;
  readonly internalPort: number;
  readonly externalPort?: number;
  /** `kafka-0.kafka-headless.<ns>.svc.<domain>:9092`, ... (what brokers advertise inside the cluster). */
  readonly brokerAddresses: string[];
  /** Pod names, `kafka-0` ... */
  readonly podNames: string[];
  readonly serverProperties: string;
  readonly statefulSet: StatefulSetV1;
  readonly podDisruptionBudget: PodDisruptionBudgetV1;
  readonly rackAwareness: BrokerRackAwareness;
  /** Whether the brokers run with TLS, SCRAM, ACLs and ZooKeeper SASL (props.security). */
  readonly secured: boolean;
  /** The mutual-TLS inter-broker listener's port, when secured. */
  readonly replicationPort?: number;
  /** The init container program that issues each broker's certificate, when secured. */
  readonly certificateBundle?: NodeAppBundle;

  constructor(scope: Construct, id: string, props: KafkaClusterProps) {
    super(scope, id);
    const d = KAFKA_CLUSTER_DEFAULTS;
    const name = props.name ?? d.name;
    const brokers = props.brokers ?? d.brokers;
    const heapMb = props.heapMb ?? d.heapMb;
    const storageGiB = props.storageGiB ?? d.storageGiB;
    const clusterDomain = props.clusterDomain ?? d.clusterDomain;
    assertWithin('KafkaCluster.brokers', brokers, BOUNDS.kafkaBrokers);
    assertWithin('KafkaCluster.heapMb', heapMb, BOUNDS.kafkaHeapMb);
    assertWithin('KafkaCluster.storageGiB', storageGiB, BOUNDS.storageGiB);
    refuseClusterOwnedKeys(props.brokerConfig);
    if (props.externalListener?.kind !== 'nodePort' && props.externalListener && !props.externalListener.hostTemplate.includes('{id}')) {
      throw settingError('KafkaCluster.externalListener.hostTemplate', `"${props.externalListener.hostTemplate}" must contain {id}`, 'write it as broker-{id}.<domain>');
    }
    this.brokerCount = brokers;
    this.internalPort = d.internalPort;
    this.externalPort = props.externalListener ? (props.externalListener.port ?? d.externalPort) : undefined;
    this.headlessServiceName = `${name}-headless`;
    this.podLabels = { 'app.kubernetes.io/name': name, 'app.kubernetes.io/part-of': PROJECT };
    const labels = { ...this.podLabels, 'app.kubernetes.io/component': 'broker' };
    const headlessDomain = `${this.headlessServiceName}.${props.namespace}.svc.${clusterDomain}`;
    this.podNames = Array.from({ length: brokers }, (_, ordinal) => `${name}-${ordinal}`);
    this.brokerAddresses = this.podNames.map((pod) => `${pod}.${headlessDomain}:${this.internalPort}`);

    const security = props.security;
    this.secured = security !== undefined;
    this.replicationPort = security ? d.replicationPort : undefined;
    const clientProtocol = security ? 'SASL_SSL' : 'PLAINTEXT';
    const listeners = [`INTERNAL://:${this.internalPort}`];
    const protocols = [`INTERNAL:${clientProtocol}`];
    if (this.replicationPort !== undefined) {
      listeners.push(`REPLICATION://:${this.replicationPort}`);
      protocols.push('REPLICATION:SSL');
    }
    if (this.externalPort !== undefined) {
      listeners.push(`EXTERNAL://:${this.externalPort}`);
      protocols.push(`EXTERNAL:${clientProtocol}`);
    }
    this.serverProperties = renderProperties({
      ...BROKER_DEFAULTS,
      ...replicationSettingsFor(brokers),
      ...props.brokerConfig,
      'zookeeper.connect': props.zookeeperConnect,
      listeners: listeners.join(','),
      'listener.security.protocol.map': protocols.join(','),
      'inter.broker.listener.name': 'INTERNAL',
      ...(security
        ? securedBrokerSettings({
          scram: this.externalPort !== undefined ? ['INTERNAL', 'EXTERNAL'] : ['INTERNAL'],
          interBroker: 'REPLICATION',
          keyStoreFile: `${TLS_DIR}/keystore.pem`,
          trustStoreFile: `${TLS_DIR}/truststore.pem`,
        })
        : {}),
      'log.dirs': `${DATA_DIR}/logs`,
    });
    // The readiness check's client settings: the broker's own certificate on the inter-broker listener.
    const probeProperties = renderProperties({
      'security.protocol': 'SSL',
      'ssl.keystore.type': 'PEM',
      'ssl.keystore.location': `${TLS_DIR}/keystore.pem`,
      'ssl.truststore.type': 'PEM',
      'ssl.truststore.location': `${TLS_DIR}/truststore.pem`,
    });
    const configHash = createHash('sha256')
      .update(this.serverProperties)
      .update(JSON.stringify(security ?? {}))
      .update(START_BROKER_SCRIPT)
      .update(BROKER_READY_SCRIPT)
      .digest('hex')
      .slice(0, 16);

    const config = new ConfigMapV1(this, 'config', {
      metadata: { name: `${name}-config`, namespace: props.namespace, labels },
      data: {
        'server.properties': this.serverProperties,
        'start-broker.sh': escapeTerraformTemplate(START_BROKER_SCRIPT),
        'broker-ready.sh': escapeTerraformTemplate(BROKER_READY_SCRIPT),
        'log4j.properties': BROKER_LOG4J_PROPERTIES,
        ...(security ? { 'probe.properties': probeProperties } : {}),
      },
    });

    const headless = new ServiceV1(this, 'headless', {
      metadata: { name: this.headlessServiceName, namespace: props.namespace, labels },
      spec: {
        clusterIp: 'None',
        // Brokers resolve each other (and the controller reaches them) before they are ready.
        publishNotReadyAddresses: true,
        selector: this.podLabels,
        port: [
          { name: 'internal', port: this.internalPort, targetPort: 'internal' },
          ...(this.replicationPort !== undefined ? [{ name: 'replication', port: this.replicationPort, targetPort: 'replication' }] : []),
        ],
      },
    });

    this.rackAwareness = new BrokerRackAwareness(this, 'rack', {
      namespace: props.namespace,
      name: `${name}-broker`,
      labels: this.podLabels,
      nodeRuntimeImage: props.nodeRuntimeImage,
    });

    const placement = podPlacement({ matchLabels: this.podLabels, strict: props.strictPlacement ?? d.strictPlacement });
    const memory = `${heapMb * d.memoryPerHeap}Mi`;
    const env: StatefulSetV1SpecTemplateSpecContainerEnv[] = [
      { name: 'KAFKA_HEAP_OPTS', value: `-Xmx${heapMb}m -Xms${heapMb}m` },
      { name: 'KAFKA_HOME', value: d.kafkaHome },
      { name: 'BASE_CONFIG', value: `${CONFIG_DIR}/server.properties` },
      { name: 'LOG4J_CONFIG', value: `${CONFIG_DIR}/log4j.properties` },
      { name: 'RUN_DIR', value: RUN_DIR },
      { name: 'LOG_DIRS', value: `${DATA_DIR}/logs` },
      { name: 'HEADLESS_DOMAIN', value: headlessDomain },
      { name: 'INTERNAL_PORT', value: String(this.internalPort) },
      { name: 'RACK_FILE', value: this.rackAwareness.rackFile },
      { name: 'FALLBACK_RACK', value: this.rackAwareness.fallbackRack },
    ];
    const ports = [{ name: 'internal', containerPort: this.internalPort }];
    const initContainers = [this.rackAwareness.initContainer];
    const securityVolumes: StatefulSetV1SpecTemplateSpecVolume[] = [];
    const securityMounts: Array<{ name: string; mountPath: string; readOnly?: boolean }> = [];
    if (security && this.replicationPort !== undefined) {
      env.push(
        { name: 'REPLICATION_PORT', value: String(this.replicationPort) },
        { name: 'PROBE_CONFIG', value: `${CONFIG_DIR}/probe.properties` },
        // Brokers log in to ZooKeeper with SASL (the JAAS file's Client section).
        { name: 'KAFKA_JVM_OPTS', value: `-Djava.security.auth.login.config=${ZOOKEEPER_SASL_DIR}/${KUBERNETES_SECRETS.keys.zookeeperClientJaas}` },
      );
      ports.push({ name: 'replication', containerPort: this.replicationPort });
      this.certificateBundle = new NodeAppBundle(this, 'broker-certificate', {
        entry: 'constructs/kafka/runtime/broker-certificate.ts',
        name: 'broker-certificate',
        namespace: props.namespace,
        labels,
        image: props.nodeRuntimeImage,
      });
      const nodePort = props.externalListener?.kind === 'nodePort';
      const externalHost = props.externalListener && props.externalListener.kind !== 'nodePort' ? [props.externalListener.hostTemplate] : [];
      initContainers.push({
        name: 'broker-certificate',
        image: this.certificateBundle.image,
        command: this.certificateBundle.command,
        env: [
          { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          { name: 'HEADLESS_DOMAIN', value: headlessDomain },
          { name: 'EXTRA_DNS_NAMES', value: [...(security.extraDnsNames ?? []), ...externalHost].join(',') },
          // Node-port clients reach a broker, and the bootstrap, at any node's address.
          { name: 'INCLUDE_NODE_ADDRESSES', value: String(nodePort) },
          { name: 'CA_DIR', value: CA_DIR },
          { name: 'OUTPUT_DIR', value: TLS_DIR },
          { name: 'VALID_DAYS', value: String(security.certificateValidDays ?? d.certificateValidDays) },
          { name: 'SERVICE_ACCOUNT_DIR', value: this.rackAwareness.tokenDir },
        ],
        volumeMount: [
          this.certificateBundle.volumeMount,
          { name: 'cluster-ca', mountPath: CA_DIR, readOnly: true },
          { name: 'tls', mountPath: TLS_DIR },
          ...(nodePort ? [this.rackAwareness.tokenVolumeMount] : []),
        ],
        resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '128Mi' } },
        securityContext: restrictedContainerSecurityContext(),
      });
      securityVolumes.push(
        this.certificateBundle.volume,
        // The CA key reaches the issuing init container only; the broker container mounts the issued stores.
        { name: 'cluster-ca', secret: { secretName: security.caSecretName, defaultMode: '0400' } },
        { name: 'tls', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } },
        { name: 'zookeeper-sasl', secret: { secretName: security.zookeeperSaslSecretName, defaultMode: '0400' } },
      );
      securityMounts.push({ name: 'tls', mountPath: TLS_DIR, readOnly: true }, { name: 'zookeeper-sasl', mountPath: ZOOKEEPER_SASL_DIR, readOnly: true });
    }
    const external = props.externalListener;
    if (external?.kind === 'nodePort' && this.externalPort !== undefined) {
      env.push(
        { name: 'NODE_IP', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
        // $(NODE_IP): expanded by the kubelet from the variable above.
        { name: 'EXTERNAL_HOST_TEMPLATE', value: '$(NODE_IP)' },
        { name: 'EXTERNAL_PORT', value: String(this.externalPort) },
        { name: 'EXTERNAL_FIRST_ADVERTISED_PORT', value: String(EXTERNAL_NODE_PORTS.firstBroker) },
      );
      ports.push({ name: 'external', containerPort: this.externalPort });
    } else if (external && external.kind !== 'nodePort' && this.externalPort !== undefined) {
      env.push(
        { name: 'EXTERNAL_HOST_TEMPLATE', value: external.hostTemplate },
        { name: 'EXTERNAL_PORT', value: String(this.externalPort) },
      );
      ports.push({ name: 'external', containerPort: this.externalPort });
    }

    this.statefulSet = new StatefulSetV1(this, 'statefulset', {
      dependsOn: props.dependsOn,
      metadata: { name, namespace: props.namespace, labels },
      spec: {
        serviceName: headless.metadata.name,
        replicas: String(brokers),
        // Brokers do not depend on each other to start; starting them together halves cold start.
        podManagementPolicy: 'Parallel',
        updateStrategy: [{ type: 'RollingUpdate' }],
        persistentVolumeClaimRetentionPolicy: [claimRetentionPolicy(props.volumeRetention ?? d.volumeRetention)],
        selector: { matchLabels: this.podLabels },
        template: {
          metadata: {
            labels,
            annotations: { 'airline.io/config-hash': configHash, ...this.rackAwareness.podAnnotations, ...this.certificateBundle?.podAnnotations },
          },
          spec: {
            serviceAccountName: this.rackAwareness.serviceAccountName,
            automountServiceAccountToken: false,
            securityContext: nonRootPodSecurityContext(d.uid),
            terminationGracePeriodSeconds: d.terminationGracePeriodSeconds,
            affinity: placement.affinity,
            topologySpreadConstraint: placement.topologySpreadConstraint,
            initContainer: initContainers,
            container: [
              {
                name: 'kafka',
                image: props.image ?? d.image,
                command: ['bash', `${CONFIG_DIR}/start-broker.sh`],
                env,
                port: ports,
                // Log recovery after an unclean stop can take minutes: liveness waits for the first start.
                startupProbe: {
                  tcpSocket: [{ port: 'internal' }],
                  periodSeconds: 10,
                  failureThreshold: 60,
                },
                // Each check starts a small JVM (about a CPU-second): every 20 s is enough for rollouts.
                readinessProbe: {
                  exec: { command: ['bash', `${CONFIG_DIR}/broker-ready.sh`] },
                  periodSeconds: 20,
                  timeoutSeconds: 20,
                  failureThreshold: 3,
                },
                livenessProbe: {
                  tcpSocket: [{ port: 'internal' }],
                  periodSeconds: 20,
                  timeoutSeconds: 5,
                  failureThreshold: 6,
                },
                resources: {
                  requests: { cpu: d.cpuRequest, memory },
                  limits: { memory },
                },
                securityContext: restrictedContainerSecurityContext(),
                volumeMount: [
                  { name: 'data', mountPath: DATA_DIR },
                  { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
                  { name: 'run', mountPath: RUN_DIR },
                  WRITABLE_TMP.volumeMount,
                  this.rackAwareness.brokerVolumeMount,
                  ...securityMounts,
                ],
              },
            ],
            volume: [
              { name: 'config', configMap: { name: config.metadata.name, defaultMode: '0555' } },
              { name: 'run', emptyDir: { sizeLimit: '16Mi' } },
              WRITABLE_TMP.volume,
              ...this.rackAwareness.volumes,
              ...securityVolumes,
            ],
          },
        },
        volumeClaimTemplate: [dataVolumeClaimTemplate(this.podLabels, props.storageClassName, storageGiB)],
      },
    });

    this.podDisruptionBudget = new PodDisruptionBudgetV1(this, 'pdb', {
      metadata: { name, namespace: props.namespace, labels },
      // With RF 3 and min.insync.replicas 2, one broker down keeps every partition writable.
      spec: { maxUnavailable: '1', selector: { matchLabels: this.podLabels } },
    });
  }
}
