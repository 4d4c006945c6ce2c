// The service's configuration from its environment variables (schema: contracts/predictor-env.ts).
import { ConfigError, type ConfigIssue } from '../../contracts/config-error';
import { KAFKA_SECURITY_VARIABLES, type KafkaSecuritySettings } from '../../contracts/kafka-security';
import { predictorEnvSchema, type DeliveryMode, type PredictorEnv } from '../../contracts/predictor-env';

export interface ServiceConfig {
  bootstrap: string[];
  inputTopic: string;
  outputTopic: string;
  deadLetterTopic: string;
  groupId: string;
  deliveryMode: DeliveryMode;
  http: { host: string; port: number };
  modelPath?: string;
  instanceId: string;
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  transactionTimeoutMs: number;
  shutdownTimeoutMs: number;
  stallTimeoutMs: number;
  /** Exactly-once: each input partition's producer has transactional.id `<prefix>-<input topic>-<partition>`. */
  transactionalIdPrefix: string;
  kafkaLogLevel: PredictorEnv['KAFKAJS_LOG_LEVEL'];
  /** SASL_SSL credentials (file paths); undefined: plaintext. */
  security?: KafkaSecuritySettings;
}

/** Validates the environment; throws ConfigError listing every bad variable with what it must be. */
export function loadServiceConfig(env: NodeJS.ProcessEnv = process.env): ServiceConfig {
  // Empty strings mean "not set", as they do in Kubernetes manifests and shell exports.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = predictorEnvSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue): ConfigIssue => {
        const variable = issue.path.length > 0 ? String(issue.path[0]) : '(environment)';
        const entry = typeof issue.path[1] === 'number' ? `entry ${issue.path[1] + 1} ` : '';
        const given = present[variable];
        return {
          environment: '',
          field: variable,
          problem: `${entry}${issue.message}${given === undefined ? '' : ` (got ${JSON.stringify(given)})`}`,
          fix: `set ${variable} in the service's environment as described in docs/service.md`,
        };
      }),
    );
  }
  const e = parsed.data;
  return {
    bootstrap: e.KAFKA_BOOTSTRAP,
    inputTopic: e.INPUT_TOPIC,
    outputTopic: e.OUTPUT_TOPIC,
    deadLetterTopic: e.DEAD_LETTER_TOPIC,
    groupId: e.GROUP_ID,
    deliveryMode: e.DELIVERY_MODE,
    http: { host: e.HTTP_HOST, port: e.HTTP_PORT },
    modelPath: e.MODEL_PATH,
    instanceId: e.INSTANCE_ID,
    sessionTimeoutMs: e.SESSION_TIMEOUT_MS,
    heartbeatIntervalMs: e.HEARTBEAT_INTERVAL_MS,
    transactionTimeoutMs: e.TRANSACTION_TIMEOUT_MS,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    stallTimeoutMs: e.CONSUMER_STALL_MS,
    transactionalIdPrefix: e.TRANSACTIONAL_ID_PREFIX ?? e.GROUP_ID,
    kafkaLogLevel: e.KAFKAJS_LOG_LEVEL,
    security: securitySettings(e),
  };
}

function securitySettings(e: PredictorEnv): KafkaSecuritySettings | undefined {
  const username = e[KAFKA_SECURITY_VARIABLES.username];
  const passwordFile = e[KAFKA_SECURITY_VARIABLES.passwordFile];
  const caFile = e[KAFKA_SECURITY_VARIABLES.caFile];
  // The schema refuses a partial set, so one present means all are.
  return username && passwordFile && caFile ? { username, passwordFile, caFile } : undefined;
}
