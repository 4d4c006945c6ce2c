// Kafka broker and ZooKeeper settings as plain data, shared by the local cluster (local/cluster.ts) and the
// Kubernetes constructs (constructs/kafka/), so both run the same RF-3 rules. Per-node values (ids, addresses,
// directories, racks) are added by the caller.
import { TOPIC_DEFAULTS } from './topics';

/** Broker settings for a 3-broker cluster with replication factor 3 (ZooKeeper mode). */
export const BROKER_DEFAULTS: Readonly<Record<string, string>> = {
  'default.replication.factor': '3',
  'min.insync.replicas': '2',
  'offsets.topic.replication.factor': '3',
  'transaction.state.log.replication.factor': '3',
  'transaction.state.log.min.isr': '2',
  // A lagging replica must never become leader: acknowledged writes would be lost.
  'unclean.leader.election.enable': 'false',
  // Topics come from config through the provisioner only.
  'auto.create.topics.enable': 'false',
  'delete.topic.enable': 'true',
  'controlled.shutdown.enable': 'true',
  'auto.leader.rebalance.enable': 'true',
  'num.partitions': String(TOPIC_DEFAULTS.partitions),
  'zookeeper.session.timeout.ms': '18000',
  'zookeeper.connection.timeout.ms': '18000',
};

/** ZooKeeper server settings (zoo.cfg) without per-node values. */
export const ZOOKEEPER_DEFAULTS: Readonly<Record<string, string>> = {
  tickTime: '2000',
  initLimit: '10',
  syncLimit: '5',
  maxClientCnxns: '60',
  'autopurge.snapRetainCount': '3',
  'autopurge.purgeInterval': '1',
  '4lw.commands.whitelist': 'ruok,srvr,mntr',
  // The admin HTTP server would take port 8080 on every node.
  'admin.enableServer': 'false',
};

/**
 * Broker settings the cluster derives itself (addresses, listeners, identity, storage): a user-supplied value would
 * break the cluster (a wrong advertised address or ZooKeeper path), so KafkaCluster refuses them. A key is owned
 * when it equals an entry or starts with an entry ending in '.'.
 */
export const CLUSTER_OWNED_BROKER_KEYS: readonly string[] = [
  'zookeeper.connect',
  'listeners',
  'advertised.',
  'listener.security.protocol.map',
  'inter.broker.listener.name',
  'broker.id',
  'broker.rack',
  'log.dirs',
  'log.dir',
  // Security (contracts/kafka-security.ts securedBrokerSettings): a user setting must not switch any of it off.
  'listener.name.',
  'sasl.',
  'ssl.',
  'security.',
  'authorizer.class.name',
  'allow.everyone.if.no.acl.found',
  'super.users',
  'zookeeper.set.acl',
  'zookeeper.ssl.',
  'zookeeper.sasl.',
];

export function isClusterOwnedBrokerKey(key: string): boolean {
  return CLUSTER_OWNED_BROKER_KEYS.some((owned) => (owned.endsWith('.') ? key.startsWith(owned) : key === owned));
}

export const BROKER_PORT = 9092;
/** The inter-broker listener on Kubernetes (mutual TLS, brokers only). */
export const BROKER_REPLICATION_PORT = 9093;
/** The EXTERNAL listener (clients outside the Kubernetes cluster, through per-broker load balancers). */
export const BROKER_EXTERNAL_PORT = 9094;
/**
 * Where there are no load balancers (target local), the EXTERNAL listener is reached through NodePorts on any node
 * address: the bootstrap at `bootstrap`, broker i at `firstBroker + i` (what that broker advertises).
 */
export const EXTERNAL_NODE_PORTS = { bootstrap: 31090, firstBroker: 31091 } as const;
export const ZOOKEEPER_CLIENT_PORT = 2181;
export const ZOOKEEPER_PEER_PORT = 2888;
export const ZOOKEEPER_ELECTION_PORT = 3888;

/** Java `.properties` text from a map; keys in the given order. */
export function renderProperties(entries: Readonly<Record<string, string>>): string {
  return (
    Object.entries(entries)
      .map(([key, value]) => `${key}=${value}`)
      .join('\n') + '\n'
  );
}
