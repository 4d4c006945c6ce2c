// `npm run bench`: the prediction service's speed. (1) scoring alone (bench/scoring.ts), (2) one instance end to end
// through the local Kafka cluster on a backlog (records/s, both delivery modes), (3) latency at a fixed input rate.
// Results go to bench/results/prediction.json; a summary table is printed.
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Partitioners, logLevel, type Kafka } from 'kafkajs';
import { createKafkaClient } from '../services/common/kafka-client';
import { OutputCollector, percentile, ServiceInstance, dataFilePath, readFlightLines, replay, deleteTopics, ensureTopics } from '../test/harness/demo';
import { topicVariables } from '../contracts/predictor-env';
import { PREDICTOR_GROUP_ID, defaultTopicSpec, topicNamesWithSuffix } from '../contracts/topics';
import { attachLocalCluster, defaultStatePath, startLocalCluster, type LocalCluster } from '../local/cluster';
import { benchScoring } from './scoring';

type Mode = 'at-least-once' | 'exactly-once';

interface Rig {
  /** The bench's own producer and collector: the local operator (any names). */
  kafka: Kafka;
  cluster: LocalCluster;
  bootstrap: string;
  logDir: string;
}

/** Topics, one instance, a collector and a producer for one measurement; all removed afterwards. */
async function withPipeline<T>(
  rig: Rig,
  name: string,
  mode: Mode,
  body: (p: { spawn: () => Promise<ServiceInstance>; collector: OutputCollector; send: (records: ReturnType<typeof readFlightLines>, rate: number) => Promise<number> }) => Promise<T>,
): Promise<T> {
  const unique = `${name}-${Date.now().toString(36)}`;
  // The service's names with a run suffix: what the predictor principal's ACLs cover.
  const topics = topicNamesWithSuffix(`-bench-${unique}`);
  await ensureTopics(
    rig.cluster,
    Object.values(topics).map(defaultTopicSpec),
  );
  const collector = new OutputCollector(rig.kafka, { outputTopic: topics.output, deadLetterTopic: topics.deadLetter, groupId: `bench-collector-${unique}` });
  const producer = rig.kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
  const instances: ServiceInstance[] = [];
  try {
    await producer.connect();
    await collector.start();
    return await body({
      collector,
      spawn: async () => {
        const instance = await ServiceInstance.spawn({
          instanceId: `bench-${name}`,
          logDir: rig.logDir,
          env: {
            KAFKA_BOOTSTRAP: rig.bootstrap,
            ...rig.cluster.securityEnv('predictor'),
            ...topicVariables(topics),
            GROUP_ID: `${PREDICTOR_GROUP_ID}-bench-${unique}`,
            DELIVERY_MODE: mode,
          },
        });
        instances.push(instance);
        await instance.waitReady(90000);
        return instance;
      },
      // 50 ms steps: records wait little in the producer, so the latency is the pipeline's.
      send: (records, rate) => replay(producer, records, { topic: topics.input, ratePerSecond: rate, tickMs: 50 }),
    });
  } finally {
    await Promise.all(instances.map((instance) => instance.stop()));
    await collector.stop().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
    await deleteTopics(rig.cluster, Object.values(topics)).catch(() => undefined);
  }
}

/** A backlog already in the input topic, then one instance drains it: records/s between first and last output. */
async function backlogThroughput(rig: Rig, mode: Mode, count: number) {
  return withPipeline(rig, mode === 'exactly-once' ? 'eos' : 'alo', mode, async ({ spawn, collector, send }) => {
    const records = readFlightLines(dataFilePath(), count, 'b-');
    await send(records, 0);
    await spawn();
    if (!(await collector.waitForKeys(records.length, 300000))) throw new Error(`${mode}: backlog not drained in 300 s`);
    const stamps = [...collector.predictions.values(), ...collector.deadLetters.values()].length;
    const outputTimes = [...collector.predictions.values()].map((list) => list[0].outputTimestamp);
    const seconds = (Math.max(...outputTimes) - Math.min(...outputTimes)) / 1000;
    return { mode, records: records.length, outputs: stamps, seconds: round(seconds, 2), recordsPerSecond: Math.round(records.length / seconds) };
  });
}

