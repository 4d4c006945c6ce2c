// The real local Kafka cluster: 3 ZooKeeper servers, 3 Kafka brokers (ZooKeeper mode) and HAProxy as the single
// bootstrap address, each on its own loopback address. Processes run detached, so a cluster outlives the process
// that started it; a JSON state file lets another process attach to it (drive brokers, stop it).
//
// Layout on 127.0.<subnet>.0/24 (subnet 0 unless AIRLINE_LOCAL_SUBNET or opts.subnet say otherwise):
//   .10:9092 bootstrap (HAProxy)   .11-.13:9092 brokers 1-3 (racks zone-a/b/c)   .21-.23:2181 ZooKeeper 1-3
//
// Secured (contracts/kafka-security.ts): clients on :9092 with SASL_SSL + SCRAM-SHA-512, brokers among themselves on
// :9093 with mutual TLS (principal from the certificate, the only super user), ACLs for everything else; brokers log
// in to ZooKeeper with SASL DIGEST-MD5 and protect their znodes with ACLs. Secrets are per cluster, in its runtime dir.

import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ConfigResourceTypes, ResourcePatternTypes, logLevel, type Admin } from 'kafkajs';
import { KAFKA_ACLS, KAFKA_SECURITY_VARIABLES, ZOOKEEPER_SASL_SETTINGS, securedBrokerSettings, type AclEntry, type ClientRole, type KafkaSecuritySettings } from '../contracts/kafka-security';
import { createLogger, type Logger } from '../contracts/logging';
import { createKafkaClient, type KafkaSecurity } from '../services/common/kafka-client';
import {
  BROKER_DEFAULTS,
  BROKER_PORT,
  ZOOKEEPER_CLIENT_PORT,
  ZOOKEEPER_DEFAULTS,
  ZOOKEEPER_ELECTION_PORT,
  ZOOKEEPER_PEER_PORT,
  renderProperties,
} from '../contracts/kafka-settings';
import { LOCAL_BROKER_OVERRIDES, LOCAL_HEAP_MB, LOCAL_INTER_BROKER_PORT, LOCAL_SCRAM_SESSION_MS, LOCAL_ZOOKEEPER_OVERRIDES } from './broker-config';
import {
  LOCAL_OPERATOR_ACLS,
  brokerSecurityOf,
  clientSecurityOf,
  createClusterSecurity,
  securitySettingsOf,
  type ClusterSecurityFiles,
  type LocalPrincipalRole,
} from './cluster-security';

export const CLUSTER_STATE_ENV = 'KAFKA_CLUSTER_STATE';
export const SUBNET_ENV = 'AIRLINE_LOCAL_SUBNET';
const NODE_COUNT = 3;
const RACKS = ['zone-a', 'zone-b', 'zone-c'];

export interface BrokerAddress {
  id: number;
  host: string;
  port: number;
  rack: string;
}

export interface ZooKeeperAddress {
  id: number;
  host: string;
  clientPort: number;
}

type ProcessName = `zookeeper-${number}` | `broker-${number}` | 'haproxy';

/** What the state file holds: enough for another process to drive and stop the cluster. */
export interface ClusterState {
  version: 2;
  subnet: number;
  bootstrap: string;
  runtimeDir: string;
  libsDir: string;
  brokers: BrokerAddress[];
  zookeepers: ZooKeeperAddress[];
  /** Paths of the CA, key stores, password and JAAS files (never the secrets themselves). */
  security: ClusterSecurityFiles;
  /** Current pid per process; null while stopped (e.g. a killed broker). */
  pids: Partial<Record<ProcessName, number | null>>;
  startedAt: string;
}

export interface LocalClusterOptions {
  /** Third octet of the 127.0.X.0/24 range the cluster binds to. */
  subnet?: number;
  statePath?: string;
  /** Cache holding kafka-<version>/libs (local/install.sh fills it). */
  cacheDir?: string;
  startTimeoutMs?: number;
  logger?: Logger;
}

