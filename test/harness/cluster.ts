// Access to the local cluster that test/run.ts started for integration tests.
import { logLevel, type Admin, type Kafka } from 'kafkajs';
import { CLUSTER_STATE_ENV, attachLocalCluster, type LocalCluster } from '../../local/cluster';
import type { LocalPrincipalRole } from '../../local/cluster-security';
import { createKafkaClient } from '../../services/common/kafka-client';
import { createLogger, type Logger } from '../../contracts/logging';

/** The bootstrap address test/run.ts passes; fails with a clear message when a test is run on its own. */
export function testBootstrap(): string {
  const bootstrap = process.env.KAFKA_BOOTSTRAP;
  if (!bootstrap) {
    throw new Error('KAFKA_BOOTSTRAP is not set: run integration tests through `npm test` (test/run.ts starts the cluster)');
  }
  return bootstrap;
}

/** A handle on the test cluster (kill/start brokers). */
export function testCluster(): LocalCluster {
  const statePath = process.env[CLUSTER_STATE_ENV];
  if (!statePath) throw new Error(`${CLUSTER_STATE_ENV} is not set: run integration tests through \`npm test\``);
  return attachLocalCluster(statePath);
}

/** A topic/group name unique to this test run, so tests never see each other's data. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`;
}

/**
 * A client of the test cluster as `role`: by default the local operator, which may touch topics and groups of any
 * name (tests use their own), without being a super user.
 */
export function kafkaClient(clientId: string, bootstrap = testBootstrap(), role: LocalPrincipalRole = 'localOperator'): Kafka {
  return createKafkaClient({
    security: testCluster().clientSecurity(role),
    clientId,
    brokers: [bootstrap],
    logLevel: logLevel.NOTHING,
    retry: { retries: 8, initialRetryTime: 200 },
  });
}

/** Runs `use` with a connected admin client and always disconnects it. */
export async function withAdmin<T>(use: (admin: Admin) => Promise<T>, bootstrap = testBootstrap()): Promise<T> {
  const admin = kafkaClient('test-admin', bootstrap).admin();
  await admin.connect();
  try {
    return await use(admin);
  } finally {
    await admin.disconnect();
  }
}

/** A logger for library calls inside tests: warnings and errors only, so the test report stays readable. */
export function quietLogger(name: string): Logger {
  const logger = createLogger(name);
  logger.level = 'warn';
  return logger;
}
