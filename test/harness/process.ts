// What the test runners (test/run.ts, test/k8s-run.ts) share: running a command with inherited output, and passing
// Ctrl-C / SIGTERM on to the test process so that the runner can still clean up after it.
import { spawn } from 'node:child_process';
import * as os from 'node:os';
import type { Logger } from '../../contracts/logging';

/** Runs a command with inherited stdio; resolves with its exit code (signals map to 128+n). */
export function runInherited(
  command: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; log: Logger; onSpawn?: (pid: number) => void },
): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: 'inherit' });
    if (child.pid !== undefined) options.onSpawn?.(child.pid);
    child.on('error', (error) => {
      options.log.error({ err: error, command }, 'could not start');
      resolve(1);
    });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 + (os.constants.signals[signal] ?? 0) : 1)));
  });
}

/** Forwards SIGINT and SIGTERM to the current test process; `interrupted` says whether one arrived. */
export class SignalForwarder {
  private pid: number | undefined;
  interrupted: NodeJS.Signals | undefined;

  constructor(private readonly log: Logger, private readonly what: string) {
    process.on('SIGINT', this.forward);
    process.on('SIGTERM', this.forward);
  }

  track(pid: number): void {
    this.pid = pid;
  }

  private readonly forward = (signal: NodeJS.Signals): void => {
    this.interrupted = signal;
    this.log.warn({ signal }, `interrupted; stopping ${this.what}`);
    if (this.pid === undefined) return;
    try {
      process.kill(this.pid, signal);
    } catch {
      // already gone
    }
  };
}