export interface LocalCluster {
  /** The one address clients need, e.g. '127.0.0.10:9092'. */
  readonly bootstrap: string;
  readonly brokers: readonly BrokerAddress[];
  readonly statePath: string;
  readonly runtimeDir: string;
  /** Credentials of a principal, for a client in this process. */
  clientSecurity(role: LocalPrincipalRole): KafkaSecurity;
  /** The environment variables that give a service process a principal's credentials (paths only). */
  securityEnv(role: ClientRole): Record<string, string>;
  /** Where a principal's SCRAM user name, password file and the CA file are. */
  securitySettings(role: LocalPrincipalRole): KafkaSecuritySettings;
  /**
   * Moves `newPasswordFile` over the principal's password file and sets its SCRAM credential in ZooKeeper to that
   * password, in one JVM (the way the credentials are created at start). Resolves once ZooKeeper has it; the brokers
   * apply it a moment later.
   */
  replaceScramCredential(role: LocalPrincipalRole, newPasswordFile: string, timeoutMs?: number): Promise<void>;
  /** The cluster CA certificate (PEM file). */
  readonly caFile: string;
  /** Signals a broker's JVM and waits until the process is gone. */
  killBroker(id: number, signal?: NodeJS.Signals): Promise<void>;
  /** Starts a stopped broker and waits until it is registered in the cluster. */
  startBroker(id: number, timeoutMs?: number): Promise<void>;
  isBrokerRunning(id: number): boolean;
  /** Waits until the bootstrap address reports at least `count` live brokers and a controller. */
  waitForBrokers(count: number, timeoutMs?: number): Promise<void>;
  /** Waits until every partition (of the given topics, or all) has its full replica set in sync. */
  waitForInSync(timeoutMs?: number, topics?: string[]): Promise<void>;
  /** Kills every process of the cluster and removes its runtime data and state file. */
  stop(): Promise<void>;
}

export class LocalClusterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LocalClusterError';
  }
}

/** The Kafka version pinned in local/kafka-dist/pom.xml (the one place it is written down). */
export function kafkaVersion(): string {
  const pom = fs.readFileSync(path.join(__dirname, 'kafka-dist', 'pom.xml'), 'utf8');
  const version = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(pom)?.[1];
  if (!version) throw new LocalClusterError('local/kafka-dist/pom.xml has no <kafka.version>');
  return version;
}

export function defaultCacheDir(): string {
  return process.env.AIRLINE_CACHE_DIR ?? path.join(os.homedir(), '.cache', 'airline-streaming');
}

export function resolveSubnet(subnet?: number): number {
  const value = subnet ?? (process.env[SUBNET_ENV] ? Number(process.env[SUBNET_ENV]) : 0);
  if (!Number.isInteger(value) || value < 0 || value > 255) {
    throw new LocalClusterError(`${SUBNET_ENV} / subnet must be an integer 0..255, got ${String(value)}`);
  }
  return value;
}

export function defaultStatePath(subnet?: number): string {
  return (
    process.env[CLUSTER_STATE_ENV] ??
    path.join(os.tmpdir(), 'airline-streaming', `local-cluster-127.0.${resolveSubnet(subnet)}.json`)
  );
}

/** Addresses of a cluster on 127.0.<subnet>.0/24. */
export function clusterLayout(subnet: number): {
  bootstrap: string;
  brokers: BrokerAddress[];
  zookeepers: ZooKeeperAddress[];
} {
  const ip = (last: number) => `127.0.${subnet}.${last}`;
  const ids = Array.from({ length: NODE_COUNT }, (_, i) => i + 1);
  return {
    bootstrap: `${ip(10)}:${BROKER_PORT}`,
    brokers: ids.map((id) => ({ id, host: ip(10 + id), port: BROKER_PORT, rack: RACKS[id - 1] })),
    zookeepers: ids.map((id) => ({ id, host: ip(20 + id), clientPort: ZOOKEEPER_CLIENT_PORT })),
  };
}

// ---------- config files ----------

function zookeeperConfig(state: ClusterState, zk: ZooKeeperAddress): string {
  const servers = Object.fromEntries(
    state.zookeepers.map((peer) => [
      `server.${peer.id}`,
      `${peer.host}:${ZOOKEEPER_PEER_PORT}:${ZOOKEEPER_ELECTION_PORT}`,
    ]),
  );
  return renderProperties({
    ...ZOOKEEPER_DEFAULTS,
    ...LOCAL_ZOOKEEPER_OVERRIDES,
    dataDir: path.join(state.runtimeDir, `zookeeper-${zk.id}`, 'data'),
    clientPort: String(zk.clientPort),
    clientPortAddress: zk.host,
    ...ZOOKEEPER_SASL_SETTINGS,
    ...servers,
  });
}

function brokerConfig(state: ClusterState, broker: BrokerAddress): string {
  const listeners = `CLIENT://${broker.host}:${broker.port},INTERNAL://${broker.host}:${LOCAL_INTER_BROKER_PORT}`;
  const { security } = state;
  return renderProperties({
    'broker.id': String(broker.id),
    'broker.rack': broker.rack,
    listeners,
    'advertised.listeners': listeners,
    'listener.security.protocol.map': 'CLIENT:SASL_SSL,INTERNAL:SSL',
    ...securedBrokerSettings({
      scram: ['CLIENT'],
      interBroker: 'INTERNAL',
      // A session outlives no rotation by more than this: then the client re-authenticates with its current password
      // (KIP-368) or the broker closes the connection.
      scramSessionMs: LOCAL_SCRAM_SESSION_MS,
      keyStoreFile: security.brokerKeyStores[String(broker.id)],
      trustStoreFile: security.caFile,
    }),
    'log.dirs': path.join(state.runtimeDir, `broker-${broker.id}`, 'data'),
    'zookeeper.connect': state.zookeepers.map((zk) => `${zk.host}:${zk.clientPort}`).join(','),
    ...BROKER_DEFAULTS,
    ...LOCAL_BROKER_OVERRIDES,
  });
}

