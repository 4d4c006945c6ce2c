// `npm run demo`: the 2017 demo on this machine. A real local Kafka cluster (3 ZooKeeper, 3 brokers, the bootstrap
// VIP), topics 10x3, five prediction service instances in one consumer group, flight records replayed from the data
// file, predictions collected; prints per-instance counts, throughput, latency and accuracy; tears everything down.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Partitioners, logLevel, type Producer } from 'kafkajs';
import { DEMO_COLLECTOR_GROUP_PREFIX } from '../contracts/kafka-security';
import { topicVariables } from '../contracts/predictor-env';
import { PREDICTOR_GROUP_ID, defaultTopicSpec, topicNamesWithSuffix } from '../contracts/topics';
import { createKafkaClient } from '../services/common/kafka-client';
import { attachLocalCluster, defaultStatePath, startLocalCluster, type LocalCluster } from '../local/cluster';
import { OutputCollector } from './collector';
import { runOnKubernetes } from './on-kubernetes';
import { printSummary } from './summary';
import { ServiceInstance, metricValue } from './instances';
import { dataFilePath, readFlightLines, replay } from './replay';
import { ensureTopics, deleteTopics } from './topics';

const USAGE = `usage: npm run demo -- [--on processes|k8s] [--records N | --all] [--rate PER_SECOND] [--instances N] [--mode at-least-once|exactly-once]
  --on         processes: a local Kafka cluster and the service as processes on this machine (default);
               k8s: the stack deployed on the local Kubernetes (npm run k8s:up, npx cdktf deploy streaming-local),
               the service scaled 1 -> N through its autoscaler while records flow
  --records    flight records to replay (default 5000, on k8s 10000; env DEMO_RECORDS; --all for the whole file)
  --rate       records per second (default 1000, on k8s 100; 0 = as fast as the cluster acknowledges)
  --instances  prediction service instances (default 5; on k8s the replicas at the end of the scaling)
  --mode       delivery mode of the service (default at-least-once; on k8s the deployed service's mode applies)
  --step-seconds  on k8s: seconds between scaling steps once the previous step is Ready (default 8)`;

interface DemoOptions {
  on: 'processes' | 'k8s';
  records: number | undefined;
  rate: number;
  instances: number;
  mode: 'at-least-once' | 'exactly-once';
  stepSeconds: number;
}

function parseOptions(argv: string[]): DemoOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      on: { type: 'string', default: 'processes' },
      records: { type: 'string' },
      all: { type: 'boolean', default: false },
      rate: { type: 'string' },
      'step-seconds': { type: 'string', default: '8' },
      instances: { type: 'string', default: '5' },
      mode: { type: 'string', default: 'at-least-once' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const integer = (name: string, raw: string, min: number): number => {
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min) throw new UsageError(`--${name} must be an integer >= ${min}, got "${raw}"`);
    return value;
  };
  const on = values.on;
  if (on !== 'processes' && on !== 'k8s') throw new UsageError(`--on must be processes or k8s, got "${on}"`);
  const recordsRaw = values.records ?? process.env.DEMO_RECORDS ?? (on === 'k8s' ? '10000' : '5000');
  const mode = values.mode;
  if (mode !== 'at-least-once' && mode !== 'exactly-once') throw new UsageError(`--mode must be at-least-once or exactly-once, got "${mode}"`);
  return {
    on,
    records: values.all || recordsRaw === 'all' ? undefined : integer('records', recordsRaw, 1),
    rate: integer('rate', values.rate ?? (on === 'k8s' ? '100' : '1000'), 0),
    instances: integer('instances', values.instances!, 1),
    mode,
    stepSeconds: integer('step-seconds', values['step-seconds']!, 0),
  };
}

class UsageError extends Error {}

const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

