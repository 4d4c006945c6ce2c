// Who may do what on the Kafka cluster: the principal of every client, the SASL mechanism, the variables a client
// reads its credentials from, and the ACLs per principal as plain data. The local cluster (local/cluster.ts) creates
// exactly these; clients (services/common/kafka-client.ts) authenticate as one of these principals.
import { PREDICTOR_GROUP_ID, TOPIC_NAMES } from './topics';

/** The only SASL mechanism the client listener enables (passwords are never sent, unlike PLAIN). */
export const KAFKA_SASL_MECHANISM = 'SCRAM-SHA-512';

/** The principals that authenticate with SCRAM, one per client role. */
export const CLIENT_PRINCIPALS = {
  predictor: 'airline-predictor',
  topicsProvisioner: 'airline-topics-provisioner',
  demoReplay: 'airline-demo-replay',
  demoCollector: 'airline-demo-collector',
} as const;
export type ClientRole = keyof typeof CLIENT_PRINCIPALS;
export const CLIENT_ROLES = Object.keys(CLIENT_PRINCIPALS) as ClientRole[];

/**
 * The brokers' own identity: the CN of their certificates on the mutual-TLS inter-broker listener, and the only
 * entry of `super.users`.
 */
export const BROKER_PRINCIPAL = 'airline-broker';

/** `super.users` of every broker: the brokers themselves and no client. */
export const SUPER_USERS: readonly string[] = [`User:${BROKER_PRINCIPAL}`];

/** The demo collector's consumer groups start with this (one group per run). */
export const DEMO_COLLECTOR_GROUP_PREFIX = 'airline-demo-collector';

/** The variables a client reads its credentials from; passwords come from files, never from the command line. */
export const KAFKA_SECURITY_VARIABLES = {
  username: 'KAFKA_SASL_USERNAME',
  passwordFile: 'KAFKA_SASL_PASSWORD_FILE',
  caFile: 'KAFKA_TLS_CA_FILE',
} as const;
export type KafkaSecurityVariable = (typeof KAFKA_SECURITY_VARIABLES)[keyof typeof KAFKA_SECURITY_VARIABLES];

/** Where a client's credentials are: the SCRAM user name, its password file and the CA certificate (PEM) file. */
export interface KafkaSecuritySettings {
  username: string;
  passwordFile: string;
  caFile: string;
}

// Names as Kafka spells them (AclResourceType, PatternType, AclOperation).
export type AclResourceType = 'TOPIC' | 'GROUP' | 'CLUSTER' | 'TRANSACTIONAL_ID';
export type AclPatternType = 'LITERAL' | 'PREFIXED';
export type AclOperation =
  | 'READ'
  | 'WRITE'
  | 'CREATE'
  | 'ALTER'
  | 'DESCRIBE'
  | 'DESCRIBE_CONFIGS'
  | 'ALTER_CONFIGS'
  | 'IDEMPOTENT_WRITE'
  | 'ALL';

/** One ALLOW rule: `principal` may do `operation` on resources of `resourceType` matching `name`. */
export interface AclEntry {
  principal: string;
  resourceType: AclResourceType;
  patternType: AclPatternType;
  /** 'kafka-cluster' for CLUSTER (Kafka's one cluster resource name); '*' with LITERAL means every resource. */
  name: string;
  operation: AclOperation;
}

export const CLUSTER_RESOURCE_NAME = 'kafka-cluster';

const allow = (
  principal: string,
  resourceType: AclResourceType,
  patternType: AclPatternType,
  name: string,
  operations: readonly AclOperation[],
): AclEntry[] => operations.map((operation) => ({ principal: `User:${principal}`, resourceType, patternType, name, operation }));

// Topics and groups are PREFIXED on their configured names: runs on a shared cluster (tests, a demo next to a running
// cluster) use run-specific names with a suffix (topicNamesWithSuffix, `<group>-<run>`). The role names are not
// prefixes of each other, so a prefix never reaches another role's topic.
const predictor = CLIENT_PRINCIPALS.predictor;
const provisioner = CLIENT_PRINCIPALS.topicsProvisioner;
const replay = CLIENT_PRINCIPALS.demoReplay;
const collector = CLIENT_PRINCIPALS.demoCollector;