function haproxyConfig(state: ClusterState): string {
  // Health check = a real Kafka ApiVersions v0 request (correlation id 1, client id "hk"); a broker is in rotation
  // only while it answers it, so clients are never handed a dead broker for their first metadata request. The
  // check speaks TLS (verifying the broker against the cluster CA); ApiVersions needs no authentication. Client
  // traffic passes through untouched: TLS ends at the brokers.
  const servers = state.brokers.map((b) => `  server broker-${b.id} ${b.host}:${b.port} check`).join('\n');
  return `global
  maxconn 4096
  nbthread 1

defaults
  mode tcp
  timeout connect 2s
  timeout client 10m
  timeout server 10m
  timeout check 2s

frontend kafka_bootstrap
  bind ${state.bootstrap}
  default_backend kafka_brokers

backend kafka_brokers
  balance roundrobin
  option tcp-check
  tcp-check connect ssl
  tcp-check send-binary 0000000c00120000000000010002686b
  tcp-check expect binary 000000010000
  default-server inter 1s fall 2 rise 1 on-marked-down shutdown-sessions ca-file ${state.security.caFile} verify required
${servers}
`;
}

const LOG4J_CONFIG = `log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.controller=INFO
log4j.logger.org.apache.zookeeper=WARN
log4j.logger.org.apache.zookeeper.server.quorum=INFO
`;

// ---------- processes ----------

function processCommand(state: ClusterState, name: ProcessName): { cmd: string; args: string[] } {
  const dir = state.runtimeDir;
  if (name === 'haproxy') return { cmd: 'haproxy', args: ['-db', '-f', path.join(dir, 'haproxy.cfg')] };
  const [kind, id] = name.split('-') as ['zookeeper' | 'broker', string];
  const heap = kind === 'broker' ? LOCAL_HEAP_MB.broker : LOCAL_HEAP_MB.zookeeper;
  const jvm = [
    `-Xms${Math.min(heap, 256)}m`,
    `-Xmx${heap}m`,
    ...(kind === 'broker' ? ['-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20'] : ['-XX:+UseSerialGC']),
    '-Djava.awt.headless=true',
    `-Djava.security.auth.login.config=${kind === 'broker' ? state.security.brokerJaasFile : state.security.zookeeperJaasFile}`,
    `-Dlog4j.configuration=file:${path.join(dir, 'log4j.properties')}`,
    `-Dkafka.logs.dir=${path.join(dir, 'logs')}`,
    '-cp',
    path.join(state.libsDir, '*'),
  ];
  return kind === 'broker'
    ? { cmd: 'java', args: [...jvm, 'kafka.Kafka', path.join(dir, `broker-${id}`, 'server.properties')] }
    : {
        cmd: 'java',
        args: [
          ...jvm,
          'org.apache.zookeeper.server.quorum.QuorumPeerMain',
          path.join(dir, `zookeeper-${id}`, 'zoo.cfg'),
        ],
      };
}

function spawnDetached(state: ClusterState, name: ProcessName): number {
  const { cmd, args } = processCommand(state, name);
  const out = fs.openSync(path.join(state.runtimeDir, 'logs', `${name}.out`), 'a');
  try {
    const child = spawn(cmd, args, { detached: true, stdio: ['ignore', out, out] });
    if (child.pid === undefined) throw new LocalClusterError(`could not start ${name} (${cmd} not found?)`);
    child.on('error', () => undefined);
    child.unref();
    return child.pid;
  } finally {
    fs.closeSync(out);
  }
}

/** True when pid is a live (non-zombie) process whose command line mentions this cluster's runtime dir. */
function isClusterProcess(pid: number, runtimeDir: string): boolean {
  try {
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (!cmdline.includes(runtimeDir)) return false;
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const stateChar = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return stateChar !== 'Z' && stateChar !== 'X';
  } catch {
    return false;
  }
}

/** Every live process that belongs to the cluster, including any the state file lost track of. */
function findClusterProcesses(runtimeDir: string): number[] {
  return fs
    .readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => pid !== process.pid && isClusterProcess(pid, runtimeDir));
}

const execFileAsync = promisify(execFile);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitUntil(what: string, timeoutMs: number, check: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const cause = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new LocalClusterError(`timed out after ${timeoutMs} ms waiting for ${what}${cause}`);
    }
    await sleep(250);
  }
}

