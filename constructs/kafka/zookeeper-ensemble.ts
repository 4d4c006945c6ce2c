import { createHash } from 'node:crypto';
import { Construct } from 'constructs';
import type { ITerraformDependable } from 'cdktf';
import { ConfigMapV1 } from '@cdktf/provider-kubernetes/lib/config-map-v1';
import { ServiceV1 } from '@cdktf/provider-kubernetes/lib/service-v1';
import { StatefulSetV1 } from '@cdktf/provider-kubernetes/lib/stateful-set-v1';
import { PodDisruptionBudgetV1 } from '@cdktf/provider-kubernetes/lib/pod-disruption-budget-v1';
import { DEFAULTS, PROJECT } from '../../config/schema';
import { BOUNDS, assertWithin } from '../../contracts/bounds';
import { settingError } from '../../contracts/config-error';
import {
  ZOOKEEPER_CLIENT_PORT,
  ZOOKEEPER_DEFAULTS,
  ZOOKEEPER_ELECTION_PORT,
  ZOOKEEPER_PEER_PORT,
  renderProperties,
} from '../../contracts/kafka-settings';
import { KUBERNETES_SECRETS, ZOOKEEPER_SASL_SETTINGS } from '../../contracts/kafka-security';
import { podPlacement } from '../k8s/placement';
import { escapeTerraformTemplate } from '../k8s/terraform-escape';
import { nonRootPodSecurityContext, restrictedContainerSecurityContext, WRITABLE_TMP } from '../k8s/security';
import { claimRetentionPolicy, dataVolumeClaimTemplate, type VolumeRetention } from '../k8s/stateful-storage';

export interface ZooKeeperEnsembleProps {
  readonly namespace: string;
  readonly replicas?: number;
  readonly image?: string;
  readonly heapMb?: number;
  readonly storageGiB?: number;
  /** Undefined: the cluster's default StorageClass. */
  readonly storageClassName?: string;
  /** Whether the servers' volume claims outlive the StatefulSet (production) or go with it. */
  readonly volumeRetention?: VolumeRetention;
  /** One server per node and zones balanced, as hard rules (false for single-node dev clusters). */
  readonly strictPlacement?: boolean;
  readonly clusterDomain?: string;
  readonly name?: string;
  /**
   * A Secret with the server JAAS file (KafkaClusterCredentials.zookeeperSaslSecretName): only SASL-authenticated
   * clients are served. Undefined: no authentication (tests of the ensemble alone).
   */
  readonly saslSecretName?: string;
  /** Resources the servers wait for (the Job that makes the SASL Secret). */
  readonly dependsOn?: ITerraformDependable[];
}

export const ZOOKEEPER_ENSEMBLE_DEFAULTS = {
  name: 'zookeeper',
  replicas: DEFAULTS.streaming.zookeeper.replicas,
  image: DEFAULTS.streaming.zookeeper.image,
  heapMb: DEFAULTS.streaming.zookeeper.heapMb,
  storageGiB: DEFAULTS.streaming.zookeeper.storageGiB,
  strictPlacement: true,
  /** Claims go with the StatefulSet; the streaming stack keeps them in production. */
  volumeRetention: 'delete' as VolumeRetention,
  clusterDomain: 'cluster.local',
  /** The official image's user. */
  uid: 1000,
  cpuRequest: '250m',
  /** Non-heap JVM memory on top of the heap. */
  memoryOverheadMb: 384,
} as const;

const CONFIG_DIR = '/conf';
const DATA_DIR = '/data';
/** The official image's ZOO_LOG_DIR. */
const ZOOKEEPER_LOG_DIR = '/logs';
const SASL_DIR = '/var/run/airline/zookeeper-sasl';

/**
 * A ZooKeeper ensemble as a StatefulSet on the official `zookeeper` image: zoo.cfg from a ConfigMap (the image's
 * entrypoint keeps an existing zoo.cfg), myid = pod ordinal + 1 (ZOO_MY_ID), headless Service for peer traffic and
 * stable names, a client Service, persistent volumes, a PDB that keeps a quorum, and servers spread over nodes/zones.
 */
export class ZooKeeperEnsemble extends Construct {
  readonly replicas: number;
  readonly headlessServiceName: string;
  readonly clientServiceName: string;
  /** `zookeeper-0.<headless>...:2181,...`: the connect string for Kafka's zookeeper.connect. */
  readonly connectString: string;
  /** `zookeeper-client.<ns>.svc.<domain>:2181` */
  readonly clientAddress: string;
  readonly podLabels: Record<string, string>;
  readonly zooCfg: string;
  readonly statefulSet: StatefulSetV1;
  readonly podDisruptionBudget: PodDisruptionBudgetV1;

