// Provisioner failures, each with the documented CLI exit code (contracts/topic-provisioner.ts).
import { EXIT_CODES, type ExitCode } from '../../contracts/topic-provisioner';

export { EXIT_CODES, type ExitCode } from '../../contracts/topic-provisioner';

export abstract class TopicProvisionError extends Error {
  abstract readonly exitCode: ExitCode;
  constructor(
    message: string,
    /** One line per problem found; all problems are listed, not just the first. */
    readonly issues: string[] = [message],
  ) {
    super(issues.length === 1 && issues[0] === message ? message : `${message}:\n  - ${issues.join('\n  - ')}`);
  }
}

/** The spec is malformed or cannot be satisfied by this cluster (RF > brokers, unknown config key, ...). */
export class TopicSpecError extends TopicProvisionError {
  readonly exitCode = EXIT_CODES.invalidSpec;
  readonly name = 'TopicSpecError';
}

/** The expected brokers did not all register within the time limit. */
export class BrokersNotReadyError extends TopicProvisionError {
  readonly exitCode = EXIT_CODES.brokersNotReady;
  readonly name = 'BrokersNotReadyError';
}

/** An existing topic differs in a way the provisioner refuses to change (partition decrease, RF change). */
export class TopicDriftError extends TopicProvisionError {
  readonly exitCode = EXIT_CODES.driftRefused;
  readonly name = 'TopicDriftError';
}

export function exitCodeFor(error: unknown): ExitCode {
  return error instanceof TopicProvisionError ? error.exitCode : EXIT_CODES.unexpected;
}