async function runDemo(options: DemoOptions, abort: AbortSignal, cleanups: Array<() => Promise<void>>): Promise<void> {
  const runId = Date.now().toString(36);
  const logDir = mkdtempSync(join(tmpdir(), 'airline-demo-'));
  say(`airline delay prediction demo (run ${runId}); service logs in ${logDir}`);

  // The cluster: attach to a running one (npm run local:up, or KAFKA_CLUSTER_STATE), else start our own.
  let cluster: LocalCluster;
  const statePath = defaultStatePath();
  const owned = !existsSync(statePath);
  if (owned) {
    say('starting the local Kafka cluster (3 ZooKeeper, 3 brokers, HAProxy bootstrap); about a minute...');
    const started = Date.now();
    cluster = await startLocalCluster();
    cleanups.push(async () => {
      say('stopping the local Kafka cluster');
      await cluster.stop();
    });
    say(`cluster up in ${((Date.now() - started) / 1000).toFixed(1)} s; bootstrap ${cluster.bootstrap}`);
  } else {
    cluster = attachLocalCluster(statePath);
    say(`using the running local cluster at ${cluster.bootstrap} (state ${statePath})`);
  }
  if (abort.aborted) return;

  // Our own cluster gets the configured names; a shared one gets run-specific topics, removed afterwards.
  const topics = topicNamesWithSuffix(owned ? '' : `-demo-${runId}`);
  // The replay and the collector are two clients, each with its own principal (contracts/kafka-security.ts).
  const clientAs = (role: 'demoReplay' | 'demoCollector') =>
    createKafkaClient({ security: cluster.clientSecurity(role), clientId: `airline-demo-${runId}-${role}`, brokers: [cluster.bootstrap], logLevel: logLevel.ERROR });
  const specs = Object.values(topics).map(defaultTopicSpec);
  const topicReport = await ensureTopics(cluster, specs);
  if (!owned) cleanups.push(() => deleteTopics(cluster, Object.values(topics)));
  say(`topics: ${topicReport}`);

  const records = readFlightLines(dataFilePath(), options.records, `${runId}-`);
  const labels = new Map(records.map((record) => [record.key, record.label]));
  say(`read ${records.length} flight records from ${dataFilePath()}`);

  // The service instances: one consumer group, each a child process.
  const groupId = `${PREDICTOR_GROUP_ID}-demo-${runId}`;
  const instances: ServiceInstance[] = [];
  cleanups.push(async () => {
    say(`stopping ${instances.length} service instances (SIGTERM: leave the group)`);
    const statuses = await Promise.all(instances.map((instance) => instance.stop()));
    const unclean = statuses.filter((s) => s.code !== 0);
    if (unclean.length > 0) say(`warning: ${unclean.length} instances did not exit cleanly`);
  });
  const startedInstances = Date.now();
  for (let i = 1; i <= options.instances; i += 1) {
    instances.push(
      await ServiceInstance.spawn({
        instanceId: `predictor-${i}`,
        logDir,
        env: {
          KAFKA_BOOTSTRAP: cluster.bootstrap,
          ...cluster.securityEnv('predictor'),
          ...topicVariables(topics),
          GROUP_ID: groupId,
          DELIVERY_MODE: options.mode,
        },
      }),
    );
  }
  await Promise.all(instances.map((instance) => instance.waitReady(90000)));
  const assignments = await Promise.all(
    instances.map(async (instance) => metricValue(await instance.metrics(), 'predictor_assigned_partitions')),
  );
  say(
    `${instances.length} instances ready in ${((Date.now() - startedInstances) / 1000).toFixed(1)} s (${options.mode}); ` +
      `partitions per instance: ${assignments.join(' ')}`,
  );
  if (abort.aborted) return;

  const collector = new OutputCollector(clientAs('demoCollector'), {
    outputTopic: topics.output,
    deadLetterTopic: topics.deadLetter,
    groupId: `${DEMO_COLLECTOR_GROUP_PREFIX}-${runId}`,
  });
  cleanups.push(() => collector.stop());
  await collector.start();

  // Idempotent, one partition per send (see PartitionedSender): replayed records are neither lost nor doubled.
  const producer: Producer = clientAs('demoReplay').producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
  cleanups.push(() => producer.disconnect());
  await producer.connect();

  let sent = 0;
  const replayStarted = Date.now();
  const progress = setInterval(() => {
    const elapsed = ((Date.now() - replayStarted) / 1000).toFixed(1).padStart(5);
    say(
      `[${elapsed}s] acknowledged ${sent}/${records.length}  predictions ${collector.predictions.size}  ` +
        `dead-lettered ${collector.deadLetters.size}  pending ${Math.max(0, sent - collector.distinctKeys())}`,
    );
  }, 1000);
  cleanups.push(async () => clearInterval(progress));
  say(`replaying ${records.length} records at ${options.rate > 0 ? `${options.rate}/s` : 'full speed'} into ${topics.input}`);
  sent = await replay(producer, records, { topic: topics.input, ratePerSecond: options.rate, signal: abort, onProgress: (n) => (sent = n) });
  const replayDone = Date.now();
  const complete = await collector.waitForKeys(sent, 120000, () => {
    if (abort.aborted) throw new Error('interrupted');
  });
  clearInterval(progress);
  const lastOutputAt = Date.now();
  if (!complete) throw new Error(`only ${collector.distinctKeys()} of ${sent} records came out within 120 s`);

  const outcome = printSummary(say, collector, labels, sent, { replayStarted, replayDone, lastOutputAt });
  if (outcome.lost > 0) throw new Error(`${outcome.lost} records lost`);
}

async function main(): Promise<number> {
  let options: DemoOptions;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const abortController = new AbortController();
  const cleanups: Array<() => Promise<void>> = [];
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    say(`${signal}: stopping and tearing down...`);
    abortController.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let code = 0;
  try {
    if (options.on === 'k8s') {
      await runOnKubernetes(
        { records: options.records, rate: options.rate, replicas: options.instances, stepSeconds: options.stepSeconds, environment: 'local' },
        abortController.signal,
        cleanups,
        say,
      );
    } else {
      await runDemo(options, abortController.signal, cleanups);
    }
    if (interrupted) code = 130;
  } catch (error) {
    code = interrupted ? 130 : 1;
    process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
  } finally {
    // Tear down in reverse order; one failing step must not skip the others.
    for (const cleanup of cleanups.reverse()) {
      await cleanup().catch((error: unknown) => process.stderr.write(`teardown step failed: ${String(error)}\n`));
    }
  }
  if (code === 0) {
    say(options.on === 'k8s' ? 'demo finished; the stack keeps running (npm run teardown -- local removes it)' : 'demo finished; everything torn down');
  }
  return code;
}

main().then((code) => process.exit(code));
