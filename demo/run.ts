// `npm run demo`: the 2017 demo on this machine. A real local Kafka cluster (3 ZooKeeper, 3 brokers, the bootstrap
// VIP), topics 10x3, five prediction service instances in one consumer group, flight records replayed from the data
// file, predictions collected; prints per-instance counts, throughput, latency and accuracy; tears everything down.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Kafka, Partitioners, logLevel, type Producer } from 'kafkajs';
import { topicVariables } from '../contracts/predictor-env';
import { defaultTopicSpec, topicNamesWithSuffix } from '../contracts/topics';
import { attachLocalCluster, defaultStatePath, startLocalCluster, type LocalCluster } from '../local/cluster';
import { OutputCollector, percentile } from './collector';
import { ServiceInstance, metricValue } from './instances';
import { dataFilePath, readFlightLines, replay } from './replay';
import { ensureTopics, deleteTopics } from './topics';

const USAGE = `usage: npm run demo -- [--records N | --all] [--rate PER_SECOND] [--instances N] [--mode at-least-once|exactly-once]
  --records    flight records to replay (default 5000, env DEMO_RECORDS; --all for the whole file)
  --rate       records per second (default 1000; 0 = as fast as the cluster acknowledges)
  --instances  prediction service instances (default 5)
  --mode       delivery mode of the service (default at-least-once)`;

interface DemoOptions {
  records: number | undefined;
  rate: number;
  instances: number;
  mode: 'at-least-once' | 'exactly-once';
}

function parseOptions(argv: string[]): DemoOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      records: { type: 'string' },
      all: { type: 'boolean', default: false },
      rate: { type: 'string', default: '1000' },
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
  const recordsRaw = values.records ?? process.env.DEMO_RECORDS ?? '5000';
  const mode = values.mode;
  if (mode !== 'at-least-once' && mode !== 'exactly-once') throw new UsageError(`--mode must be at-least-once or exactly-once, got "${mode}"`);
  return {
    records: values.all || recordsRaw === 'all' ? undefined : integer('records', recordsRaw, 1),
    rate: integer('rate', values.rate!, 0),
    instances: integer('instances', values.instances!, 1),
    mode,
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
  const kafka = new Kafka({ clientId: `airline-demo-${runId}`, brokers: [cluster.bootstrap], logLevel: logLevel.ERROR });
  const specs = Object.values(topics).map(defaultTopicSpec);
  const topicReport = await ensureTopics(cluster.bootstrap, specs);
  if (!owned) cleanups.push(() => deleteTopics(cluster.bootstrap, Object.values(topics)));
  say(`topics: ${topicReport}`);

  const records = readFlightLines(dataFilePath(), options.records, `${runId}-`);
  const labels = new Map(records.map((record) => [record.key, record.label]));
  say(`read ${records.length} flight records from ${dataFilePath()}`);

  // The service instances: one consumer group, each a child process.
  const groupId = `airline-predictor-demo-${runId}`;
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

  const collector = new OutputCollector(kafka, {
    outputTopic: topics.output,
    deadLetterTopic: topics.deadLetter,
    groupId: `airline-demo-collector-${runId}`,
  });
  cleanups.push(() => collector.stop());
  await collector.start();

  // Idempotent, one partition per send (see PartitionedSender): replayed records are neither lost nor doubled.
  const producer: Producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
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

  // Summary.
  const perInstance = new Map<string, { predictions: number; deadLettered: number }>();
  const bucket = (id: string) => {
    let entry = perInstance.get(id);
    if (!entry) perInstance.set(id, (entry = { predictions: 0, deadLettered: 0 }));
    return entry;
  };
  const latencies: number[] = [];
  let labelled = 0;
  let correct = 0;
  let duplicates = 0;
  for (const [key, outputs] of collector.predictions) {
    duplicates += outputs.length - 1;
    for (const output of outputs) bucket(output.message.instanceId).predictions += 1;
    latencies.push(outputs[0].latencyMs);
    const label = labels.get(key);
    if (label) {
      labelled += 1;
      if (outputs[0].message.prediction === label) correct += 1;
    }
  }
  const reasons = new Map<string, number>();
  for (const deadLetters of collector.deadLetters.values()) {
    duplicates += deadLetters.length - 1;
    for (const dead of deadLetters) bucket(dead.instanceId).deadLettered += 1;
    reasons.set(deadLetters[0].reason, (reasons.get(deadLetters[0].reason) ?? 0) + 1);
  }
  const seconds = (lastOutputAt - replayStarted) / 1000;
  say('');
  say('instance        predictions  dead-lettered');
  for (const id of [...perInstance.keys()].sort()) {
    const entry = perInstance.get(id)!;
    say(`${id.padEnd(15)} ${String(entry.predictions).padStart(11)}  ${String(entry.deadLettered).padStart(13)}`);
  }
  say('');
  say(`records in          ${sent}`);
  say(`predictions out     ${collector.predictions.size}`);
  say(`dead-lettered       ${collector.deadLetters.size}${[...reasons].map(([r, n]) => `\n  ${n} x ${r}`).join('')}`);
  say(`lost                ${collector.missingKeys(labels.keys()).length}`);
  say(`duplicates          ${duplicates}`);
  say(`throughput          ${(sent / seconds).toFixed(0)} records/s end to end (replay ${((replayDone - replayStarted) / 1000).toFixed(1)} s, last output at ${seconds.toFixed(1)} s)`);
  say(`latency p50 / p99   ${percentile(latencies, 50)} ms / ${percentile(latencies, 99)} ms (input record timestamp -> output record timestamp)`);
  say(`accuracy            ${labelled > 0 ? ((100 * correct) / labelled).toFixed(1) : 'n/a'}% of ${labelled} labelled predictions match IsDepDelayed`);
  say('');
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
    await runDemo(options, abortController.signal, cleanups);
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
  if (code === 0) say('demo finished; everything torn down');
  return code;
}

main().then((code) => process.exit(code));
