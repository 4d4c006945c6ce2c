import { hostname } from 'node:os';
import { z } from 'zod';

// Kafka topic names: legal characters and length as the broker enforces them.
const topicName = z
  .string()
  .regex(/^[a-zA-Z0-9._-]{1,249}$/, 'must be 1-249 characters of letters, digits, ".", "_" or "-"');

const hostPort = z.string().regex(/^[a-zA-Z0-9.-]+:\d{1,5}$/, 'must be host:port');

const positiveMs = (min: number, fallback: number) => z.coerce.number().int().min(min).default(fallback);

/** Environment variables of the prediction service, with defaults. */
export const serviceEnvSchema = z
  .object({
    KAFKA_BOOTSTRAP: z
      .string({ required_error: 'is required (comma-separated host:port list, e.g. 127.0.0.10:9092)' })
      .transform((value) => value.split(',').map((entry) => entry.trim()).filter(Boolean))
      .pipe(z.array(hostPort).min(1, 'needs at least one host:port')),
    INPUT_TOPIC: topicName.default('AirlineInputTopic'),
    OUTPUT_TOPIC: topicName.default('AirlineOutputTopic'),
    DEAD_LETTER_TOPIC: topicName.default('AirlineDeadLetterTopic'),
    GROUP_ID: z.string().min(1).max(255).default('airline-predictor'),
    DELIVERY_MODE: z.enum(['at-least-once', 'exactly-once']).default('at-least-once'),
    HTTP_HOST: z.string().min(1).default('0.0.0.0'),
    HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
    MODEL_PATH: z.string().min(1).optional(),
    INSTANCE_ID: z
      .string()
      .regex(/^[a-zA-Z0-9._-]{1,100}$/, 'must be 1-100 characters of letters, digits, ".", "_" or "-"')
      .default(hostname()),
    // Kafka's group.min.session.timeout.ms defaults to 6000: the fastest failover the broker allows.
    SESSION_TIMEOUT_MS: positiveMs(1000, 6000),
    HEARTBEAT_INTERVAL_MS: positiveMs(100, 1000),
    // A transaction left open by a killed instance blocks read_committed readers until it times out.
    TRANSACTION_TIMEOUT_MS: positiveMs(1000, 10000),
    SHUTDOWN_TIMEOUT_MS: positiveMs(1000, 15000),
    /** A consumer whose fetch loop shows no activity this long is replaced. */
    CONSUMER_STALL_MS: positiveMs(2000, 15000),
    /** Used in transactional.id `<prefix>-<INSTANCE_ID>`; default GROUP_ID. */
    TRANSACTIONAL_ID_PREFIX: z.string().min(1).optional(),
    KAFKAJS_LOG_LEVEL: z.enum(['nothing', 'error', 'warn', 'info', 'debug']).default('warn'),
  })
  .superRefine((env, ctx) => {
    if (env.HEARTBEAT_INTERVAL_MS * 3 > env.SESSION_TIMEOUT_MS) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['HEARTBEAT_INTERVAL_MS'],
        message: `must be at most a third of SESSION_TIMEOUT_MS (${env.SESSION_TIMEOUT_MS})`,
      });
    }
    const topics = [env.INPUT_TOPIC, env.OUTPUT_TOPIC, env.DEAD_LETTER_TOPIC];
    if (new Set(topics).size !== topics.length) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['OUTPUT_TOPIC'],
        message: 'INPUT_TOPIC, OUTPUT_TOPIC and DEAD_LETTER_TOPIC must be three different topics',
      });
    }
  });

export type ServiceEnv = z.infer<typeof serviceEnvSchema>;

export interface ServiceConfig {
  bootstrap: string[];
  inputTopic: string;
  outputTopic: string;
  deadLetterTopic: string;
  groupId: string;
  deliveryMode: 'at-least-once' | 'exactly-once';
  http: { host: string; port: number };
  modelPath?: string;
  instanceId: string;
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  transactionTimeoutMs: number;
  shutdownTimeoutMs: number;
  stallTimeoutMs: number;
  transactionalId: string;
  kafkaLogLevel: ServiceEnv['KAFKAJS_LOG_LEVEL'];
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid prediction service configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Validates the environment; throws ConfigError listing every bad variable with what it must be. */
export function loadServiceConfig(env: NodeJS.ProcessEnv = process.env): ServiceConfig {
  // Empty strings mean "not set", as they do in Kubernetes manifests and shell exports.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = serviceEnvSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const variable = issue.path.length > 0 ? String(issue.path[0]) : '(environment)';
        const entry = typeof issue.path[1] === 'number' ? `entry ${issue.path[1] + 1} ` : '';
        const given = present[variable];
        return `${variable}: ${entry}${issue.message}${given === undefined ? '' : ` (got ${JSON.stringify(given)})`}`;
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
    transactionalId: `${e.TRANSACTIONAL_ID_PREFIX ?? e.GROUP_ID}-${e.INSTANCE_ID}`,
    kafkaLogLevel: e.KAFKAJS_LOG_LEVEL,
  };
}
