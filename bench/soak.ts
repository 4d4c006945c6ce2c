// `npm run soak -- --rounds 20`: rounds of faults against a real local cluster while records flow. Each round streams
// --records flight records (default 6,000) at --rate records/s (default 300) through 3 prediction-service instances,
// alternating at-least-once and exactly-once, and meanwhile: kills a broker (SIGKILL), kills an instance (kill -9),
// and freezes another (SIGSTOP) while it owns partitions, past its session timeout until the last instance owns
// every partition, then wakes it (a zombie). After
// the broker is back, a fresh read_committed reader counts lost and duplicated records. One line per round, then
// totals; exit 1 when a round lost a record or exactly-once duplicated one.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startLocalCluster, stopLocalCluster, type LocalCluster } from '../local/cluster';
import { createLogger } from '../contracts/logging';
import { PREDICTOR_SESSION_TIMEOUT_MS } from '../contracts/predictor-env';
import { dataFilePath, readFlightLines, replay, sleep } from '../test/harness/demo';
import { InFlightProbe, Pipeline, waitFor } from '../test/harness/service-pipeline';

type Mode = 'at-least-once' | 'exactly-once';

interface RoundResult {
  round: number;
  mode: Mode;
  records: number;
  /** Outputs in flight from the broker kill until 3 s after it left the cluster (each instance's most at once, summed). */
  inFlightAtBrokerKill: number;
  lost: number;
  duplicated: number;
  /** From the kill -9 to the first output of the victim's partitions by another instance. */
  resumeAfterKillMs: number;
  /** How long the zombie stayed frozen (until the survivor owned every partition), and how many it owned then. */
  zombiePausedMs: number;
  zombiePartitions: number;
  seconds: number;
}

const SUBNET = 7;
/** A zombie stays frozen at least this long: past the service's session timeout by a margin. */
const ZOMBIE_MIN_PAUSE_MS = PREDICTOR_SESSION_TIMEOUT_MS + 2000; // 127.0.7.0/24: beside a `npm run local:up` cluster and the test cluster

async function soakRound(cluster: LocalCluster, round: number, mode: Mode, recordCount: number, rate: number): Promise<RoundResult> {
  const started = Date.now();
  const pipeline = await Pipeline.create({ name: `soak-${round}`, mode, collect: false });
  try {
    const instances = await pipeline.spawnGroup(3);
    const [survivor, killed, zombie] = instances;
    const victimBroker = await pipeline.brokerLeadingMostOutputs();
    const records = readFlightLines(dataFilePath(), recordCount, `soak${round}-`);
    const faults: Array<Promise<unknown>> = [];
    let inFlight: Promise<number> | undefined;
    let killedAt = 0;
    let killedPartitions: number[] = [];
    let zombiePausedMs = 0;
    let zombiePartitions: number[] = [];
    const at = (fraction: number) => Math.floor(records.length * fraction);
    const fired = new Set<string>();
    const once = (name: string, fault: () => Promise<unknown>) => {
      if (fired.has(name)) return;
      fired.add(name);
      faults.push(fault());
    };
    const sent = await replay(pipeline.producer, records, {
      topic: pipeline.topics.input,
      ratePerSecond: rate,
      onProgress: (acknowledged) => {
        if (acknowledged >= at(0.15)) {
          once('broker', async () => {
            const probe = await InFlightProbe.start(instances);
            const killing = cluster.killBroker(victimBroker, 'SIGKILL');
            inFlight = probe.peakUntil(killing.then(() => sleep(3000)));
            await killing;
          });
        }
        if (acknowledged >= at(0.4)) {
          once('instance', async () => {
            killedPartitions = await killed.partitions();
            killedAt = Date.now();
            await killed.kill();
          });
        }
        if (acknowledged >= at(0.6)) {
          once('zombie', async () => {
            await Promise.all(faults.slice(0, 2)); // the kill -9 has landed
            // Frozen while it owns partitions, so the group has something to take from it.
            await waitFor('the zombie to own partitions', 60000, async () => (zombiePartitions = await zombie.partitions()).length > 0);
            zombie.pause();
            const pausedAt = Date.now();
            try {
              await waitFor('the survivor to own every partition', 90000, async () => (await survivor.partitions()).length === 10);
              await sleep(Math.max(0, ZOMBIE_MIN_PAUSE_MS - (Date.now() - pausedAt)));
            } finally {
              zombie.resume();
              zombiePausedMs = Date.now() - pausedAt;
            }
          });
        }
      },
    });
    if (sent !== records.length) throw new Error(`round ${round}: only ${sent} of ${records.length} records acknowledged`);
    await Promise.all(faults);
    const inFlightAtBrokerKill = inFlight ? await inFlight : 0;
    await cluster.startBroker(victimBroker, 120000);
    await cluster.waitForInSync(120000);
    const reader = await pipeline.freshCollector();
    await reader.waitForKeys(records.length, 120000);
    await sleep(3000); // late duplicates, if any
    const keys = records.map((r) => r.key);
    const resumedAt = reader.resumedAfter(killedAt, killedPartitions, killed.instanceId);
    return {
      round,
      mode,
      records: records.length,
      inFlightAtBrokerKill,
      lost: reader.missingKeys(keys).length,
      duplicated: reader.duplicateKeys().length,
      resumeAfterKillMs: Number.isFinite(resumedAt) ? resumedAt - killedAt : -1,
      zombiePausedMs,
      zombiePartitions: zombiePartitions.length,
      seconds: Math.round((Date.now() - started) / 1000),
    };
  } finally {
    await pipeline.teardown();
    for (const id of [1, 2, 3]) if (!cluster.isBrokerRunning(id)) await cluster.startBroker(id, 120000);
  }
}

