// Settings of the local cluster only: a small, fast cluster on one machine. The settings shared with the
// Kubernetes constructs are in contracts/kafka-settings.ts.

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

/** Shorter ticks for the local ensemble: faster leader election; session bounds become 1 s .. 10 s. */
export const LOCAL_ZOOKEEPER_OVERRIDES: Readonly<Record<string, string>> = {
  tickTime: '500',
  initLimit: '20',
  syncLimit: '10',
};

/** Heaps (MiB) of the local JVMs. */
export const LOCAL_HEAP_MB = { broker: 512, zookeeper: 256 } as const;

/** The brokers' mutual-TLS inter-broker listener, next to the SASL_SSL client listener on BROKER_PORT. */
export const LOCAL_INTER_BROKER_PORT = 9093;

/**
 * `connections.max.reauth.ms` of the SCRAM client listener: the longest a client connection stays authenticated
 * without re-authenticating. Without it, a connection authenticated before a credential rotation keeps working with
 * the old password for as long as it stays open. kafkajs re-authenticates 10 s before the end (its
 * `reauthenticationThreshold`), so this must be well above 10 s.
 */
export const LOCAL_SCRAM_SESSION_MS = 60_000;
