// Kafka broker and ZooKeeper settings as plain data, shared by the local cluster (local/cluster.ts) and the
// Kubernetes constructs (constructs/kafka/), so both run the same RF-3 rules. Per-node values (ids, addresses,
// directories, racks) are added by the caller.

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
  'num.partitions': '10',
  'zookeeper.session.timeout.ms': '18000',
  'zookeeper.connection.timeout.ms': '18000',
};

/**
 * Overrides for a small, fast cluster on one machine (local runs and tests): quick failure detection, no initial
 * rebalance delay, fewer internal-topic partitions and threads.
 */
export const LOCAL_BROKER_OVERRIDES: Readonly<Record<string, string>> = {
  'group.initial.rebalance.delay.ms': '0',
  'zookeeper.session.timeout.ms': '6000',
  'zookeeper.connection.timeout.ms': '10000',
  'replica.lag.time.max.ms': '10000',
  'offsets.topic.num.partitions': '10',
  'transaction.state.log.num.partitions': '10',
  'leader.imbalance.check.interval.seconds': '10',
  'num.network.threads': '2',
  'num.io.threads': '4',
  'num.recovery.threads.per.data.dir': '1',
  'log.retention.hours': '4',
  'log.segment.bytes': String(64 * 1024 * 1024),
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

/** Shorter ticks for the local ensemble: faster leader election; session bounds become 1 s .. 10 s. */
export const LOCAL_ZOOKEEPER_OVERRIDES: Readonly<Record<string, string>> = {
  tickTime: '500',
  initLimit: '20',
  syncLimit: '10',
};

export const BROKER_PORT = 9092;
export const ZOOKEEPER_CLIENT_PORT = 2181;
export const ZOOKEEPER_PEER_PORT = 2888;
export const ZOOKEEPER_ELECTION_PORT = 3888;

/** Heaps (MiB) of the local JVMs. */
export const LOCAL_HEAP_MB = { broker: 512, zookeeper: 256 } as const;

/** Java `.properties` text from a map; keys in the given order. */
export function renderProperties(entries: Readonly<Record<string, string>>): string {
  return (
    Object.entries(entries)
      .map(([key, value]) => `${key}=${value}`)
      .join('\n') + '\n'
  );
}
