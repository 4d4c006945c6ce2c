// The shape of an environment's configuration. Environments are plain data (config/environments.ts);
// validate.ts checks them and fills defaults (DEFAULTS below) into a ResolvedEnvironment.
import type { DeliveryMode } from '../contracts/predictor-env';
import { TOPIC_DEFAULTS, TOPIC_NAMES, TOPIC_ROLES, type TopicSpec } from '../contracts/topics';

export type { TopicSpec } from '../contracts/topics';

/** Where an environment's streaming stack runs. */
export type EnvironmentTarget = 'aws' | 'local';

export type NatMode = 'single' | 'per-az';

export type { DeliveryMode } from '../contracts/predictor-env';

export interface AgentPoolInput {
  count?: number;
  instanceType?: string;
  /** Root volume size (gp3, encrypted). */
  diskGiB?: number;
}

/**
 * An admin CIDR with the written reason it is accepted although a rule would refuse it (in production: wider than
 * PRODUCTION_RULES.widestAdminPrefix, or beyond the address budget), e.g.
 * `{ cidr: '10.0.0.0/8', reason: 'office VPN range, ticket NET-12' }`.
 */
export interface ExplainedCidrInput {
  cidr: string;
  /** At least MIN_REASON_LENGTH (config/reason.ts) characters of real text. */
  reason: string;
}

/** A plain CIDR string, or one with its reason. */
export type AdminCidrInput = string | ExplainedCidrInput;

/** The DC/OS CloudFormation template's parameters, with modern names. */
export interface AwsPlatformInput {
  region?: string;
  availabilityZoneCount?: number;
  /** Explicit AZ names, one per AZ (pins the subnets' zones); default: the first available zones of the region. */
  availabilityZones?: string[];
  vpcCidr?: string;
  /**
   * The template's AdminLocation. Required. 0.0.0.0/0 needs allowOpenAdminAccess and is refused in production; in
   * production a CIDR wider than /16, or CIDRs beyond the address budget (PRODUCTION_RULES), need a reason each.
   */
  adminCidrs: AdminCidrInput[];
  allowOpenAdminAccess?: boolean;
  sshKeyName?: string;
  privateAgents?: AgentPoolInput;
  publicAgents?: AgentPoolInput;
  natMode?: NatMode;
  kubernetesVersion?: string;
  /** IAM role ARNs granted cluster admin through EKS access entries (the creator is admin too). */
  clusterAdminRoleArns?: string[];
  flowLogs?: boolean;
  logRetentionDays?: number;
  /** Explicit subnet CIDRs (one per AZ each); default: carved from vpcCidr by config/cidr.ts planSubnets. */
  subnetCidrs?: { public: string[]; private: string[] };
}

export interface S3StateBackendInput {
  kind: 's3';
  bucket: string;
  region?: string;
  /** Key prefix; the key is `<prefix>/<env>/<stack>.tfstate`. */
  keyPrefix?: string;
}
export interface LocalStateBackendInput {
  kind: 'local';
  /** Directory for state files; default `terraform.<stack>.tfstate` in the working directory. */
  directory?: string;
}
export type StateBackendInput = S3StateBackendInput | LocalStateBackendInput;

/**
 * An image reference with the written reason it is accepted without a digest in production, e.g.
 * `{ reference: 'apache/kafka:3.9.1', reason: 'no registry reachable to read the digest, ticket OPS-7' }`.
 */
export interface ExplainedImageInput {
  reference: string;
  /** At least MIN_REASON_LENGTH (config/reason.ts) characters of real text. */
  reason: string;
}

/**
 * `repository[:tag][@sha256:<64 hex>]` (config/image-reference.ts), or one with its reason. Production refuses a
 * reference without a digest unless it comes with a reason.
 */
export type ImageInput = string | ExplainedImageInput;

export interface ZooKeeperInput {
  replicas?: number;
  image?: ImageInput;
  heapMb?: number;
  storageGiB?: number;
}

export interface KafkaInput {
  brokers?: number;
  image?: ImageInput;
  heapMb?: number;
  storageGiB?: number;
  /**
   * An EXTERNAL listener for clients outside the Kubernetes cluster. Off by default. AWS targets: internal NLBs
   * (bootstrap + one per broker) open to the VPC and admin CIDRs, with names in externalDomain. Target local: NodePorts
   * on every node address (EXTERNAL_NODE_PORTS in contracts/kafka-settings.ts).
   */
  externalAccess?: boolean;
  /** Private hosted zone for the external names, e.g. 'kafka.dev.internal'. */
  externalDomain?: string;
}

export interface PredictionInput {
  replicas?: number;
  /** Upper bound of the autoscaler; capped at the input topic's partition count. */
  maxReplicas?: number;
  /** Container image; default the official Node image with the bundled service mounted from a ConfigMap. */
  image?: ImageInput;
  mode?: DeliveryMode;
}

export interface StreamingInput {
  namespace?: string;
  /**
   * The image that runs the bundled Node programs (the predictor, the topics Job, the brokers' rack lookup): any
   * image with Node 20 on PATH. Default the official node:20 image; the `local` environment names the one built here.
   */
  nodeRuntimeImage?: ImageInput;
  zookeeper?: ZooKeeperInput;
  kafka?: KafkaInput;
  topics?: TopicSpec[];
  prediction?: PredictionInput;
  /** Namespace whose pods may scrape the predictors' /metrics through the NetworkPolicies (a DNS label). */
  monitoringNamespace?: string;
}

export interface LocalTargetInput {
  kubeconfigPath?: string;
  kubeconfigContext: string;
}

export interface Tags {
  owner: string;
  /** ISO date (YYYY-MM-DD) after which the demo resources may be torn down. */
  'expires-at': string;
  [key: string]: string;
}

