// The prediction service's environment variables: the one schema the service parses (services/predictor/config.ts)
// and the PredictionService construct writes the container env from (predictorContainerEnv). A new variable is a
// new entry here.
import { hostname } from 'node:os';
import { z } from 'zod';
import { KAFKA_SECURITY_VARIABLES } from './kafka-security';
import { PREDICTOR_GROUP_ID, TOPIC_NAME_PATTERN, TOPIC_NAMES, TOPIC_ROLES, TOPIC_ROLE_VARIABLES, type TopicRole, type TopicsByRole } from './topics';

export const DELIVERY_MODES = ['at-least-once', 'exactly-once'] as const;
export type DeliveryMode = (typeof DELIVERY_MODES)[number];

/** Port of /healthz, /readyz and /metrics. */
export const PREDICTOR_HTTP_PORT = 8080;
// Kafka's group.min.session.timeout.ms defaults to 6000: the fastest failover the broker allows.
export const PREDICTOR_SESSION_TIMEOUT_MS = 6000;
export const PREDICTOR_HEARTBEAT_INTERVAL_MS = 1000;

const topicName = z
  .string()
  .regex(TOPIC_NAME_PATTERN, 'must be 1-249 characters of letters, digits, ".", "_" or "-"');

const hostPort = z.string().regex(/^[a-zA-Z0-9.-]+:\d{1,5}$/, 'must be host:port');

const positiveMs = (min: number, fallback: number) => z.coerce.number().int().min(min).default(fallback);

type TopicVariable = (typeof TOPIC_ROLE_VARIABLES)[TopicRole];

/** One variable per topic role, defaulting to the role's topic. */
const topicVariablesShape = Object.fromEntries(
  TOPIC_ROLES.map((role) => [TOPIC_ROLE_VARIABLES[role], topicName.default(TOPIC_NAMES[role])]),
) as Record<TopicVariable, z.ZodDefault<typeof topicName>>;

const predictorEnvShape = {
  KAFKA_BOOTSTRAP: z
    .string({ required_error: 'is required (comma-separated host:port list, e.g. 127.0.0.10:9092)' })
    .transform((value) => value.split(',').map((entry) => entry.trim()).filter(Boolean))
    .pipe(z.array(hostPort).min(1, 'needs at least one host:port')),
  ...topicVariablesShape,
  GROUP_ID: z.string().min(1).max(255).default(PREDICTOR_GROUP_ID),
  DELIVERY_MODE: z.enum(DELIVERY_MODES).default('at-least-once'),
  HTTP_HOST: z.string().min(1).default('0.0.0.0'),
  HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(PREDICTOR_HTTP_PORT),
  MODEL_PATH: z.string().min(1).optional(),
  INSTANCE_ID: z
    .string()
    .regex(/^[a-zA-Z0-9._-]{1,100}$/, 'must be 1-100 characters of letters, digits, ".", "_" or "-"')
    .default(hostname()),
  SESSION_TIMEOUT_MS: positiveMs(1000, PREDICTOR_SESSION_TIMEOUT_MS),
  HEARTBEAT_INTERVAL_MS: positiveMs(100, PREDICTOR_HEARTBEAT_INTERVAL_MS),
  // A transaction left open by a killed instance blocks read_committed readers until it times out.
  TRANSACTION_TIMEOUT_MS: positiveMs(1000, 10000),
  SHUTDOWN_TIMEOUT_MS: positiveMs(1000, 15000),
  /** A consumer whose fetch loop shows no activity this long is replaced. */
  CONSUMER_STALL_MS: positiveMs(2000, 15000),
  /** Exactly-once: transactional.id `<prefix>-<INPUT_TOPIC>-<partition>`, one per input partition; default GROUP_ID. */
  TRANSACTIONAL_ID_PREFIX: z.string().min(1).optional(),
  KAFKAJS_LOG_LEVEL: z.enum(['nothing', 'error', 'warn', 'info', 'debug']).default('warn'),
  // SASL_SSL (contracts/kafka-security.ts): all three or none; none is plaintext (the Kubernetes stack is not secured
  // yet). The password comes from a file so it never shows on a command line or in the environment dump of a log.
  [KAFKA_SECURITY_VARIABLES.username]: z.string().min(1).optional(),
  [KAFKA_SECURITY_VARIABLES.passwordFile]: z.string().min(1).optional(),
  [KAFKA_SECURITY_VARIABLES.caFile]: z.string().min(1).optional(),
};

const SECURITY_VARIABLE_NAMES = Object.values(KAFKA_SECURITY_VARIABLES);

/** Environment variables of the prediction service, with defaults. */
export const predictorEnvSchema = z.object(predictorEnvShape).superRefine((env, ctx) => {
  if (env.HEARTBEAT_INTERVAL_MS * 3 > env.SESSION_TIMEOUT_MS) {
    ctx.addIssue({
      code: z.ZodIssueCode.custom,
      path: ['HEARTBEAT_INTERVAL_MS'],
      message: `must be at most a third of SESSION_TIMEOUT_MS (${env.SESSION_TIMEOUT_MS})`,
    });
  }
  const securitySet = SECURITY_VARIABLE_NAMES.filter((variable) => env[variable] !== undefined);
  const securityMissing = SECURITY_VARIABLE_NAMES.filter((variable) => env[variable] === undefined);
  if (securitySet.length > 0 && securityMissing.length > 0) {
    for (const variable of securityMissing) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: [variable],
        message: `is required when ${securitySet.join(', ')} is set (set all of ${SECURITY_VARIABLE_NAMES.join(', ')} or none)`,
      });
    }
  }
  const variables = TOPIC_ROLES.map((role) => TOPIC_ROLE_VARIABLES[role]);
  const repeated = variables.find((variable, index) => variables.slice(0, index).some((earlier) => env[earlier] === env[variable]));
  if (repeated !== undefined) {
    ctx.addIssue({
      code: z.ZodIssueCode.custom,
      path: [repeated],
      message: `${variables.join(', ')} must be ${variables.length} different topics`,
    });
  }
});

export type PredictorEnv = z.infer<typeof predictorEnvSchema>;
export type PredictorEnvName = keyof typeof predictorEnvShape;

/** Values the container sets, as text; names the schema does not know do not type-check. */
export type PredictorEnvValues = Partial<Record<PredictorEnvName, string | number>>;

/** Container env entries for the given values, in the schema's order. */
export function predictorContainerEnv(values: PredictorEnvValues): Array<{ name: PredictorEnvName; value: string }> {
  return (Object.keys(predictorEnvShape) as PredictorEnvName[])
    .filter((name) => values[name] !== undefined)
    .map((name) => ({ name, value: String(values[name]) }));
}

/** The variables that name the service's topics, one per role. */
export function topicVariables(topics: TopicsByRole): Record<TopicVariable, string> {
  return Object.fromEntries(TOPIC_ROLES.map((role) => [TOPIC_ROLE_VARIABLES[role], topics[role]])) as ReturnType<typeof topicVariables>;
}
