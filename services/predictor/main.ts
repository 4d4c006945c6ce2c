// Entry point of one prediction service instance (`npm run service`; bundled for Kubernetes by the construct).
import { createLogger } from '../../contracts/logging';
import { startProbeServer } from '../common/probe-server';
import { exitOnSignals } from '../common/shutdown';
import { ConfigError } from '../../contracts/config-error';
import { loadScramSecurity, type KafkaSecurity } from '../common/kafka-client';
import { loadServiceConfig, type ServiceConfig } from './config';
import { PredictorMetrics } from './metrics';
import { Scorer } from './scorer';
import { PredictorRuntime } from './predictor-runtime';

/** Exit codes: 0 clean stop, 1 runtime failure, 2 bad configuration, 3 model could not be loaded. */
const EXIT = { ok: 0, failure: 1, badConfig: 2, badModel: 3 } as const;

async function main(): Promise<number> {
  let config: ServiceConfig;
  let security: KafkaSecurity | undefined;
  try {
    config = loadServiceConfig();
    // Read the credential files now: a missing file is a configuration error, not a Kafka failure later.
    security = config.security && loadScramSecurity(config.security);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`invalid prediction service configuration:\n${error.message}\n`);
      return EXIT.badConfig;
    }
    throw error;
  }
  const logger = createLogger('predictor', { instance: config.instanceId, mode: config.deliveryMode });

  let scorer: Scorer;
  try {
    scorer = Scorer.load(config.modelPath);
  } catch (error) {
    logger.fatal({ err: error, modelPath: config.modelPath ?? '(default)' }, 'cannot load the model');
    return EXIT.badModel;
  }

  const metrics = new PredictorMetrics({ instance: config.instanceId, mode: config.deliveryMode });
  const service = new PredictorRuntime({
    config,
    security,
    scorer,
    logger,
    metrics,
    onFatal: () => {
      // kafkajs gave up: exit so the supervisor (Kubernetes, the demo) starts a fresh instance.
      void shutdown().then(() => process.exit(EXIT.failure));
    },
  });
  const probes = await startProbeServer({
    host: config.http.host,
    port: config.http.port,
    liveness: () => service.liveness(),
    readiness: () => service.readiness(),
    registry: metrics.registry,
    logger,
  });

  let stopped: Promise<void> | undefined;
  const shutdown = (): Promise<void> => {
    stopped ??= (async () => {
      await service.stop();
      await probes.close();
    })();
    return stopped;
  };
  exitOnSignals(async () => {
    await shutdown();
    return EXIT.ok;
  }, logger, config.shutdownTimeoutMs);

  try {
    await service.start();
  } catch (error) {
    logger.fatal({ err: error }, 'cannot start the service');
    await shutdown();
    return EXIT.failure;
  }
  return -1;
}

main().then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (error: unknown) => {
    process.stderr.write(`prediction service failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(EXIT.failure);
  },
);
