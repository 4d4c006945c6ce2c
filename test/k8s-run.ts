// `npm run test:k8s`: the Kubernetes tests (test/k8s/*.test.ts) on the local cluster of tools/k8s. Brings the
// cluster up first (building what is missing; a warm run only checks), runs the tests, and takes the cluster down
// again if this run brought it up (--keep leaves it running), then checks that the host is as it was before
// (tools/k8s/host-snapshot.sh before k8s:up and after k8s:down). Exits non-zero if the tests failed or the cluster
// left something behind.
//   npm run test:k8s                     everything in test/k8s
//   npm run test:k8s -- FILE.test.ts     only these files
import { execFileSync, spawn } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createLogger } from '../contracts/logging';
import { runInherited, SignalForwarder } from './harness/process';

const ROOT = path.resolve(__dirname, '..');
const log = createLogger('test-k8s');

function run(command: string, args: string[], onSpawn?: (pid: number) => void): Promise<number> {
  return runInherited(command, args, { cwd: ROOT, log, onSpawn });
}

function hostSnapshot(): string {
  return execFileSync('bash', [path.join(ROOT, 'tools/k8s/host-snapshot.sh')], { encoding: 'utf8' });
}

/** The lines of `after` that differ from `before`, marked - (gone) and + (new). */
function snapshotDifference(before: string, after: string): string[] {
  const count = (text: string) => text.split('\n').reduce((m, line) => m.set(line, (m.get(line) ?? 0) + 1), new Map<string, number>());
  const [b, a] = [count(before), count(after)];
  const lines: string[] = [];
  for (const [line, n] of b) if ((a.get(line) ?? 0) < n) lines.push(`- ${line}`);
  for (const [line, n] of a) if ((b.get(line) ?? 0) < n) lines.push(`+ ${line}`);
  return lines;
}

function clusterIsUp(): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn('ip', ['netns', 'list'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.on('exit', () => resolve(/^airline-k8s-cp\b/m.test(out)));
    child.on('error', () => resolve(false));
  });
}

/** Per test file: 25 min, plus 8 min per fault round beyond the first (K8S_FAULT_ROUNDS, see test/k8s/streaming-faults.ts). */
function fileTimeoutMs(): number {
  const rounds = Math.max(1, Number(process.env.K8S_FAULT_ROUNDS ?? '1') || 1);
  // streaming-local, secured, one round of each fault (incl. a rotation): about 17 min on this machine.
  return (25 + 8 * (rounds - 1)) * 60_000;
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const keep = args.includes('--keep');
  const unknown = args.filter((a) => a.startsWith('--') && a !== '--keep');
  if (unknown.length > 0) {
    process.stderr.write(`unknown option(s): ${unknown.join(' ')}\nusage: tsx test/k8s-run.ts [--keep] [FILE.test.ts ...]\n`);
    return 2;
  }
  const chosen = args.filter((a) => !a.startsWith('--')).map((a) => path.relative(ROOT, path.resolve(a)));
  const files =
    chosen.length > 0
      ? chosen
      : readdirSync(path.join(ROOT, 'test/k8s'))
          .filter((name) => name.endsWith('.test.ts'))
          .sort()
          .map((name) => path.join('test/k8s', name));

  const wasUp = await clusterIsUp();
  const before = wasUp ? undefined : hostSnapshot();
  const started = Date.now();
  process.stderr.write(`== k8s:up (${wasUp ? 'a cluster is running: reusing it' : 'building what is missing, then starting the cluster'})\n`);
  const upCode = await run('bash', [path.join(ROOT, 'tools/k8s/up.sh')]);
  if (upCode !== 0) {
    process.stderr.write(`k8s:up failed (exit ${upCode}); no Kubernetes tests were run\n`);
    if (!wasUp && !keep) await run('bash', [path.join(ROOT, 'tools/k8s/down.sh')]);
    return upCode;
  }
  log.info({ ms: Date.now() - started }, 'cluster up');

  let code = 1;
  const signals = new SignalForwarder(log, 'the Kubernetes tests');
  try {
    process.stderr.write(`== node --test over ${files.length} file(s) on the local Kubernetes\n`);
    code = await run(
      process.execPath,
      ['--import', 'tsx', '--test', '--test-concurrency=1', `--test-timeout=${fileTimeoutMs()}`, ...files],
      (pid) => signals.track(pid),
    );
    log.info({ code, ms: Date.now() - started }, 'Kubernetes tests finished');
  } finally {
    if (!wasUp && !keep) {
      process.stderr.write('== k8s:down (this run brought the cluster up), then the host compared with before k8s:up\n');
      const downCode = await run('bash', [path.join(ROOT, 'tools/k8s/down.sh')]);
      if (downCode !== 0) log.error({ downCode }, 'k8s:down failed');
      const after = hostSnapshot();
      const snapshots = path.join(os.tmpdir(), 'airline-k8s-host');
      writeFileSync(`${snapshots}-before-up.txt`, before ?? '');
      writeFileSync(`${snapshots}-after-down.txt`, after);
      const difference = snapshotDifference(before ?? '', after);
      if (difference.length > 0 || downCode !== 0) {
        process.stderr.write(`k8s:down left the host different from before k8s:up:\n${difference.join('\n')}\n`);
        code = code === 0 ? 1 : code;
      } else {
        process.stderr.write(`host unchanged after k8s:down (snapshots: ${snapshots}-before-up.txt, ${snapshots}-after-down.txt)\n`);
      }
    }
  }
  return signals.interrupted ? 130 : code;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    log.error({ err: error }, 'Kubernetes test runner failed');
    process.exit(1);
  },
);
