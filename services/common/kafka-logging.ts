import { logLevel, type logCreator } from 'kafkajs';
import type { Logger } from '../../contracts/logging';

/** Routes kafkajs' own log lines into the service's pino logger, keeping one JSON log stream. */
export function kafkaLogCreator(logger: Logger): logCreator {
  return () =>
    ({ namespace, level, log }) => {
      const { message, timestamp: _timestamp, ...extra } = log;
      const bindings = { kafkajs: namespace, ...extra };
      // Connection-level errors (e.g. "group is rebalancing" answers) are handled and logged again above it.
      if (level === logLevel.ERROR && namespace === 'Connection') logger.warn(bindings, message);
      else if (level === logLevel.ERROR) logger.error(bindings, message);
      else if (level === logLevel.WARN) logger.warn(bindings, message);
      else if (level === logLevel.INFO) logger.info(bindings, message);
      else logger.debug(bindings, message);
    };
}

/** kafkajs is chatty at INFO (every rebalance step); WARN unless KAFKAJS_LOG_LEVEL asks for more. */
export function kafkaLogLevel(name: string | undefined): logLevel {
  switch ((name ?? 'warn').toLowerCase()) {
    case 'nothing':
      return logLevel.NOTHING;
    case 'error':
      return logLevel.ERROR;
    case 'info':
      return logLevel.INFO;
    case 'debug':
      return logLevel.DEBUG;
    default:
      return logLevel.WARN;
  }
}
