import { createHash } from 'node:crypto';
import { Construct } from 'constructs';
import { JobV1 } from '@cdktf/provider-kubernetes/lib/job-v1';
import { RoleV1 } from '@cdktf/provider-kubernetes/lib/role-v1';
import { RoleBindingV1 } from '@cdktf/provider-kubernetes/lib/role-binding-v1';
import { ServiceAccountV1 } from '@cdktf/provider-kubernetes/lib/service-account-v1';
import { PROJECT } from '../../config/schema';
import {
  CLIENT_PRINCIPALS,
  KAFKA_SECURITY_VARIABLES,
  KUBERNETES_SECRETS,
  kubernetesUserSecretName,
  type ClientRole,
} from '../../contracts/kafka-security';
import { apiTokenVolume } from '../k8s/api-token-volume';
import { NodeAppBundle } from '../k8s/node-app-bundle';
import { nonRootPodSecurityContext, restrictedContainerSecurityContext } from '../k8s/security';

export interface KafkaClusterCredentialsProps {
  readonly namespace: string;
  /** Image that runs the bundled Node program (NodeAppBundle); default NODE_APP_IMAGE. */
  readonly nodeRuntimeImage?: string;
  /** Validity of the cluster CA made on the first deploy. */
  readonly caValidDays?: number;
  readonly labels?: Record<string, string>;
  readonly name?: string;
}

export const KAFKA_CLUSTER_CREDENTIALS_DEFAULTS = {
  name: 'kafka-credentials',
  /** Ten years: rotating the CA means new certificates for every broker and client (not automated). */
  caValidDays: 3650,
  caCommonName: 'airline-streaming-cluster-ca',
  /** The Node image's user. */
  uid: 1000,
  activeDeadlineSeconds: 300,
} as const;

/** Where a client container finds its credentials (KAFKA_SECURITY_VARIABLES point at these files). */
const CLIENT_SECRET_DIR = '/var/run/airline/kafka-user';
const CLIENT_CA_DIR = '/var/run/airline/kafka-ca';

/** What a client container adds to run as one principal: variables, volumes and mounts. */
export interface ClientCredentialsMount {
  readonly env: Array<{ name: string; value: string }>;
  readonly volumes: Array<{ name: string; secret: { secretName: string; defaultMode: string } }>;
  readonly volumeMounts: Array<{ name: string; mountPath: string; readOnly: boolean }>;
}

/**
 * The Kafka deployment's credentials, made inside the cluster by a Job before anything else starts: a cluster CA
 * (its key read only by the brokers' certificate issuer), the CA certificate alone for clients, ZooKeeper's SASL
 * JAAS files and a random SCRAM password per client principal, each a Secret. The Job creates what is missing and
 * never changes what exists, so Terraform (its plan, its state, the synthesized JSON) never sees a secret. The
 * Secrets live as long as the namespace.
 */
export class KafkaClusterCredentials extends Construct {
  readonly caSecretName = KUBERNETES_SECRETS.clusterCa;
  readonly caCertificateSecretName = KUBERNETES_SECRETS.clusterCaCertificate;
  readonly zookeeperSaslSecretName = KUBERNETES_SECRETS.zookeeperSasl;
  readonly principals: readonly string[];
  readonly job: JobV1;
  readonly jobName: string;
  readonly podLabels: Record<string, string>;
  readonly bundle: NodeAppBundle;

