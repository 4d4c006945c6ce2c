// Runs prediction service instances as child processes (`node --import tsx services/predictor/main.ts`), the way
// the demo, the benchmark and the integration tests need them: spawn, wait ready, probe, kill -9, stop.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

export const REPO_ROOT = resolve(__dirname, '..');
const SERVICE_ENTRY = join(REPO_ROOT, 'services', 'predictor', 'main.ts');

export interface InstanceOptions {
  instanceId: string;
  /** Service environment (KAFKA_BOOTSTRAP, topics, GROUP_ID, DELIVERY_MODE, ...); HTTP on 127.0.0.1, a free port. */
  env: Record<string, string>;
  /** The child's JSON log lines are written to `<logDir>/predictor-<instanceId>.log`. */
  logDir: string;
  /** How long to wait for the HTTP server to come up. */
  startTimeoutMs?: number;
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class ServiceInstance {
  readonly exited: Promise<ExitStatus>;
  private exitStatus: ExitStatus | undefined;

  private constructor(
    readonly instanceId: string,
    readonly child: ChildProcess,
    readonly port: number,
    readonly logFile: string,
    exited: Promise<ExitStatus>,
  ) {
    this.exited = exited;
    void exited.then((status) => (this.exitStatus = status));
  }

  static async spawn(options: InstanceOptions): Promise<ServiceInstance> {
    const logFile = join(options.logDir, `predictor-${options.instanceId}.log`);
    const log: WriteStream = createWriteStream(logFile, { flags: 'a' });
    const child = spawn(process.execPath, ['--import', 'tsx', SERVICE_ENTRY], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        HTTP_HOST: '127.0.0.1',
        HTTP_PORT: '0',
        ...options.env,
        INSTANCE_ID: options.instanceId,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const exited = new Promise<ExitStatus>((resolveExit) =>
      child.once('exit', (code, signal) => {
        log.end();
        resolveExit({ code, signal });
      }),
    );
    const port = await new Promise<number>((resolvePort, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`instance ${options.instanceId}: no HTTP server after ${options.startTimeoutMs ?? 60000} ms (log ${logFile})`));
      }, options.startTimeoutMs ?? 60000);
      const lines = createInterface({ input: child.stderr! });
      lines.on('line', (line) => {
        log.write(`${line}\n`);
        if (!line.includes('http server listening')) return;
        try {
          const entry = JSON.parse(line) as { port?: number };
          if (typeof entry.port === 'number') {
            clearTimeout(timer);
            resolvePort(entry.port);
          }
        } catch {
          // not a JSON log line
        }
      });
      void exited.then((status) => {
        clearTimeout(timer);
        reject(new Error(`instance ${options.instanceId} exited (${status.code ?? status.signal}) before serving HTTP; log ${logFile}`));
      });
    });
    return new ServiceInstance(options.instanceId, child, port, logFile, exited);
  }

  get running(): boolean {
    return this.exitStatus === undefined;
  }

  /** HTTP status of a probe path, or 0 when the instance does not answer. */
  async probe(path: '/healthz' | '/readyz'): Promise<number> {
    try {
      const response = await fetch(`http://127.0.0.1:${this.port}${path}`, { signal: AbortSignal.timeout(2000) });
      await response.arrayBuffer();
      return response.status;
    } catch {
      return 0;
    }
  }

  async metrics(): Promise<string> {
    const response = await fetch(`http://127.0.0.1:${this.port}/metrics`, { signal: AbortSignal.timeout(2000) });
    return response.text();
  }

  async waitReady(timeoutMs = 60000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`instance ${this.instanceId} exited while starting; log ${this.logFile}`);
      if ((await this.probe('/readyz')) === 200) return;
      await sleep(250);
    }
    throw new Error(`instance ${this.instanceId} not ready after ${timeoutMs} ms; log ${this.logFile}`);
  }

  /** kill -9: no LeaveGroup, no flush; the group notices only when the session times out. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGSTOP: the process freezes mid-whatever (a zombie: the group moves on without it); `resume` wakes it. */
  pause(): void {
    if (this.running) this.child.kill('SIGSTOP');
  }

  resume(): void {
    if (this.running) this.child.kill('SIGCONT');
  }

  /** The partitions the instance reports on /readyz (empty when it is not ready). */
  async partitions(): Promise<number[]> {
    try {
      const response = await fetch(`http://127.0.0.1:${this.port}/readyz`, { signal: AbortSignal.timeout(2000) });
      if (response.status !== 200) return [];
      const { detail } = (await response.json()) as { detail: string };
      return (/\[([\d,]*)\]/.exec(detail)?.[1] ?? '').split(',').filter(Boolean).map(Number);
    } catch {
      return [];
    }
  }

  /** SIGTERM (clean shutdown, LeaveGroup); SIGKILL if it has not exited after `timeoutMs`. */
  async stop(timeoutMs = 20000): Promise<ExitStatus> {
    if (this.running) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
      await this.exited;
      clearTimeout(timer);
    }
    return this.exited;
  }
}

/** Reads one counter/gauge value (summed over label sets) from Prometheus text output. */
export function metricValue(metricsText: string, name: string): number {
  let total = 0;
  for (const line of metricsText.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)/.exec(line);
    if (match && match[1] === name) total += Number(match[3]);
  }
  return total;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolveSleep) => setTimeout(resolveSleep, ms));
}