function waitForExit(pids: number[], runtimeDir: string, timeoutMs: number): Promise<void> {
  return waitUntil(`processes ${pids.join(',')} to exit`, timeoutMs, () =>
    pids.every((pid) => !isClusterProcess(pid, runtimeDir)),
  );
}

// ---------- probes ----------

/** ZooKeeper's `srvr` four-letter command; resolves with its text (empty when the port is closed). */
function zookeeperStatus(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const socket = net.connect({ host, port }, () => socket.write('srvr'));
    socket.setTimeout(2000, () => socket.destroy());
    socket.on('data', (chunk) => (text += chunk.toString('utf8')));
    socket.on('close', () => resolve(text));
    socket.on('error', () => resolve(''));
  });
}

function portAcceptsConnections(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.setTimeout(1000, () => {
      socket.destroy();
      resolve(false);
    });
    socket.on('error', () => resolve(false));
  });
}

/** Broker ids the given address reports as live, or null while it cannot answer or has no controller. */
async function liveBrokerIds(address: string, security: KafkaSecurity): Promise<number[] | null> {
  const admin = createKafkaClient({
    security,
    clientId: 'local-cluster-probe',
    brokers: [address],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1500,
    requestTimeout: 3000,
    retry: { retries: 0 },
  }).admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    if (cluster.controller === null || cluster.controller < 0) return null;
    return cluster.brokers.map((b) => b.nodeId).sort((a, b) => a - b);
  } catch {
    return null;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

// ---------- state file ----------

function writeState(statePath: string, state: ClusterState): void {
  fs.mkdirSync(path.dirname(statePath), { recursive: true });
  const tmp = `${statePath}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(state, null, 2) + '\n');
  fs.renameSync(tmp, statePath);
}

/** What every state file version records: enough to find and stop that cluster's processes. */
type RecordedCluster = Pick<ClusterState, 'subnet' | 'bootstrap' | 'runtimeDir'> & { version: number };

function readRecordedCluster(statePath: string): RecordedCluster | null {
  let text: string;
  try {
    text = fs.readFileSync(statePath, 'utf8');
  } catch {
    return null;
  }
  const recorded = JSON.parse(text) as RecordedCluster;
  if (typeof recorded.runtimeDir !== 'string' || typeof recorded.bootstrap !== 'string') {
    throw new LocalClusterError(`${statePath} is not a local cluster state file`);
  }
  return recorded;
}

function readState(statePath: string): ClusterState | null {
  const recorded = readRecordedCluster(statePath);
  if (recorded === null) return null;
  if (recorded.version === 1) {
    throw new LocalClusterError(
      `${statePath} records a cluster started without security by an older version; stop it with \`npm run local:down\` and start a new one`,
    );
  }
  const state = recorded as ClusterState;
  if (state.version !== 2 || !Array.isArray(state.brokers) || typeof state.security !== 'object') {
    throw new LocalClusterError(`${statePath} is not a local cluster state file`);
  }
  return state;
}

/** Re-reads the state file and applies a change to it (pids change when another process kills/starts brokers). */
function updateState(statePath: string, change: (state: ClusterState) => void): ClusterState {
  const state = readState(statePath);
  if (!state) throw new LocalClusterError(`cluster state file ${statePath} is gone: the cluster was stopped`);
  change(state);
  writeState(statePath, state);
  return state;
}

// ---------- handle ----------

class ClusterHandle implements LocalCluster {
  readonly bootstrap: string;
  readonly brokers: readonly BrokerAddress[];
  readonly runtimeDir: string;
  readonly caFile: string;
  private readonly security: ClusterSecurityFiles;
  /** The probes' credentials (the local operator). */
  private readonly probeSecurity: KafkaSecurity;

  constructor(
    readonly statePath: string,
    state: ClusterState,
    private readonly log: Logger,
  ) {
    this.bootstrap = state.bootstrap;
    this.brokers = state.brokers;
    this.runtimeDir = state.runtimeDir;
    this.security = state.security;
    this.caFile = state.security.caFile;
    this.probeSecurity = clientSecurityOf(state.security, 'localOperator');
  }

  clientSecurity(role: LocalPrincipalRole): KafkaSecurity {
    return role === 'localOperator' ? this.probeSecurity : clientSecurityOf(this.security, role);
  }

  securitySettings(role: LocalPrincipalRole): KafkaSecuritySettings {
    return securitySettingsOf(this.security, role);
  }

  async replaceScramCredential(role: LocalPrincipalRole, newPasswordFile: string, timeoutMs = 60_000): Promise<void> {
    const state = readState(this.statePath);
    if (!state) throw new LocalClusterError(`cluster state file ${this.statePath} is gone: the cluster was stopped`);
    await writeScramCredentials(state, [{ ...state.security.principals[role], newPasswordFile }], timeoutMs);
  }

