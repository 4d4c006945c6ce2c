// `npm run local:up` / `npm run local:down` / `tsx local/cli.ts status`.
// up: starts the local cluster (detached), provisions the `local` environment's topics, prints exactly one stdout
// line `bootstrap=HOST:PORT`, and exits with the cluster left running. down: stops it and removes its data.
import { loadEnvironment } from '../config';
import { createLogger } from '../contracts/logging';
import { exitCodeFor } from '../services/topics/errors';
import { formatSummary, provisionTopics } from '../services/topics/provisioner';
import { parseTopicSpec } from '../services/topics/spec';
import { attachLocalCluster, defaultStatePath, startLocalCluster, stopLocalCluster } from './cluster';

const USAGE = 'usage: tsx local/cli.ts up|down|status   (env: AIRLINE_LOCAL_SUBNET, KAFKA_CLUSTER_STATE, AIRLINE_CACHE_DIR)';

async function up(): Promise<number> {
  const log = createLogger('local-cli');
  // Read the topics first: a config error must not leave a cluster behind.
  const topics = parseTopicSpec(loadEnvironment('local').streaming.topics);
  const started = Date.now();
  const cluster = await startLocalCluster({ logger: log });
  const clusterMs = Date.now() - started;
  try {
    const result = await provisionTopics({
      bootstrap: cluster.bootstrap,
      topics,
      expectedBrokers: cluster.brokers.length,
      security: cluster.clientSecurity('topicsProvisioner'),
      logger: log,
    });
    process.stderr.write(`${formatSummary(result)}\n`);
  } catch (error) {
    log.error({ err: error }, 'topic provisioning failed; stopping the cluster');
    await cluster.stop();
    return exitCodeFor(error);
  }
  log.info(
    { clusterMs, totalMs: Date.now() - started, statePath: cluster.statePath, runtimeDir: cluster.runtimeDir },
    'local cluster up',
  );
  process.stdout.write(`bootstrap=${cluster.bootstrap}\n`);
  return 0;
}

async function down(): Promise<number> {
  const log = createLogger('local-cli');
  const statePath = defaultStatePath();
  const stopped = await stopLocalCluster(statePath, log);
  if (!stopped) log.info({ statePath }, 'no local cluster recorded; nothing to stop');
  return 0;
}

function status(): number {
  const cluster = attachLocalCluster();
  const brokers = cluster.brokers.map((b) => `${b.id}@${b.host}:${b.port}(${cluster.isBrokerRunning(b.id) ? 'running' : 'stopped'})`);
  process.stdout.write(`bootstrap=${cluster.bootstrap}\nbrokers=${brokers.join(' ')}\nruntime=${cluster.runtimeDir}\n`);
  return 0;
}

async function main(command: string | undefined): Promise<number> {
  switch (command) {
    case 'up':
      return up();
    case 'down':
      return down();
    case 'status':
      return status();
    default:
      process.stderr.write(`${USAGE}\n`);
      return 2;
  }
}

main(process.argv[2]).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`local: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
