// `npm test`: type-check, import rules, then ONE node:test run over test/unit and test/integration with a real local Kafka
// cluster started once before and always stopped after (also on failure or Ctrl-C). Exits with the runner's code.
//   npm test                          everything
//   npm test -- --unit-only           type-check + unit tests, no cluster
//   npm test -- FILE.test.ts ...      only these files (the cluster starts if any is under test/integration)
//   npm test -- --skip-typecheck ...  while iterating on tests; says so loudly (CI never passes it)
// The test cluster binds 127.0.<AIRLINE_TEST_SUBNET, default 1>.0/24, so a `npm run local:up` cluster
// (127.0.0.0/24) can keep running meanwhile.
import { readdirSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startLocalCluster, stopLocalCluster, type LocalCluster } from '../local/cluster';
import { createLogger } from '../contracts/logging';
import { runInherited, SignalForwarder } from './harness/process';

const ROOT = path.resolve(__dirname, '..');
/** Everything the import rules look at: the project's own TypeScript. */
const CHECKED_PATHS = ['main.ts', 'contracts', 'config', 'stacks', 'constructs', 'services', 'local', 'demo', 'bench', 'test', 'tools'];
const log = createLogger('test-run');

function testFiles(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir))
    .filter((name) => name.endsWith('.test.ts'))
    .sort()
    .map((name) => path.join(dir, name));
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv, onSpawn?: (pid: number) => void): Promise<number> {
  return runInherited(command, args, { cwd: ROOT, env, log, onSpawn });
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const unitOnly = args.includes('--unit-only');
  const skipTypecheck = args.includes('--skip-typecheck');
  const unknown = args.filter((a) => a.startsWith('--') && a !== '--unit-only' && a !== '--skip-typecheck');
  if (unknown.length > 0) {
    process.stderr.write(`unknown option(s): ${unknown.join(' ')}\nusage: tsx test/run.ts [--unit-only] [--skip-typecheck] [FILE.test.ts ...]\n`);
    return 2;
  }
  const chosen = args.filter((a) => !a.startsWith('--')).map((a) => path.relative(ROOT, path.resolve(a)));
  const files = chosen.length > 0 ? chosen : [...testFiles('test/unit'), ...(unitOnly ? [] : testFiles('test/integration'))];
  const needsCluster = !unitOnly && files.some((f) => f.startsWith(`test${path.sep}integration${path.sep}`));
  if (unitOnly && chosen.some((f) => f.startsWith(`test${path.sep}integration`))) {
    process.stderr.write('--unit-only cannot run integration test files\n');
    return 2;
  }

  const started = Date.now();
  if (skipTypecheck) {
    process.stderr.write('== type-check SKIPPED (--skip-typecheck): this run does not prove the code type-checks\n');
  } else {
    process.stderr.write('== type-check (tsc --noEmit -p .)\n');
    const tscCode = await run(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', '.'], process.env);
    if (tscCode !== 0) {
      process.stderr.write(`type-check failed (exit ${tscCode}); no tests were run\n`);
      return tscCode;
    }
    log.info({ ms: Date.now() - started }, 'type-check passed');
  }

  // The import rules between layers (.dependency-cruiser.cjs): a forbidden import fails the run like a type error.
  process.stderr.write('== import rules (dependency-cruiser, .dependency-cruiser.cjs)\n');
  const rulesCode = await run(
    process.execPath,
    [path.join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs'), '--config', '.dependency-cruiser.cjs', '--output-type', 'err', ...CHECKED_PATHS],
    process.env,
  );
  if (rulesCode !== 0) {
    process.stderr.write(`import rules violated (exit ${rulesCode}); no tests were run\n`);
    return rulesCode;
  }

  let cluster: LocalCluster | undefined;
  const signals = new SignalForwarder(log, 'tests and the cluster');
  const subnet = Number(process.env.AIRLINE_TEST_SUBNET ?? 1);
  const statePath = path.join(os.tmpdir(), 'airline-streaming', `test-cluster-127.0.${subnet}.json`);

  try {
    const env: NodeJS.ProcessEnv = { ...process.env };
    if (needsCluster) {
      // A cluster left by an earlier, killed run of this runner is ours to remove.
      if (await stopLocalCluster(statePath, log)) log.warn({ statePath }, 'stopped a leftover test cluster');
      const clusterStarted = Date.now();
      cluster = await startLocalCluster({ subnet, statePath, logger: log });
      log.info({ bootstrap: cluster.bootstrap, ms: Date.now() - clusterStarted }, 'test cluster up');
      env.KAFKA_BOOTSTRAP = cluster.bootstrap;
      env.KAFKA_CLUSTER_STATE = cluster.statePath;
    }
    if (signals.interrupted) return 130;
    process.stderr.write(`== node --test over ${files.length} file(s)${needsCluster ? ` with the cluster at ${env.KAFKA_BOOTSTRAP}` : ''}\n`);
    const code = await run(
      process.execPath,
      ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-timeout=600000', ...files],
      env,
      (pid) => signals.track(pid),
    );
    log.info({ code, ms: Date.now() - started }, 'test run finished');
    return signals.interrupted ? 130 : code;
  } finally {
    if (cluster) await cluster.stop().catch((error: unknown) => log.error({ err: error }, 'stopping the cluster failed'));
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    log.error({ err: error }, 'test runner failed');
    process.exit(1);
  },
);