  constructor(scope: Construct, id: string, props: ZooKeeperEnsembleProps) {
    super(scope, id);
    const d = ZOOKEEPER_ENSEMBLE_DEFAULTS;
    const name = props.name ?? d.name;
    const replicas = props.replicas ?? d.replicas;
    const heapMb = props.heapMb ?? d.heapMb;
    const storageGiB = props.storageGiB ?? d.storageGiB;
    const clusterDomain = props.clusterDomain ?? d.clusterDomain;
    const oddFix = 'use an odd number (a majority must survive): 1, 3, 5 or 7';
    assertWithin('ZooKeeperEnsemble.replicas', replicas, BOUNDS.zookeeperReplicas, oddFix);
    if (replicas % 2 === 0) {
      throw settingError('ZooKeeperEnsemble.replicas', `${replicas} servers tolerate no more failures than ${replicas - 1}`, oddFix);
    }
    assertWithin('ZooKeeperEnsemble.heapMb', heapMb, BOUNDS.zookeeperHeapMb);
    assertWithin('ZooKeeperEnsemble.storageGiB', storageGiB, BOUNDS.storageGiB);
    this.replicas = replicas;
    this.headlessServiceName = `${name}-headless`;
    this.clientServiceName = `${name}-client`;
    this.podLabels = { 'app.kubernetes.io/name': name, 'app.kubernetes.io/part-of': PROJECT };
    const labels = { ...this.podLabels, 'app.kubernetes.io/component': 'coordination' };
    const peerDomain = `${this.headlessServiceName}.${props.namespace}.svc.${clusterDomain}`;
    const serverHosts = Array.from({ length: replicas }, (_, ordinal) => `${name}-${ordinal}.${peerDomain}`);
    this.connectString = serverHosts.map((host) => `${host}:${ZOOKEEPER_CLIENT_PORT}`).join(',');
    this.clientAddress = `${this.clientServiceName}.${props.namespace}.svc.${clusterDomain}:${ZOOKEEPER_CLIENT_PORT}`;

    this.zooCfg = renderProperties({
      ...ZOOKEEPER_DEFAULTS,
      dataDir: `${DATA_DIR}/snapshots`,
      dataLogDir: `${DATA_DIR}/txlog`,
      clientPort: String(ZOOKEEPER_CLIENT_PORT),
      // Peers resolve each other's names to pod IPs; listen on all interfaces so elections work behind Services.
      quorumListenOnAllIPs: 'true',
      standaloneEnabled: replicas === 1 ? 'true' : 'false',
      ...(props.saslSecretName ? ZOOKEEPER_SASL_SETTINGS : {}),
      ...Object.fromEntries(
        serverHosts.map((host, ordinal) => [
          `server.${ordinal + 1}`,
          `${host}:${ZOOKEEPER_PEER_PORT}:${ZOOKEEPER_ELECTION_PORT};${ZOOKEEPER_CLIENT_PORT}`,
        ]),
      ),
    });
    const configHash = createHash('sha256').update(this.zooCfg).update(props.saslSecretName ?? '').digest('hex').slice(0, 16);

    const config = new ConfigMapV1(this, 'config', {
      metadata: { name: `${name}-config`, namespace: props.namespace, labels },
      data: { 'zoo.cfg': this.zooCfg },
    });

    const headless = new ServiceV1(this, 'headless', {
      metadata: { name: this.headlessServiceName, namespace: props.namespace, labels },
      spec: {
        clusterIp: 'None',
        // Peers must find each other before any of them is ready (readiness needs a quorum).
        publishNotReadyAddresses: true,
        selector: this.podLabels,
        port: [
          { name: 'client', port: ZOOKEEPER_CLIENT_PORT, targetPort: 'client' },
          { name: 'peer', port: ZOOKEEPER_PEER_PORT, targetPort: 'peer' },
          { name: 'election', port: ZOOKEEPER_ELECTION_PORT, targetPort: 'election' },
        ],
      },
    });
    new ServiceV1(this, 'client', {
      metadata: { name: this.clientServiceName, namespace: props.namespace, labels },
      spec: {
        type: 'ClusterIP',
        selector: this.podLabels,
        port: [{ name: 'client', port: ZOOKEEPER_CLIENT_PORT, targetPort: 'client' }],
      },
    });

    const placement = podPlacement({ matchLabels: this.podLabels, strict: props.strictPlacement ?? d.strictPlacement });
    const memory = `${heapMb + d.memoryOverheadMb}Mi`;
    const fourLetterWord = (word: string, expect: string) => [
      'bash',
      '-c',
      `echo ${word} | nc -w 2 127.0.0.1 ${ZOOKEEPER_CLIENT_PORT} | grep -q '${expect}'`,
    ];

    this.statefulSet = new StatefulSetV1(this, 'statefulset', {
      dependsOn: props.dependsOn,
      metadata: { name, namespace: props.namespace, labels },
      spec: {
        serviceName: headless.metadata.name,
        replicas: String(replicas),
        // All servers start together: none is ready until a quorum has formed.
        podManagementPolicy: 'Parallel',
        updateStrategy: [{ type: 'RollingUpdate' }],
        persistentVolumeClaimRetentionPolicy: [claimRetentionPolicy(props.volumeRetention ?? d.volumeRetention)],
        selector: { matchLabels: this.podLabels },
        template: {
          metadata: { labels, annotations: { 'airline.io/config-hash': configHash } },
          spec: {
            securityContext: nonRootPodSecurityContext(d.uid),
            automountServiceAccountToken: false,
            terminationGracePeriodSeconds: 30,
            affinity: placement.affinity,
            topologySpreadConstraint: placement.topologySpreadConstraint,
            container: [
              {
                name: 'zookeeper',
                image: props.image ?? d.image,
                // myid must be 1..255; pod ordinals start at 0.
                command: [
                  'bash',
                  '-c',
                  escapeTerraformTemplate(
                    `mkdir -p ${DATA_DIR}/snapshots ${DATA_DIR}/txlog && export ZOO_MY_ID=$(( \${HOSTNAME##*-} + 1 )) && ` +
                      'exec /docker-entrypoint.sh zkServer.sh start-foreground',
                  ),
                ],
                env: [
                  ...(props.saslSecretName
                    ? [{ name: 'SERVER_JVMFLAGS', value: `-Djava.security.auth.login.config=${SASL_DIR}/${KUBERNETES_SECRETS.keys.zookeeperServerJaas}` }]
                    : []),
                  { name: 'ZK_SERVER_HEAP', value: String(heapMb) },
                  { name: 'ZOO_DATA_DIR', value: `${DATA_DIR}/snapshots` },
                  { name: 'ZOO_DATA_LOG_DIR', value: `${DATA_DIR}/txlog` },
                ],
                port: [
                  { name: 'client', containerPort: ZOOKEEPER_CLIENT_PORT },
                  { name: 'peer', containerPort: ZOOKEEPER_PEER_PORT },
                  { name: 'election', containerPort: ZOOKEEPER_ELECTION_PORT },
                ],
                // Ready = serving as leader or follower of a quorum; `srvr` reports no Mode otherwise.
                readinessProbe: {
                  exec: { command: fourLetterWord('srvr', '^Mode: ') },
                  initialDelaySeconds: 5,
                  periodSeconds: 10,
                  timeoutSeconds: 5,
                  failureThreshold: 3,
                },
                livenessProbe: {
                  exec: { command: fourLetterWord('ruok', 'imok') },
                  initialDelaySeconds: 30,
                  periodSeconds: 15,
                  timeoutSeconds: 5,
                  failureThreshold: 4,
                },
                resources: {
                  requests: { cpu: d.cpuRequest, memory },
                  limits: { memory },
                },
                securityContext: restrictedContainerSecurityContext(),
                volumeMount: [
                  { name: 'data', mountPath: DATA_DIR },
                  { name: 'config', mountPath: `${CONFIG_DIR}/zoo.cfg`, subPath: 'zoo.cfg', readOnly: true },
                  WRITABLE_TMP.volumeMount,
                  // ZOO_LOG_DIR of the image: zkServer.sh creates it; logs themselves go to the console.
                  { name: 'logs', mountPath: ZOOKEEPER_LOG_DIR },
                  ...(props.saslSecretName ? [{ name: 'sasl', mountPath: SASL_DIR, readOnly: true }] : []),
                ],
              },
            ],
            volume: [
              { name: 'config', configMap: { name: config.metadata.name, defaultMode: '0444' } },
              WRITABLE_TMP.volume,
              { name: 'logs', emptyDir: { sizeLimit: '64Mi' } },
              ...(props.saslSecretName ? [{ name: 'sasl', secret: { secretName: props.saslSecretName, defaultMode: '0400' } }] : []),
            ],
          },
        },
        volumeClaimTemplate: [dataVolumeClaimTemplate(this.podLabels, props.storageClassName, storageGiB)],
      },
    });

    this.podDisruptionBudget = new PodDisruptionBudgetV1(this, 'pdb', {
      metadata: { name, namespace: props.namespace, labels },
      // A voluntary disruption takes at most one server: a 3-server quorum survives it.
      spec: { maxUnavailable: '1', selector: { matchLabels: this.podLabels } },
    });
  }
}