  securityEnv(role: ClientRole): Record<string, string> {
    const settings = securitySettingsOf(this.security, role);
    return {
      [KAFKA_SECURITY_VARIABLES.username]: settings.username,
      [KAFKA_SECURITY_VARIABLES.passwordFile]: settings.passwordFile,
      [KAFKA_SECURITY_VARIABLES.caFile]: settings.caFile,
    };
  }

  private broker(id: number): BrokerAddress {
    const broker = this.brokers.find((b) => b.id === id);
    if (!broker) throw new LocalClusterError(`no broker ${id}; brokers are ${this.brokers.map((b) => b.id).join(', ')}`);
    return broker;
  }

  private currentPid(name: ProcessName): number | null {
    const pid = readState(this.statePath)?.pids[name] ?? null;
    return pid !== null && isClusterProcess(pid, this.runtimeDir) ? pid : null;
  }

  isBrokerRunning(id: number): boolean {
    this.broker(id);
    return this.currentPid(`broker-${id}`) !== null;
  }

  async killBroker(id: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    this.broker(id);
    const pid = this.currentPid(`broker-${id}`);
    if (pid === null) throw new LocalClusterError(`broker ${id} is not running`);
    this.log.info({ broker: id, pid, signal }, 'stopping broker');
    process.kill(pid, signal);
    // A SIGTERM'd broker does a controlled shutdown (moves leadership away) before exiting.
    await waitForExit([pid], this.runtimeDir, signal === 'SIGKILL' ? 10_000 : 60_000);
    updateState(this.statePath, (state) => (state.pids[`broker-${id}`] = null));
    // Wait until the cluster has noticed (ZooKeeper session expired): a broker restarted before that would find
    // its old registration still in place and refuse to start.
    await waitUntil(`broker ${id} to leave the cluster`, 60_000, async () => {
      const ids = await liveBrokerIds(this.bootstrap, this.probeSecurity);
      return ids !== null && !ids.includes(id);
    });
    this.log.info({ broker: id }, 'broker stopped and deregistered');
  }

  async startBroker(id: number, timeoutMs = 90_000): Promise<void> {
    const broker = this.broker(id);
    if (this.currentPid(`broker-${id}`) !== null) throw new LocalClusterError(`broker ${id} is already running`);
    const state = readState(this.statePath);
    if (!state) throw new LocalClusterError(`cluster state file ${this.statePath} is gone`);
    const pid = spawnDetached(state, `broker-${id}`);
    updateState(this.statePath, (s) => (s.pids[`broker-${id}`] = pid));
    this.log.info({ broker: id, pid }, 'broker starting');
    await waitUntil(`broker ${id} to register`, timeoutMs, async () => {
      if (!isClusterProcess(pid, this.runtimeDir)) {
        throw new LocalClusterError(`broker ${id} exited; see ${path.join(this.runtimeDir, 'logs', `broker-${id}.out`)}`);
      }
      const own = await liveBrokerIds(`${broker.host}:${broker.port}`, this.probeSecurity);
      if (own === null || !own.includes(id)) return false;
      const ids = await liveBrokerIds(this.bootstrap, this.probeSecurity);
      return ids !== null && ids.includes(id);
    });
    this.log.info({ broker: id }, 'broker registered');
  }

  async waitForBrokers(count: number, timeoutMs = 90_000): Promise<void> {
    await waitUntil(`${count} brokers behind ${this.bootstrap}`, timeoutMs, async () => {
      const ids = await liveBrokerIds(this.bootstrap, this.probeSecurity);
      return ids !== null && ids.length >= count;
    });
  }

