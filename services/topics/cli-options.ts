// Command-line flags and environment variables of the topics CLI, validated before anything connects.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { TopicSpecError } from './errors';
import { PROVISION_DEFAULTS } from './provisioner';
import { parseTopicSpec, parseTopicSpecJson, type DesiredTopic } from './spec';

export const USAGE = `usage: npm run topics -- --bootstrap HOST:PORT[,HOST:PORT] [--spec FILE.json | --env NAME]
                      [--expect-brokers N] [--timeout-ms MS] [--dry-run]
Environment (flags win): KAFKA_BOOTSTRAP, TOPICS_SPEC (JSON), EXPECTED_BROKERS, TIMEOUT_MS;
SASL_SSL (all or none): KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD_FILE, KAFKA_TLS_CA_FILE.
Spec source: --spec file, else --env (config/environments.ts), else TOPICS_SPEC, else the 'local' environment.
Exit codes: 0 ok, 1 unexpected error, 2 invalid spec or options, 3 brokers not ready (timeout), 4 drift refused.`;

/** The environment variables the in-cluster Job sets. */
export const topicsEnvSchema = z.object({
  KAFKA_BOOTSTRAP: z
    .string()
    .regex(/^[^\s,:]+:\d+(,[^\s,:]+:\d+)*$/, 'must be HOST:PORT[,HOST:PORT...]')
    .optional(),
  TOPICS_SPEC: z.string().min(1, 'must not be empty').optional(),
  EXPECTED_BROKERS: z.coerce.number().int('must be an integer').min(1, 'must be at least 1').optional(),
  TIMEOUT_MS: z.coerce.number().int('must be an integer').min(1000, 'must be at least 1000').optional(),
});

/** The topics of a named environment of the project's config; only the developer CLI (local/topics-cli.ts) has it. */
export type EnvironmentTopics = (environmentName: string) => unknown;

export interface TopicsCliOptions {
  bootstrap: string;
  topics: DesiredTopic[];
  specSource: string;
  expectedBrokers: number;
  timeoutMs: number;
  dryRun: boolean;
  help: boolean;
}

function emptyToUndefined(env: NodeJS.ProcessEnv, key: string): string | undefined {
  const value = env[key];
  return value === undefined || value.trim() === '' ? undefined : value;
}

/**
 * Throws TopicSpecError (exit 2) with every problem found in flags and environment. `environmentTopics` serves --env
 * and the default spec; the in-cluster Job runs without it (its spec comes in TOPICS_SPEC).
 */
export function parseTopicsCli(argv: string[], env: NodeJS.ProcessEnv, environmentTopics?: EnvironmentTopics): TopicsCliOptions {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        bootstrap: { type: 'string' },
        spec: { type: 'string' },
        env: { type: 'string' },
        'expect-brokers': { type: 'string' },
        'timeout-ms': { type: 'string' },
        'dry-run': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new TopicSpecError(`${(error as Error).message}\n${USAGE}`);
  }
  if (values.help) {
    return { bootstrap: '', topics: [], specSource: '', expectedBrokers: 0, timeoutMs: 0, dryRun: false, help: true };
  }
  const merged = {
    KAFKA_BOOTSTRAP: (values.bootstrap as string | undefined) ?? emptyToUndefined(env, 'KAFKA_BOOTSTRAP'),
    TOPICS_SPEC: emptyToUndefined(env, 'TOPICS_SPEC'),
    EXPECTED_BROKERS: (values['expect-brokers'] as string | undefined) ?? emptyToUndefined(env, 'EXPECTED_BROKERS'),
    TIMEOUT_MS: (values['timeout-ms'] as string | undefined) ?? emptyToUndefined(env, 'TIMEOUT_MS'),
  };
  const parsed = topicsEnvSchema.safeParse(merged);
  const issues = parsed.success
    ? []
    : parsed.error.issues.map((issue) => `${issue.path.join('.')} (or its flag): ${issue.message}`);
  if (!merged.KAFKA_BOOTSTRAP) issues.push('KAFKA_BOOTSTRAP or --bootstrap is required');
  if (values.spec !== undefined && values.env !== undefined) issues.push('give either --spec or --env, not both');
  if (issues.length > 0 || !parsed.success) throw new TopicSpecError(`invalid options\n${USAGE}`, issues);

  const { topics, specSource } = loadSpec(values.spec as string | undefined, values.env as string | undefined, parsed.data.TOPICS_SPEC, environmentTopics);
  return {
    bootstrap: parsed.data.KAFKA_BOOTSTRAP!,
    topics,
    specSource,
    expectedBrokers: parsed.data.EXPECTED_BROKERS ?? PROVISION_DEFAULTS.expectedBrokers,
    timeoutMs: parsed.data.TIMEOUT_MS ?? PROVISION_DEFAULTS.timeoutMs,
    dryRun: values['dry-run'] === true,
    help: false,
  };
}

function loadSpec(
  specFile: string | undefined,
  environment: string | undefined,
  specJson: string | undefined,
  environmentTopics: EnvironmentTopics | undefined,
): { topics: DesiredTopic[]; specSource: string } {
  if (specFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(specFile, 'utf8');
    } catch (error) {
      throw new TopicSpecError(`cannot read spec file ${specFile}: ${(error as Error).message}`);
    }
    return { topics: parseTopicSpecJson(text, specFile), specSource: specFile };
  }
  if (environment === undefined && specJson !== undefined) {
    return { topics: parseTopicSpecJson(specJson, 'TOPICS_SPEC'), specSource: 'TOPICS_SPEC' };
  }
  const name = environment ?? 'local';
  if (!environmentTopics) {
    throw new TopicSpecError(`no spec given and no config environments in this build (environment "${name}"): give --spec FILE or TOPICS_SPEC`);
  }
  let topics: unknown;
  try {
    topics = environmentTopics(name);
  } catch (error) {
    throw new TopicSpecError(`cannot load environment "${name}": ${(error as Error).message}`);
  }
  return { topics: parseTopicSpec(topics), specSource: `config environment "${name}"` };
}