function formatRow(r: RoundResult): string {
  return [
    `round ${String(r.round).padStart(2)}`,
    r.mode.padEnd(13),
    `${r.records} records`,
    `in flight at broker kill ${String(r.inFlightAtBrokerKill).padStart(3)}`,
    `lost ${r.lost}`,
    `duplicated ${String(r.duplicated).padStart(4)}`,
    `resumed ${r.resumeAfterKillMs} ms after kill -9`,
    `zombie owning ${r.zombiePartitions} partitions paused ${r.zombiePausedMs} ms`,
    `${r.seconds} s`,
  ].join('  ');
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { rounds: { type: 'string', default: '20' }, records: { type: 'string', default: '6000' }, rate: { type: 'string', default: '300' } },
  });
  const rounds = Number(values.rounds);
  const recordCount = Number(values.records);
  const rate = Number(values.rate);
  for (const [name, value] of Object.entries({ rounds, records: recordCount, rate })) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer`);
  }
  const logger = createLogger('soak');
  logger.level = 'warn';
  const statePath = join('/tmp', 'airline-streaming', `soak-cluster-127.0.${SUBNET}.json`);
  await stopLocalCluster(statePath, logger);
  process.stderr.write(`starting the local cluster on 127.0.${SUBNET}.0/24...\n`);
  const cluster = await startLocalCluster({ subnet: SUBNET, statePath, logger });
  process.env.KAFKA_BOOTSTRAP = cluster.bootstrap;
  process.env.KAFKA_CLUSTER_STATE = cluster.statePath;
  const results: RoundResult[] = [];
  try {
    for (let round = 1; round <= rounds; round++) {
      const mode: Mode = round % 2 === 1 ? 'at-least-once' : 'exactly-once';
      const result = await soakRound(cluster, round, mode, recordCount, rate);
      results.push(result);
      process.stdout.write(`${formatRow(result)}\n`);
    }
  } finally {
    await cluster.stop();
  }
  const total = (mode: Mode, field: 'records' | 'lost' | 'duplicated' | 'inFlightAtBrokerKill') =>
    results.filter((r) => r.mode === mode).reduce((n, r) => n + r[field], 0);
  for (const mode of ['at-least-once', 'exactly-once'] as const) {
    process.stdout.write(
      `total ${mode.padEnd(13)}  ${results.filter((r) => r.mode === mode).length} rounds, ${total(mode, 'records')} records, lost ${total(mode, 'lost')}, duplicated ${total(mode, 'duplicated')}, in flight at broker kills ${total(mode, 'inFlightAtBrokerKill')}\n`,
    );
  }
  const dir = resolve(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'soak.json'), `${JSON.stringify({ measuredAt: new Date().toISOString(), rate, results }, null, 2)}\n`);
  const failed = results.filter((r) => r.lost > 0 || (r.mode === 'exactly-once' && r.duplicated > 0));
  if (failed.length > 0) process.stdout.write(`FAILED rounds: ${failed.map((r) => r.round).join(', ')}\n`);
  return failed.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`soak failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