  async waitForInSync(timeoutMs = 60_000, topics?: string[]): Promise<void> {
    const admin = createKafkaClient({
      security: this.probeSecurity,
      clientId: 'local-cluster-isr',
      brokers: [this.bootstrap],
      logLevel: logLevel.NOTHING,
      retry: { retries: 2 },
    }).admin();
    try {
      await waitUntil('all replicas in sync', timeoutMs, async () => {
        await admin.connect();
        const names = topics ?? (await admin.listTopics());
        if (names.length === 0) return true;
        const metadata = await admin.fetchTopicMetadata({ topics: names });
        return metadata.topics.every((t) =>
          t.partitions.every((p) => p.leader >= 0 && p.isr.length === p.replicas.length),
        );
      });
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  async stop(): Promise<void> {
    await stopByRuntimeDir(this.runtimeDir, this.log);
    removeStateFile(this.statePath, this.runtimeDir);
  }
}

function removeStateFile(statePath: string, runtimeDir: string): void {
  // Only remove the file if it still describes this cluster.
  try {
    if (readRecordedCluster(statePath)?.runtimeDir === runtimeDir) fs.rmSync(statePath, { force: true });
  } catch {
    fs.rmSync(statePath, { force: true });
  }
}

async function stopByRuntimeDir(runtimeDir: string, log: Logger): Promise<void> {
  const pids = findClusterProcesses(runtimeDir);
  // SIGKILL: the runtime data is deleted right after, so a graceful broker shutdown would only cost time.
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await waitForExit(pids, runtimeDir, 15_000);
  fs.rmSync(runtimeDir, { recursive: true, force: true });
  log.info({ runtimeDir, killed: pids.length }, 'local cluster stopped');
}

// ---------- security set-up ----------

/**
 * local/ScramCredentials.java compiled once per source version, next to the Kafka jars: launching the source
 * directly compiles it on every start (about 5 s on a loaded machine).
 */
async function scramToolClasses(libsDir: string): Promise<string> {
  const source = path.join(__dirname, 'ScramCredentials.java');
  const hash = createHash('sha256').update(fs.readFileSync(source)).digest('hex').slice(0, 16);
  const dir = path.join(path.dirname(libsDir), 'tools', `scram-credentials-${hash}`);
  if (fs.existsSync(path.join(dir, 'ScramCredentials.class'))) return dir;
  const building = `${dir}.${process.pid}.tmp`;
  fs.mkdirSync(building, { recursive: true });
  try {
    await execFileAsync('javac', ['-nowarn', '-cp', path.join(libsDir, '*'), '-d', building, source]);
    fs.renameSync(building, dir);
  } catch (error) {
    // Another start may have compiled it meanwhile; anything else is a real failure.
    if (!fs.existsSync(path.join(dir, 'ScramCredentials.class'))) {
      throw new LocalClusterError(`compiling ${source} failed: ${(error as Error).message}`);
    }
  } finally {
    fs.rmSync(building, { recursive: true, force: true });
  }
  return dir;
}

/** A SCRAM user and the file with its password; a `newPasswordFile` is moved over that file first (a rotation). */
interface ScramCredentialFiles {
  username: string;
  passwordFile: string;
  newPasswordFile?: string;
}

/**
 * Sets the SCRAM-SHA-512 credential of each user to the password in its file, in ZooKeeper, through Kafka's
 * ConfigCommand (local/ScramCredentials.java, one JVM for all users). The brokers pick a change up from ZooKeeper.
 */
async function writeScramCredentials(state: ClusterState, credentials: readonly ScramCredentialFiles[], timeoutMs: number): Promise<void> {
  const classes = await scramToolClasses(state.libsDir);
  const users = credentials.map((c) => [c.username, c.passwordFile, ...(c.newPasswordFile ? [c.newPasswordFile] : [])].join('='));
  const zookeeperConnect = state.zookeepers.map((zk) => `${zk.host}:${zk.clientPort}`).join(',');
  const logFile = path.join(state.runtimeDir, 'logs', 'scram-credentials.out');
  const out = fs.openSync(logFile, 'a');
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(
        'java',
        [
          '-XX:+UseSerialGC',
          '-XX:TieredStopAtLevel=1',
          '-Xshare:auto',
          `-Djava.security.auth.login.config=${state.security.brokerJaasFile}`,
          `-Dlog4j.configuration=file:${path.join(state.runtimeDir, 'log4j.properties')}`,
          '-cp',
          `${classes}${path.delimiter}${path.join(state.libsDir, '*')}`,
          'ScramCredentials',
          zookeeperConnect,
          ...users,
        ],
        { stdio: ['ignore', out, out] },
      );
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.on('error', reject);
      child.on('exit', (exitCode) => {
        clearTimeout(timer);
        resolve(exitCode);
      });
    });
    if (code !== 0) throw new LocalClusterError(`creating SCRAM credentials failed (exit ${code}); see ${logFile}`);
  } finally {
    fs.closeSync(out);
  }
}

function kafkajsAcl(entry: AclEntry) {
  return {
    resourceType: AclResourceTypes[entry.resourceType],
    resourceName: entry.name,
    resourcePatternType: ResourcePatternTypes[entry.patternType],
    principal: entry.principal,
    host: '*',
    operation: AclOperationTypes[entry.operation],
    permissionType: AclPermissionTypes.ALLOW,
  };
}

