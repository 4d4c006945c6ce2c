import { Construct } from 'constructs';
import { ServiceAccountV1 } from '@cdktf/provider-kubernetes/lib/service-account-v1';
import { ClusterRoleV1 } from '@cdktf/provider-kubernetes/lib/cluster-role-v1';
import { ClusterRoleBindingV1 } from '@cdktf/provider-kubernetes/lib/cluster-role-binding-v1';
import { apiTokenVolume } from '../k8s/api-token-volume';
import { NodeAppBundle } from '../k8s/node-app-bundle';
import { restrictedContainerSecurityContext } from '../k8s/security';
import { ZONE_TOPOLOGY_KEY } from '../k8s/placement';
import type {
  StatefulSetV1SpecTemplateSpecInitContainer,
  StatefulSetV1SpecTemplateSpecVolume,
} from '@cdktf/provider-kubernetes/lib/stateful-set-v1';

export interface BrokerRackAwarenessProps {
  readonly namespace: string;
  /** Image that runs the bundled Node program (NodeAppBundle); default NODE_APP_IMAGE, the official Node 20 image. */
  readonly nodeRuntimeImage?: string;
  /** Prefix of the service account and cluster-wide RBAC names. */
  readonly name?: string;
  readonly labels?: Record<string, string>;
  /** Rack of brokers whose node has no zone label (single-node dev clusters). */
  readonly fallbackRack?: string;
}

const RACK_DEFAULTS = { name: 'kafka-broker', fallbackRack: 'no-zone' } as const;

const RACK_DIR = '/var/run/kafka-rack';
const TOKEN_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * Gives each broker its node's zone as `broker.rack`, so Kafka places a partition's 3 replicas in 3 zones.
 * An init container (the project's node-zone program on the Node image) reads the node's
 * topology.kubernetes.io/zone label through the API (RBAC: get and list nodes, nothing else) and writes it to a shared
 * emptyDir; the broker start script reads `rackFile`. The API token is mounted into the init container only.
 */
export class BrokerRackAwareness extends Construct {
  readonly serviceAccountName: string;
  /** File the broker reads its rack from. */
  readonly rackFile = `${RACK_DIR}/rack`;
  /** Rack used when the node has no zone label. */
  readonly fallbackRack: string;
  readonly initContainer: StatefulSetV1SpecTemplateSpecInitContainer;
  readonly volumes: StatefulSetV1SpecTemplateSpecVolume[];
  /** Mount of the rack directory for the broker container. */
  readonly brokerVolumeMount = { name: 'rack', mountPath: RACK_DIR, readOnly: true };
  readonly podAnnotations: Record<string, string>;
  readonly bundle: NodeAppBundle;
  /** Where a container that mounts `tokenVolumeMount` finds the node-reader token (the certificate issuer lists nodes). */
  readonly tokenDir = TOKEN_DIR;
  readonly tokenVolumeMount = { name: 'node-reader-token', mountPath: TOKEN_DIR, readOnly: true };

  constructor(scope: Construct, id: string, props: BrokerRackAwarenessProps) {
    super(scope, id);
    const name = props.name ?? RACK_DEFAULTS.name;
    const fallbackRack = props.fallbackRack ?? RACK_DEFAULTS.fallbackRack;
    this.fallbackRack = fallbackRack;
    const labels = { ...props.labels };

    const serviceAccount = new ServiceAccountV1(this, 'service-account', {
      metadata: { name, namespace: props.namespace, labels },
      // Only the init container gets a token, through the projected volume below.
      automountServiceAccountToken: false,
    });
    this.serviceAccountName = serviceAccount.metadata.name;
    // Cluster-scoped names must not collide between namespaces.
    const roleName = `${props.namespace}-${name}-node-reader`;
    const role = new ClusterRoleV1(this, 'node-reader', {
      metadata: { name: roleName, labels },
      // list: the broker certificate issuer names every node's address for node-port clients.
      rule: [{ apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list'] }],
    });
    new ClusterRoleBindingV1(this, 'node-reader-binding', {
      metadata: { name: roleName, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role.metadata.name },
      subject: [{ kind: 'ServiceAccount', name: this.serviceAccountName, namespace: props.namespace }],
    });

    this.bundle = new NodeAppBundle(this, 'node-zone', {
      entry: 'constructs/kafka/runtime/node-zone.ts',
      name: 'node-zone',
      namespace: props.namespace,
      labels,
      image: props.nodeRuntimeImage,
    });
    this.podAnnotations = { ...this.bundle.podAnnotations };

    this.volumes = [
      this.bundle.volume,
      { name: 'rack', emptyDir: { sizeLimit: '1Mi' } },
      apiTokenVolume('node-reader-token'),
    ];

    this.initContainer = {
      name: 'node-zone',
      image: this.bundle.image,
      command: this.bundle.command,
      env: [
        { name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
        { name: 'RACK_FILE', value: this.rackFile },
        { name: 'ZONE_LABEL', value: ZONE_TOPOLOGY_KEY },
        { name: 'FALLBACK_RACK', value: fallbackRack },
        { name: 'SERVICE_ACCOUNT_DIR', value: TOKEN_DIR },
      ],
      volumeMount: [
        this.bundle.volumeMount,
        { name: 'rack', mountPath: RACK_DIR },
        this.tokenVolumeMount,
      ],
      resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '128Mi' } },
      securityContext: restrictedContainerSecurityContext(),
    };
  }
}