/** Every ACL of the cluster; anything not listed is refused (allow.everyone.if.no.acl.found=false). */
export const KAFKA_ACLS: readonly AclEntry[] = [
  // The predictor: reads the input in its group, writes predictions and dead letters, exactly-once through
  // transactional ids `<GROUP_ID>-<input topic>-<partition>` (services/predictor/delivery/exactly-once.ts).
  ...allow(predictor, 'TOPIC', 'PREFIXED', TOPIC_NAMES.input, ['READ']),
  ...allow(predictor, 'GROUP', 'PREFIXED', PREDICTOR_GROUP_ID, ['READ']),
  ...allow(predictor, 'TOPIC', 'PREFIXED', TOPIC_NAMES.output, ['WRITE']),
  ...allow(predictor, 'TOPIC', 'PREFIXED', TOPIC_NAMES.deadLetter, ['WRITE']),
  ...allow(predictor, 'TRANSACTIONAL_ID', 'PREFIXED', PREDICTOR_GROUP_ID, ['WRITE', 'DESCRIBE']),
  ...allow(predictor, 'CLUSTER', 'LITERAL', CLUSTER_RESOURCE_NAME, ['IDEMPOTENT_WRITE']),
  // The topics provisioner manages whichever topics its spec names, so every topic; it never reads or writes data.
  ...allow(provisioner, 'TOPIC', 'LITERAL', '*', ['CREATE', 'ALTER', 'DESCRIBE', 'DESCRIBE_CONFIGS', 'ALTER_CONFIGS']),
  ...allow(provisioner, 'CLUSTER', 'LITERAL', CLUSTER_RESOURCE_NAME, ['DESCRIBE']),
  // The demo replay writes flight records to the input (idempotent producer).
  ...allow(replay, 'TOPIC', 'PREFIXED', TOPIC_NAMES.input, ['WRITE']),
  ...allow(replay, 'CLUSTER', 'LITERAL', CLUSTER_RESOURCE_NAME, ['IDEMPOTENT_WRITE']),
  // The demo collector reads the predictions (and the dead letters, which are predictions that failed).
  ...allow(collector, 'TOPIC', 'PREFIXED', TOPIC_NAMES.output, ['READ']),
  ...allow(collector, 'TOPIC', 'PREFIXED', TOPIC_NAMES.deadLetter, ['READ']),
  ...allow(collector, 'GROUP', 'PREFIXED', DEMO_COLLECTOR_GROUP_PREFIX, ['READ']),
];

/** The ACL entries of one principal (`User:<name>` or a bare name). */
export function aclsOf(principal: string): AclEntry[] {
  const full = principal.startsWith('User:') ? principal : `User:${principal}`;
  return KAFKA_ACLS.filter((entry) => entry.principal === full);
}

/** Kafka's implied operations: READ, WRITE, DELETE and ALTER imply DESCRIBE; ALTER_CONFIGS implies DESCRIBE_CONFIGS. */
const IMPLIED_BY: Partial<Record<AclOperation, readonly AclOperation[]>> = {
  DESCRIBE: ['READ', 'WRITE', 'ALTER'],
  DESCRIBE_CONFIGS: ['ALTER_CONFIGS'],
};

function matches(entry: AclEntry, resourceType: AclResourceType, name: string): boolean {
  if (entry.resourceType !== resourceType) return false;
  if (entry.patternType === 'PREFIXED') return name.startsWith(entry.name);
  return entry.name === '*' || entry.name === name;
}

/** Whether the ACL table lets `principal` do `operation` on the named resource (no super user is consulted). */
export function isAllowed(principal: string, operation: AclOperation, resourceType: AclResourceType, name: string): boolean {
  const granting = [operation, 'ALL', ...(IMPLIED_BY[operation] ?? [])];
  return aclsOf(principal).some((entry) => granting.includes(entry.operation) && matches(entry, resourceType, name));
}

// ---------- broker and ZooKeeper settings shared by every deployment (local cluster, Kubernetes) ----------

/** The ZooKeeper (SASL DIGEST-MD5) user the brokers and the credential tools log in as. */
export const ZOOKEEPER_SASL_USER = 'kafka';

/** zoo.cfg: only SASL-authenticated sessions are served (four-letter words stay open: they read no data). */
export const ZOOKEEPER_SASL_SETTINGS: Readonly<Record<string, string>> = {
  'authProvider.1': 'org.apache.zookeeper.server.auth.SASLAuthenticationProvider',
  requireClientAuthScheme: 'sasl',
  'enforce.auth.enabled': 'true',
  'enforce.auth.schemes': 'sasl',
};

