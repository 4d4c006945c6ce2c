// The log format every program of the project shares (services, the local cluster, the in-cluster runtime
// programs): JSON lines on stderr through pino, level from LOG_LEVEL.
import pino, { type Logger } from 'pino';

export type { Logger };

/** A JSON logger on stderr (stdout stays free for command output). Level from LOG_LEVEL, default info. */
export function createLogger(name: string, bindings: Record<string, unknown> = {}): Logger {
  return pino(
    { name, level: process.env.LOG_LEVEL ?? 'info', base: { pid: process.pid, ...bindings } },
    pino.destination(2),
  );
}