  constructor(scope: Construct, id: string, props: KafkaClusterCredentialsProps) {
    super(scope, id);
    const d = KAFKA_CLUSTER_CREDENTIALS_DEFAULTS;
    const name = props.name ?? d.name;
    const labels = { ...props.labels, 'app.kubernetes.io/name': name, 'app.kubernetes.io/part-of': PROJECT };
    this.podLabels = { 'app.kubernetes.io/name': name, 'app.kubernetes.io/part-of': PROJECT };
    this.principals = Object.values(CLIENT_PRINCIPALS);
    const secretNames = [
      this.caSecretName,
      this.caCertificateSecretName,
      this.zookeeperSaslSecretName,
      ...(Object.keys(CLIENT_PRINCIPALS) as ClientRole[]).map(kubernetesUserSecretName),
    ];

    const serviceAccount = new ServiceAccountV1(this, 'service-account', {
      metadata: { name, namespace: props.namespace, labels },
      automountServiceAccountToken: false,
    });
    // Create any Secret (Kubernetes cannot limit create by name), read only these; no update, list or delete.
    const role = new RoleV1(this, 'role', {
      metadata: { name, namespace: props.namespace, labels },
      rule: [
        { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
        { apiGroups: [''], resources: ['secrets'], verbs: ['get'], resourceNames: secretNames },
      ],
    });
    const binding = new RoleBindingV1(this, 'role-binding', {
      metadata: { name, namespace: props.namespace, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.metadata.name },
      subject: [{ kind: 'ServiceAccount', name: serviceAccount.metadata.name, namespace: props.namespace }],
    });

    this.bundle = new NodeAppBundle(this, 'program', {
      entry: 'constructs/kafka/runtime/cluster-secrets.ts',
      name: 'cluster-secrets',
      namespace: props.namespace,
      labels,
      image: props.nodeRuntimeImage,
    });
    const env = {
      PRINCIPALS: this.principals.join(','),
      CA_COMMON_NAME: d.caCommonName,
      CA_VALID_DAYS: String(props.caValidDays ?? d.caValidDays),
      SECRET_LABELS: JSON.stringify({ 'app.kubernetes.io/part-of': PROJECT, 'app.kubernetes.io/managed-by': name }),
    };
    const hash = createHash('sha256').update(JSON.stringify(env)).update(this.bundle.contentHash).digest('hex').slice(0, 10);
    this.jobName = `${name}-${hash}`;
    const tokenDir = '/var/run/secrets/kubernetes.io/serviceaccount';

    this.job = new JobV1(this, 'job', {
      dependsOn: [binding, this.bundle.configMap],
      metadata: { name: this.jobName, namespace: props.namespace, labels },
      spec: {
        backoffLimit: 4,
        activeDeadlineSeconds: d.activeDeadlineSeconds,
        ttlSecondsAfterFinished: String(7 * 24 * 3600),
        template: {
          metadata: { labels: this.podLabels, annotations: this.bundle.podAnnotations },
          spec: {
            restartPolicy: 'OnFailure',
            serviceAccountName: serviceAccount.metadata.name,
            automountServiceAccountToken: false,
            securityContext: nonRootPodSecurityContext(d.uid),
            container: [
              {
                name: 'cluster-secrets',
                image: this.bundle.image,
                command: this.bundle.command,
                env: [
                  { name: 'NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
                  ...Object.entries(env).map(([key, value]) => ({ name: key, value })),
                  { name: 'SERVICE_ACCOUNT_DIR', value: tokenDir },
                ],
                resources: { requests: { cpu: '100m', memory: '96Mi' }, limits: { memory: '192Mi' } },
                securityContext: restrictedContainerSecurityContext(),
                volumeMount: [this.bundle.volumeMount, { name: 'api-token', mountPath: tokenDir, readOnly: true }],
              },
            ],
            volume: [this.bundle.volume, apiTokenVolume('api-token')],
          },
        },
      },
      waitForCompletion: true,
      timeouts: { create: '7m', update: '7m' },
    });
  }

  /** The variables, volumes and mounts that make a client container authenticate as `role`. */
  clientMount(role: ClientRole): ClientCredentialsMount {
    const k = KUBERNETES_SECRETS.keys;
    return {
      env: [
        { name: KAFKA_SECURITY_VARIABLES.username, value: CLIENT_PRINCIPALS[role] },
        { name: KAFKA_SECURITY_VARIABLES.passwordFile, value: `${CLIENT_SECRET_DIR}/${k.password}` },
        { name: KAFKA_SECURITY_VARIABLES.caFile, value: `${CLIENT_CA_DIR}/${k.caCertificate}` },
      ],
      volumes: [
        { name: 'kafka-user', secret: { secretName: kubernetesUserSecretName(role), defaultMode: '0400' } },
        { name: 'kafka-ca', secret: { secretName: this.caCertificateSecretName, defaultMode: '0444' } },
      ],
      volumeMounts: [
        { name: 'kafka-user', mountPath: CLIENT_SECRET_DIR, readOnly: true },
        { name: 'kafka-ca', mountPath: CLIENT_CA_DIR, readOnly: true },
      ],
    };
  }
}
