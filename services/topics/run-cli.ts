// The topics CLI, run by services/topics/cli.ts (the in-cluster Job's entry, spec in TOPICS_SPEC) and by
// local/topics-cli.ts (`npm run topics`, with the config environments). Logs go to stderr as JSON; the summary goes
// to stdout. Exit codes: see USAGE.
import { ConfigError } from '../../contracts/config-error';
import { createLogger } from '../../contracts/logging';
import { loadScramSecurity, securitySettingsFromEnv, type KafkaSecurity } from '../common/kafka-client';
import { USAGE, parseTopicsCli, type EnvironmentTopics } from './cli-options';
import { EXIT_CODES, TopicProvisionError, TopicSpecError, exitCodeFor } from './errors';
import { formatSummary, provisionTopics } from './provisioner';

async function main(environmentTopics: EnvironmentTopics | undefined): Promise<number> {
  const log = createLogger('topics');
  try {
    const options = parseTopicsCli(process.argv.slice(2), process.env, environmentTopics);
    if (options.help) {
      process.stdout.write(`${USAGE}\n`);
      return EXIT_CODES.ok;
    }
    log.info(
      {
        bootstrap: options.bootstrap,
        specSource: options.specSource,
        topics: options.topics.map((t) => t.name),
        expectedBrokers: options.expectedBrokers,
        timeoutMs: options.timeoutMs,
        dryRun: options.dryRun,
      },
      'provisioning topics',
    );
    const result = await provisionTopics({ ...options, security: securityFromEnv(), logger: log });
    process.stdout.write(`${formatSummary(result)}\n`);
    return EXIT_CODES.ok;
  } catch (error) {
    const code = exitCodeFor(error);
    if (error instanceof TopicProvisionError) {
      log.error({ kind: error.name, issues: error.issues, exitCode: code }, error.message.split('\n')[0]);
    } else {
      log.error({ err: error, exitCode: code }, 'unexpected failure');
    }
    process.stderr.write(`topics: ${error instanceof Error ? error.message : String(error)}\n`);
    return code;
  }
}

/** SASL_SSL credentials from KAFKA_SASL_USERNAME / _PASSWORD_FILE / KAFKA_TLS_CA_FILE; a bad set is an invalid option. */
function securityFromEnv(): KafkaSecurity | undefined {
  try {
    const settings = securitySettingsFromEnv(process.env);
    return settings && loadScramSecurity(settings);
  } catch (error) {
    if (error instanceof ConfigError) throw new TopicSpecError('invalid options', [error.message]);
    throw error;
  }
}

/** Runs the CLI on this process's arguments and sets its exit code. */
export function runTopicsCli(environmentTopics?: EnvironmentTopics): void {
  main(environmentTopics).then(
    (code) => {
      process.exitCode = code;
    },
    () => {
      process.exitCode = EXIT_CODES.unexpected;
    },
  );
}
