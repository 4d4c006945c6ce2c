import type { Logger } from '../../contracts/logging';

/**
 * Runs `shutdown` once on the first SIGTERM/SIGINT, then exits with its code. A second signal, or a shutdown
 * that outlives `timeoutMs`, exits at once so a stuck dependency cannot keep the process (or the pod) alive.
 */
export function exitOnSignals(
  shutdown: (signal: NodeJS.Signals) => Promise<number>,
  logger: Logger,
  timeoutMs: number,
): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting without a clean shutdown');
      process.exit(130);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error({ timeoutMs }, 'shutdown timed out');
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    shutdown(signal)
      .then((code) => process.exit(code))
      .catch((error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
