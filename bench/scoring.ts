// Scoring speed of the TypeScript scorer on the golden records (model/golden.jsonl rows, read from the data file).
// Run: npx tsx bench/scoring.ts [--seconds N]   (prints one JSON line)
// Library: benchScoring() for the bench suite.

import { cpus, loadavg } from 'node:os';
import { parseFlightRecord, type FlightRecord } from '../services/predictor/flight-record';
import { predictRaw } from '../services/predictor/predict';
import { Scorer } from '../services/predictor/scorer';
import { requireGolden } from '../test/harness/golden';

export interface ScoringThroughput {
  recordsPerSecond: number;
  /** Wall-clock time per record. */
  microsPerRecord: number;
  /** This process's CPU time per record: less distorted than wall time on a busy machine. */
  cpuMicrosPerRecord: number;
}

export interface ScoringBenchResult extends ScoringThroughput {
  modelVersion: string;
  trees: number;
  distinctRecords: number;
  scoredRecords: number;
  /** Parse + score from raw bytes (predictRaw), the path the service and CLI use. */
  parseAndScore: ScoringThroughput;
  /** Machine load while measuring (os.loadavg()[0]) and core count, to judge the numbers. */
  loadAverage1m: number;
  cpus: number;
}

export interface ScoringBenchOptions {
  modelPath?: string;
  /** Measured time per phase, after a warm-up of a quarter of it. */
  seconds?: number;
}

function measure(seconds: number, batch: number, run: () => void): ScoringThroughput & { count: number } {
  const budget = BigInt(Math.round(seconds * 1e9));
  const cpuStarted = process.cpuUsage();
  const started = process.hrtime.bigint();
  let elapsed = 0n;
  let count = 0;
  while (elapsed < budget) {
    run();
    count += batch;
    elapsed = process.hrtime.bigint() - started;
  }
  const cpu = process.cpuUsage(cpuStarted);
  const secondsTaken = Number(elapsed) / 1e9;
  return {
    recordsPerSecond: Math.round(count / secondsTaken),
    microsPerRecord: (secondsTaken * 1e6) / count,
    cpuMicrosPerRecord: (cpu.user + cpu.system) / count,
    count,
  };
}

export function benchScoring(options: ScoringBenchOptions = {}): ScoringBenchResult {
  const seconds = options.seconds ?? 2;
  const scorer = Scorer.load(options.modelPath);
  // Golden rows are data-file line numbers plus edits; the lines come from the data file (AIRLINE_DATA).
  const lines = requireGolden().rows.map((row) => Buffer.from(row.line));
  const records: FlightRecord[] = lines.map((line) => {
    const parsed = parseFlightRecord(line);
    if (!parsed.ok) throw new Error(`golden line rejected: ${parsed.reason}`);
    return parsed.record;
  });

  // The sum keeps the JIT from discarding the work.
  let sink = 0;
  const scoreAll = (): void => {
    for (const record of records) sink += scorer.score(record).probability;
  };
  const parseAndScoreAll = (): void => {
    for (const line of lines) {
      const outcome = predictRaw(scorer, line);
      if (outcome.ok) sink += outcome.probability;
    }
  };
  measure(seconds / 4, records.length, scoreAll);
  const score = measure(seconds, records.length, scoreAll);
  measure(seconds / 4, lines.length, parseAndScoreAll);
  const parseAndScore = measure(seconds, lines.length, parseAndScoreAll);
  if (!Number.isFinite(sink)) throw new Error('non-finite scores');

  return {
    recordsPerSecond: score.recordsPerSecond,
    microsPerRecord: score.microsPerRecord,
    cpuMicrosPerRecord: score.cpuMicrosPerRecord,
    modelVersion: scorer.modelVersion,
    trees: scorer.treeCount,
    distinctRecords: records.length,
    scoredRecords: score.count,
    parseAndScore: {
      recordsPerSecond: parseAndScore.recordsPerSecond,
      microsPerRecord: parseAndScore.microsPerRecord,
      cpuMicrosPerRecord: parseAndScore.cpuMicrosPerRecord,
    },
    loadAverage1m: Number(loadavg()[0].toFixed(2)),
    cpus: cpus().length,
  };
}

if (require.main === module) {
  const index = process.argv.indexOf('--seconds');
  const seconds = index === -1 ? undefined : Number(process.argv[index + 1]);
  if (seconds !== undefined && !(seconds > 0)) {
    console.error('bench/scoring.ts: --seconds needs a positive number');
    process.exit(2);
  }
  process.stdout.write(`${JSON.stringify(benchScoring({ seconds }))}\n`);
}
