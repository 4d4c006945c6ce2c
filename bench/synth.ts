// `npm run bench:synth`: cold synth of all stacks of all environments, each run a fresh node process running the app
// (`node --import tsx main.ts`) into a temp outdir, as `cdktf synth` does. Reports wall time, CPU time and peak RSS
// per run, and one `cdktf synth` for reference. Results go to bench/results/synth.json.
//   BENCH_RUNS (default 5), BENCH_SKIP_CLI=1 to skip the cdktf CLI run.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const REPO_ROOT = resolve(__dirname, '..');
const RESULTS_FILE = join(REPO_ROOT, 'bench', 'results', 'synth.json');
const REPORTER = join(REPO_ROOT, 'bench', 'rusage-reporter.cjs');
const TARGET = { wallMs: 2000, peakRssMiB: 300 };

interface RunResult {
  run: number;
  wallMs: number;
  cpuMs: number;
  peakRssMiB: number;
  stacks: string[];
}

function parseRuns(text: string | undefined): number {
  const runs = Number(text ?? '5');
  if (!Number.isInteger(runs) || runs < 1 || runs > 50) {
    throw new Error(`BENCH_RUNS must be a whole number from 1 to 50, got "${text}"`);
  }
  return runs;
}

function stacksIn(outdir: string): string[] {
  const dir = join(outdir, 'stacks');
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

/** The app's entry, or (floor) a process that only loads tsx and cdktf: what no synth change can remove. */
const COMMANDS = {
  synth: ['--import', 'tsx', 'main.ts'],
  floor: ['--import', 'tsx', '-e', "require('cdktf')"],
};

function coldSynth(run: number, command: keyof typeof COMMANDS = 'synth'): RunResult {
  const work = mkdtempSync(join(tmpdir(), 'airline-bench-synth-'));
  const outdir = join(work, 'out');
  const usageFile = join(work, 'usage.json');
  try {
    const started = process.hrtime.bigint();
    const result = spawnSync(process.execPath, ['--require', REPORTER, ...COMMANDS[command]], {
      cwd: REPO_ROOT,
      env: { ...process.env, CDKTF_OUTDIR: outdir, BENCH_RUSAGE_FILE: usageFile },
      encoding: 'utf8',
      timeout: 300_000,
    });
    const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
    if (result.status !== 0) throw new Error(`synth run ${run} failed (exit ${result.status}):\n${result.stderr}`);
    const usage = JSON.parse(readFileSync(usageFile, 'utf8')) as { maxRssKiB: number; userMicros: number; systemMicros: number };
    return {
      run,
      wallMs: Math.round(wallMs),
      cpuMs: Math.round((usage.userMicros + usage.systemMicros) / 1000),
      peakRssMiB: Math.round((usage.maxRssKiB / 1024) * 10) / 10,
      stacks: stacksIn(outdir),
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function cliSynth(): { wallMs: number; status: number | null; stacks: number } | undefined {
  if (process.env.BENCH_SKIP_CLI === '1') return undefined;
  const outdir = mkdtempSync(join(tmpdir(), 'airline-bench-cli-'));
  try {
    const started = process.hrtime.bigint();
    const result = spawnSync(join(REPO_ROOT, 'node_modules', '.bin', 'cdktf'), ['synth', '--output', outdir], {
      cwd: REPO_ROOT,
      env: { ...process.env, CHECKPOINT_DISABLE: '1', DISABLE_VERSION_CHECK: 'true', CI: '1' },
      encoding: 'utf8',
      timeout: 300_000,
    });
    const wallMs = Math.round(Number(process.hrtime.bigint() - started) / 1e6);
    if (result.status !== 0) process.stderr.write(`cdktf synth failed (exit ${result.status}):\n${result.stdout}\n${result.stderr}\n`);
    return { wallMs, status: result.status, stacks: stacksIn(outdir).length };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function main(): void {
  const runs = parseRuns(process.env.BENCH_RUNS);
  const loadBefore = loadavg()[0];
  const results: RunResult[] = [];
  for (let run = 1; run <= runs; run++) results.push(coldSynth(run));

  console.log('run  wall ms  cpu ms  peak RSS MiB  stacks');
  for (const result of results) {
    console.log(`${String(result.run).padStart(3)}  ${String(result.wallMs).padStart(7)}  ${String(result.cpuMs).padStart(6)}  ${result.peakRssMiB.toFixed(1).padStart(12)}  ${result.stacks.length}`);
  }
  const summary = {
    medianWallMs: median(results.map((result) => result.wallMs)),
    maxWallMs: Math.max(...results.map((result) => result.wallMs)),
    medianCpuMs: median(results.map((result) => result.cpuMs)),
    maxPeakRssMiB: Math.max(...results.map((result) => result.peakRssMiB)),
  };
  const withinTarget = summary.medianWallMs <= TARGET.wallMs && summary.maxPeakRssMiB <= TARGET.peakRssMiB;
  console.log(`median wall ${summary.medianWallMs} ms (max ${summary.maxWallMs}), median CPU ${summary.medianCpuMs} ms, peak RSS ${summary.maxPeakRssMiB} MiB; ` +
    `target <= ${TARGET.wallMs} ms and <= ${TARGET.peakRssMiB} MiB: ${withinTarget ? 'met' : 'NOT met'}`);
  console.log(`stacks: ${results[0].stacks.join(', ')}`);

  const floor = Array.from({ length: Math.min(runs, 3) }, (_, index) => coldSynth(index + 1, 'floor'));
  const floorSummary = { medianWallMs: median(floor.map((result) => result.wallMs)), medianCpuMs: median(floor.map((result) => result.cpuMs)), maxPeakRssMiB: Math.max(...floor.map((result) => result.peakRssMiB)) };
  console.log(`floor (node --import tsx, require('cdktf') only): median wall ${floorSummary.medianWallMs} ms, CPU ${floorSummary.medianCpuMs} ms, peak RSS ${floorSummary.maxPeakRssMiB} MiB`);

  const cli = cliSynth();
  if (cli) console.log(`cdktf synth (CLI, for reference): ${cli.wallMs} ms, exit ${cli.status}, ${cli.stacks} stacks`);

  const loadAfter = loadavg()[0];
  mkdirSync(join(REPO_ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(RESULTS_FILE, `${JSON.stringify({
    measuredAt: new Date().toISOString(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, node: process.version, loadAverage1m: { before: loadBefore, after: loadAfter } },
    command: 'node --import tsx main.ts (fresh process per run, CDKTF_OUTDIR in a temp dir)',
    target: TARGET,
    withinTarget,
    summary,
    floor: floorSummary,
    runs: results.map(({ stacks, ...rest }) => ({ ...rest, stackCount: stacks.length })),
    stacks: results[0].stacks,
    cdktfCli: cli ?? null,
  }, null, 2)}\n`);
  console.log(`results written to ${RESULTS_FILE}`);
}

main();