const jaasString = (value: string) => `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/** The JAAS file of a ZooKeeper server: the one user and its password. */
export function zookeeperServerJaas(password: string): string {
  return `Server {\n  org.apache.zookeeper.server.auth.DigestLoginModule required\n  user_${ZOOKEEPER_SASL_USER}=${jaasString(password)};\n};\n`;
}

/** The JAAS file of a ZooKeeper client (a broker, a credential tool). */
export function zookeeperClientJaas(password: string): string {
  return `Client {\n  org.apache.zookeeper.server.auth.DigestLoginModule required\n  username="${ZOOKEEPER_SASL_USER}"\n  password=${jaasString(password)};\n};\n`;
}

export interface SecuredBrokerListeners {
  /** Listener names clients reach with SASL_SSL + SCRAM-SHA-512. */
  readonly scram: readonly string[];
  /** The inter-broker listener: TLS with client certificates required (the broker principal). */
  readonly interBroker: string;
  /** PEM with the broker's private key and certificate chain. */
  readonly keyStoreFile: string;
  /** PEM with the cluster CA certificate. */
  readonly trustStoreFile: string;
  /** `connections.max.reauth.ms` of the SCRAM listeners; undefined: sessions last as long as their connection. */
  readonly scramSessionMs?: number;
}

/**
 * The security settings of every broker: SCRAM on the client listeners, mutual TLS between brokers (the certificate
 * CN is the principal), the ACL authorizer with nothing allowed by default, the brokers as the only super users, and
 * ZooKeeper znodes readable by the brokers only. Hostnames are verified on every TLS connection (Kafka's default).
 */
export function securedBrokerSettings(listeners: SecuredBrokerListeners): Record<string, string> {
  const scramJaas = Object.fromEntries(
    listeners.scram.flatMap((name) => {
      const prefix = `listener.name.${name.toLowerCase()}.${KAFKA_SASL_MECHANISM.toLowerCase()}`;
      return [
        [`${prefix}.sasl.jaas.config`, 'org.apache.kafka.common.security.scram.ScramLoginModule required;'],
        ...(listeners.scramSessionMs !== undefined ? [[`${prefix}.connections.max.reauth.ms`, String(listeners.scramSessionMs)]] : []),
      ];
    }),
  );
  return {
    'inter.broker.listener.name': listeners.interBroker,
    'sasl.enabled.mechanisms': KAFKA_SASL_MECHANISM,
    ...scramJaas,
    [`listener.name.${listeners.interBroker.toLowerCase()}.ssl.client.auth`]: 'required',
    'ssl.principal.mapping.rules': 'RULE:^CN=([^,]+)$/$1/,DEFAULT',
    'ssl.keystore.type': 'PEM',
    'ssl.keystore.location': listeners.keyStoreFile,
    'ssl.truststore.type': 'PEM',
    'ssl.truststore.location': listeners.trustStoreFile,
    'authorizer.class.name': 'kafka.security.authorizer.AclAuthorizer',
    'allow.everyone.if.no.acl.found': 'false',
    'super.users': SUPER_USERS.join(';'),
    'zookeeper.set.acl': 'true',
  };
}

/**
 * Where a Kubernetes deployment keeps its credentials (Secrets made in the cluster, never by Terraform): the cluster
 * CA with its key (read by the broker certificate issuer only), the CA certificate alone (for clients), ZooKeeper's
 * JAAS files, and one Secret per client principal.
 */
export const KUBERNETES_SECRETS = {
  clusterCa: 'kafka-cluster-ca',
  clusterCaCertificate: 'kafka-cluster-ca-cert',
  zookeeperSasl: 'zookeeper-sasl',
  userPrefix: 'kafka-user-',
  keys: {
    caCertificate: 'ca.crt',
    caKey: 'ca.key',
    password: 'password',
    username: 'username',
    zookeeperServerJaas: 'server-jaas.conf',
    zookeeperClientJaas: 'client-jaas.conf',
  },
} as const;

/** The Secret of one client principal (its SCRAM user name and password). */
export function kubernetesUserSecretName(role: ClientRole): string {
  return `${KUBERNETES_SECRETS.userPrefix}${CLIENT_PRINCIPALS[role]}`;
}