/** One environment's settings (validate.ts checks them under the name of its entry). */
export interface EnvironmentInput {
  /**
   * Required, never guessed from the name: true for an environment that serves real traffic and keeps real data.
   * Production gets the stricter rules of validate.ts (admin CIDR budget, replication minimums, pinned images) and
   * keeps its Kafka and ZooKeeper volumes when they are deleted.
   */
  production: boolean;
  target: EnvironmentTarget;
  /** Required when target is 'aws'. */
  aws?: AwsPlatformInput;
  /** Required when target is 'local'. */
  local?: LocalTargetInput;
  streaming?: StreamingInput;
  tags: Tags;
  stateBackend?: StateBackendInput;
}

/** One entry of the environments list in config/environments.ts: the name and the settings. */
export interface EnvironmentEntry extends EnvironmentInput {
  /** Unique in the list; part of the cluster name `airline-streaming-<name>` and of the stack names. */
  name: string;
}

// ---- Resolved (validated, defaults filled) ----

export interface AgentPool {
  count: number;
  instanceType: string;
  diskGiB: number;
}

export interface AwsPlatform {
  region: string;
  availabilityZoneCount: number;
  availabilityZones?: string[];
  vpcCidr: string;
  /** The CIDRs alone (their reasons are for the reviewers of the config). */
  adminCidrs: string[];
  allowOpenAdminAccess: boolean;
  sshKeyName?: string;
  privateAgents: AgentPool;
  publicAgents: AgentPool;
  natMode: NatMode;
  kubernetesVersion: string;
  clusterAdminRoleArns: string[];
  flowLogs: boolean;
  logRetentionDays: number;
  /** One per AZ, in AZ order. */
  publicSubnetCidrs: string[];
  privateSubnetCidrs: string[];
  /** `<project>-<env>`: the EKS cluster name, also used in tags and resource names. */
  clusterName: string;
}

export interface StreamingConfig {
  namespace: string;
  nodeRuntimeImage: string;
  /** Images are the references alone (their reasons are for the reviewers of the config). */
  zookeeper: Required<Omit<ZooKeeperInput, 'image'>> & { image: string };
  kafka: Required<Omit<KafkaInput, 'externalDomain' | 'image'>> & { externalDomain: string; image: string };
  topics: Array<Required<TopicSpec>>;
  prediction: Required<Omit<PredictionInput, 'image'>> & { image?: string };
  monitoringNamespace: string;
}

export type LocalTarget = Required<Pick<LocalTargetInput, 'kubeconfigContext'>> & { kubeconfigPath: string };

interface ResolvedEnvironmentBase {
  name: string;
  production: boolean;
  streaming: StreamingConfig;
  tags: Tags & { environment: string; project: string; 'managed-by': string };
  stateBackend: StateBackendInput;
}

/** The target's settings are present exactly for that target (validate.ts enforces it; the type carries it). */
export type ResolvedEnvironment =
  | (ResolvedEnvironmentBase & { target: 'aws'; aws: AwsPlatform; local?: undefined })
  | (ResolvedEnvironmentBase & { target: 'local'; local: LocalTarget; aws?: undefined });

export const PROJECT = 'airline-streaming';

/** Every default in one place. */
export const DEFAULTS = {
  aws: {
    region: 'us-east-1',
    availabilityZoneCount: 3,
    vpcCidr: '10.0.0.0/16',
    allowOpenAdminAccess: false,
    // The template ran m3.xlarge (4 vCPU, 15 GiB); m6i.xlarge is today's equivalent.
    privateAgents: { count: 5, instanceType: 'm6i.xlarge', diskGiB: 50 },
    publicAgents: { count: 1, instanceType: 'm6i.xlarge', diskGiB: 50 },
    natMode: 'single' as NatMode,
    kubernetesVersion: '1.33',
    clusterAdminRoleArns: [] as string[],
    flowLogs: false,
    logRetentionDays: 30,
  },
  local: { kubeconfigPath: '~/.kube/config' },
  streaming: {
    namespace: 'kafka',
    nodeRuntimeImage: 'node:20.19-alpine',
    zookeeper: { replicas: 3, image: 'zookeeper:3.8.4', heapMb: 512, storageGiB: 10 },
    kafka: {
      brokers: 3,
      image: 'apache/kafka:3.9.1',
      heapMb: 1024,
      storageGiB: 100,
      externalAccess: false,
    },
    /** One topic per role, in role order. */
    topics: TOPIC_ROLES.map((role) => TOPIC_NAMES[role]),
    topicDefaults: TOPIC_DEFAULTS,
    prediction: { replicas: 5, mode: 'at-least-once' as DeliveryMode },
    /** Where the metrics scraper (Prometheus) runs: the only namespace whose pods reach the predictors' /metrics. */
    monitoringNamespace: 'monitoring',
  },
} as const;

/** What a production environment (`production: true`) must meet beyond the ordinary rules; validate.ts checks it. */
export const PRODUCTION_RULES = {
  /** The widest admin CIDR accepted without a reason: a /16, 65,536 addresses. */
  widestAdminPrefix: 16,
  /** The addresses all admin CIDRs without a reason may cover together (overlaps counted once): 4 x /16. */
  maxUnexplainedAdminAddresses: 4 * 65_536,
  /** Replication factor 3 needs 3 brokers; with min.insync.replicas 2 one broker may be down and writes go on. */
  minKafkaBrokers: 3,
  /** A quorum that survives one server's failure. */
  minZooKeeperServers: 3,
  /** Per topic: an acknowledged write survives the loss of any two brokers' copies but one. */
  minReplicationFactor: 3,
  /** Per topic (or the broker default when the topic does not set it): acks=all means two copies written. */
  minInSyncReplicas: 2,
} as const;
