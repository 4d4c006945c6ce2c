// Entry of `npm run topics` and of the in-cluster topics Job (bundled with esbuild; plain CommonJS-safe code).
// Logs go to stderr as JSON; the summary goes to stdout. Exit codes: see USAGE.
import { createLogger } from '../common/logger';
import { USAGE, parseTopicsCli } from './cli-options';
import { EXIT_CODES, TopicProvisionError, exitCodeFor } from './errors';
import { formatSummary, provisionTopics } from './provisioner';

async function main(): Promise<number> {
  const log = createLogger('topics');
  try {
    const options = parseTopicsCli(process.argv.slice(2), process.env);
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
    const result = await provisionTopics({ ...options, logger: log });
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

main().then(
  (code) => {
    process.exitCode = code;
  },
  () => {
    process.exitCode = EXIT_CODES.unexpected;
  },
);