/** Creates the ACLs as the brokers' own principal (a super user) on the mutual-TLS inter-broker listener. */
async function createAcls(state: ClusterState, entries: readonly AclEntry[]): Promise<void> {
  const broker = state.brokers[0];
  const admin: Admin = createKafkaClient({
    security: brokerSecurityOf(state.security, broker.id),
    clientId: 'local-cluster-acls',
    brokers: [`${broker.host}:${LOCAL_INTER_BROKER_PORT}`],
    logLevel: logLevel.NOTHING,
    retry: { retries: 5, initialRetryTime: 300 },
  }).admin();
  await admin.connect();
  try {
    await admin.createAcls({ acl: entries.map(kafkajsAcl) });
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * ACLs reach the other brokers through ZooKeeper a moment later. The local operator's ACLs are created last; once
 * every broker lets the operator read its own configs, every broker has applied the whole table.
 */
async function waitForAclsOnEveryBroker(state: ClusterState, security: KafkaSecurity, timeoutMs: number): Promise<void> {
  const admin = createKafkaClient({
    security,
    clientId: 'local-cluster-acl-check',
    brokers: [state.bootstrap],
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
  }).admin();
  try {
    await waitUntil('ACLs on every broker', timeoutMs, async () => {
      await admin.connect();
      await admin.describeConfigs({
        includeSynonyms: false,
        resources: state.brokers.map((b) => ({ type: ConfigResourceTypes.BROKER, name: String(b.id), configNames: ['broker.id'] })),
      });
      return true;
    });
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

// ---------- start / attach ----------

function checkInstalled(libsDir: string, version: string): void {
  if (!fs.existsSync(path.join(libsDir, `kafka_2.13-${version}.jar`))) {
    throw new LocalClusterError(`Kafka ${version} jars not found in ${libsDir}: run \`bash local/install.sh\``);
  }
  for (const binary of ['java', 'javac', 'haproxy', 'openssl']) {
    const found = (process.env.PATH ?? '')
      .split(path.delimiter)
      .some((dir) => dir && fs.existsSync(path.join(dir, binary)));
    if (!found) throw new LocalClusterError(`${binary} is not on PATH: run \`bash local/install.sh\``);
  }
}

/**
 * Starts a fresh cluster (about a minute on 2 cores) and records it in the state file. Fails clearly, and leaves
 * nothing behind, if a cluster is already running there or the addresses are taken.
 */
export async function startLocalCluster(opts: LocalClusterOptions = {}): Promise<LocalCluster> {
  const subnet = resolveSubnet(opts.subnet);
  const statePath = opts.statePath ?? defaultStatePath(subnet);
  const log = opts.logger ?? createLogger('local-cluster', { subnet });
  const timeoutMs = opts.startTimeoutMs ?? 180_000;
  const version = kafkaVersion();
  const libsDir = path.join(opts.cacheDir ?? defaultCacheDir(), `kafka-${version}`, 'libs');
  checkInstalled(libsDir, version);

  const previous = readRecordedCluster(statePath);
  if (previous) {
    if (findClusterProcesses(previous.runtimeDir).length > 0) {
      throw new LocalClusterError(
        `a local cluster is already running (${previous.bootstrap}, state ${statePath}); stop it with \`npm run local:down\``,
      );
    }
    log.warn({ statePath }, 'removing stale state of a cluster that is no longer running');
    fs.rmSync(previous.runtimeDir, { recursive: true, force: true });
    fs.rmSync(statePath, { force: true });
  }

  const layout = clusterLayout(subnet);
  const addresses: Array<[string, number]> = [
    [layout.bootstrap.split(':')[0], BROKER_PORT],
    ...layout.brokers.flatMap((b): Array<[string, number]> => [[b.host, b.port], [b.host, LOCAL_INTER_BROKER_PORT]]),
    ...layout.zookeepers.flatMap((z): Array<[string, number]> => [
      [z.host, z.clientPort],
      [z.host, ZOOKEEPER_PEER_PORT],
      [z.host, ZOOKEEPER_ELECTION_PORT],
    ]),
  ];
  for (const [host, port] of addresses) {
    if (await portAcceptsConnections(host, port)) {
      throw new LocalClusterError(`${host}:${port} is already in use; is another local cluster running?`);
    }
  }

  fs.mkdirSync(os.tmpdir(), { recursive: true });
  const runtimeDir = fs.mkdtempSync(path.join(os.tmpdir(), `airline-kafka-127.0.${subnet}-`));
  const security = await createClusterSecurity(runtimeDir, subnet, layout.bootstrap.split(':')[0], layout.brokers);
  const probeSecurity = clientSecurityOf(security, 'localOperator');
  const state: ClusterState = {
    version: 2,
    subnet,
    bootstrap: layout.bootstrap,
    runtimeDir,
    libsDir,
    brokers: layout.brokers,
    zookeepers: layout.zookeepers,
    security,
    pids: {},
    startedAt: new Date().toISOString(),
  };
  fs.mkdirSync(path.join(runtimeDir, 'logs'));
  fs.writeFileSync(path.join(runtimeDir, 'log4j.properties'), LOG4J_CONFIG);
  fs.writeFileSync(path.join(runtimeDir, 'haproxy.cfg'), haproxyConfig(state));
  for (const zk of state.zookeepers) {
    const dir = path.join(runtimeDir, `zookeeper-${zk.id}`);
    fs.mkdirSync(path.join(dir, 'data'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'data', 'myid'), `${zk.id}\n`);
    fs.writeFileSync(path.join(dir, 'zoo.cfg'), zookeeperConfig(state, zk));
  }
  for (const broker of state.brokers) {
    const dir = path.join(runtimeDir, `broker-${broker.id}`);
    fs.mkdirSync(path.join(dir, 'data'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'server.properties'), brokerConfig(state, broker));
  }
  writeState(statePath, state);

  const started = Date.now();
  const deadline = started + timeoutMs;
  const remaining = () => Math.max(1000, deadline - Date.now());
  const launch = (name: ProcessName) => {
    const pid = spawnDetached(state, name);
    updateState(statePath, (s) => (s.pids[name] = pid));
    return pid;
  };
  const ensureAlive = (name: ProcessName, pid: number) => {
    if (!isClusterProcess(pid, runtimeDir)) {
      throw new LocalClusterError(`${name} exited during start-up; see ${path.join(runtimeDir, 'logs', `${name}.out`)}`);
    }
  };

  try {
    log.info({ runtimeDir, bootstrap: state.bootstrap }, 'starting ZooKeeper ensemble');
    const zkPids = state.zookeepers.map((zk) => [zk, launch(`zookeeper-${zk.id}`)] as const);
    // The SCRAM tool's JVM start (and the compile of its source) overlaps the quorum election: its ZooKeeper client
    // waits until the ensemble serves. The brokers still start only once every credential is written.
    const scramCredentials = writeScramCredentials(state, Object.values(state.security.principals), remaining());
    scramCredentials.catch(() => undefined);
    await waitUntil('ZooKeeper quorum', remaining(), async () => {
      const modes = await Promise.all(
        zkPids.map(async ([zk, pid]) => {
          ensureAlive(`zookeeper-${zk.id}`, pid);
          return /Mode: (leader|follower)/.exec(await zookeeperStatus(zk.host, zk.clientPort))?.[1];
        }),
      );
      return modes.every(Boolean) && modes.includes('leader');
    });
    log.info({ elapsedMs: Date.now() - started }, 'ZooKeeper quorum up; waiting for the SCRAM credentials');
    await scramCredentials;
    log.info({ elapsedMs: Date.now() - started }, 'SCRAM credentials created; starting brokers');

    const brokerPids = state.brokers.map((b) => [b, launch(`broker-${b.id}`)] as const);
    await waitUntil(`${brokerPids.length} brokers to register`, remaining(), async () => {
      const views = await Promise.all(
        brokerPids.map(([b, pid]) => {
          ensureAlive(`broker-${b.id}`, pid);
          return liveBrokerIds(`${b.host}:${b.port}`, probeSecurity);
        }),
      );
      return views.every((ids) => ids !== null && ids.length === brokerPids.length);
    });
    log.info({ elapsedMs: Date.now() - started }, 'brokers registered; creating ACLs, starting HAProxy bootstrap');

    const haproxyPid = launch('haproxy');
    await Promise.all([
      createAcls(state, [...KAFKA_ACLS, ...LOCAL_OPERATOR_ACLS]),
      waitUntil(`bootstrap ${state.bootstrap}`, remaining(), async () => {
        ensureAlive('haproxy', haproxyPid);
        const ids = await liveBrokerIds(state.bootstrap, probeSecurity);
        return ids !== null && ids.length === brokerPids.length;
      }),
    ]);
    await waitForAclsOnEveryBroker(state, probeSecurity, remaining());
    log.info({ elapsedMs: Date.now() - started, bootstrap: state.bootstrap }, 'local cluster ready');
  } catch (error) {
    log.error({ err: error, runtimeDir }, 'start-up failed; cleaning up');
    await stopByRuntimeDir(runtimeDir, log).catch(() => undefined);
    removeStateFile(statePath, runtimeDir);
    throw error;
  }
  return new ClusterHandle(statePath, state, log);
}

/** A handle on the cluster recorded in the state file (started by `npm run local:up`, test/run.ts, or the demo). */
export function attachLocalCluster(statePath: string = defaultStatePath(), logger?: Logger): LocalCluster {
  const state = readState(statePath);
  if (!state) {
    throw new LocalClusterError(`no local cluster state at ${statePath}; start one with \`npm run local:up\``);
  }
  return new ClusterHandle(statePath, state, logger ?? createLogger('local-cluster', { subnet: state.subnet }));
}

/** Stops the cluster recorded in the state file, if any. Returns false when there was nothing to stop. */
export async function stopLocalCluster(statePath: string = defaultStatePath(), logger?: Logger): Promise<boolean> {
  const state = readRecordedCluster(statePath);
  if (!state) return false;
  await stopByRuntimeDir(state.runtimeDir, logger ?? createLogger('local-cluster', { subnet: state.subnet }));
  removeStateFile(statePath, state.runtimeDir);
  return true;
}