/** Records produced at a fixed rate into one instance: end-to-end latency percentiles. */
async function latencyAtRate(rig: Rig, rate: number, seconds: number) {
  return withPipeline(rig, 'latency', 'at-least-once', async ({ spawn, collector, send }) => {
    const records = readFlightLines(dataFilePath(), rate * seconds, 'l-');
    await spawn();
    const started = Date.now();
    await send(records, rate);
    const sendSeconds = (Date.now() - started) / 1000;
    if (!(await collector.waitForKeys(records.length, 120000))) throw new Error('latency run: not every record came out');
    const latencies = [...collector.predictions.values()].map((list) => list[0].latencyMs);
    return {
      targetRate: rate,
      achievedRate: Math.round(records.length / sendSeconds),
      records: records.length,
      p50Ms: percentile(latencies, 50),
      p90Ms: percentile(latencies, 90),
      p99Ms: percentile(latencies, 99),
      maxMs: Math.max(...latencies),
    };
  });
}

function round(value: number, digits: number): number {
  return Number(value.toFixed(digits));
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      backlog: { type: 'string', default: '10000' },
      rate: { type: 'string', default: '500' },
      seconds: { type: 'string', default: '20' },
    },
  });
  const backlog = Number(values.backlog);
  const rate = Number(values.rate);
  const seconds = Number(values.seconds);
  for (const [name, value] of Object.entries({ backlog, rate, seconds })) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer`);
  }

  const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: round(totalmem() / 2 ** 30, 1), node: process.version, loadAverageAtStart: round(loadavg()[0], 2) };
  process.stderr.write('scoring alone...\n');
  const scoring = benchScoring({ seconds: 2 });

  let cluster: LocalCluster;
  const statePath = defaultStatePath();
  const owned = !existsSync(statePath);
  process.stderr.write(owned ? 'starting the local Kafka cluster...\n' : `using the running cluster (${statePath})\n`);
  cluster = owned ? await startLocalCluster() : attachLocalCluster(statePath);
  const rig: Rig = {
    kafka: createKafkaClient({ security: cluster.clientSecurity('localOperator'), clientId: 'bench', brokers: [cluster.bootstrap], logLevel: logLevel.ERROR }),
    cluster,
    bootstrap: cluster.bootstrap,
    logDir: mkdtempSync(join(tmpdir(), 'airline-bench-')),
  };
  let results;
  try {
    process.stderr.write(`one instance draining a backlog of ${backlog} records (at-least-once)...\n`);
    const atLeastOnce = await backlogThroughput(rig, 'at-least-once', backlog);
    process.stderr.write(`one instance draining a backlog of ${backlog} records (exactly-once)...\n`);
    const exactlyOnce = await backlogThroughput(rig, 'exactly-once', backlog);
    process.stderr.write(`latency at ${rate} records/s for ${seconds} s...\n`);
    const latency = await latencyAtRate(rig, rate, seconds);
    results = { measuredAt: new Date().toISOString(), machine: { ...machine, loadAverageAtEnd: round(loadavg()[0], 2) }, scoring, endToEnd: [atLeastOnce, exactlyOnce], latency };
  } finally {
    if (owned) await cluster.stop();
  }

  const dir = resolve(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'prediction.json'), `${JSON.stringify(results, null, 2)}\n`);
  const rows: Array<[string, string]> = [
    ['scoring alone (score only)', `${scoring.recordsPerSecond.toLocaleString('en-US')} rec/s, ${scoring.microsPerRecord.toFixed(2)} us/record wall, ${scoring.cpuMicrosPerRecord.toFixed(2)} us CPU`],
    ['scoring alone (parse + score)', `${scoring.parseAndScore.recordsPerSecond.toLocaleString('en-US')} rec/s, ${scoring.parseAndScore.microsPerRecord.toFixed(2)} us/record wall, ${scoring.parseAndScore.cpuMicrosPerRecord.toFixed(2)} us CPU`],
    ...results.endToEnd.map((r): [string, string] => [`1 instance via Kafka, ${r.mode}`, `${r.recordsPerSecond} rec/s (${r.records} records in ${r.seconds} s)`]),
    [`latency at ${rate} rec/s, 1 instance`, `p50 ${results.latency.p50Ms} ms, p90 ${results.latency.p90Ms} ms, p99 ${results.latency.p99Ms} ms, max ${results.latency.maxMs} ms (achieved ${results.latency.achievedRate} rec/s)`],
    ['machine', `${machine.cpus} cores, ${machine.memoryGiB} GiB, node ${machine.node}, load ${machine.loadAverageAtStart} -> ${results.machine.loadAverageAtEnd}`],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  for (const [label, value] of rows) process.stdout.write(`${label.padEnd(width)}  ${value}\n`);
  process.stdout.write(`results written to ${join(dir, 'prediction.json')}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
