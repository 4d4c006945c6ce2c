// The one error type for a refused setting, wherever it is checked: config/validate.ts (environments), the stack
// edge (environment variables of the synth), the constructs (their props) and the services (their environment).

/** One broken rule: where it is, what is wrong, how to fix it. */
export interface ConfigIssue {
  /** The environment's name; '' when the setting does not belong to one (a variable, a construct prop). */
  environment: string;
  /** Dotted path inside the environment (`aws.adminCidrs[0]`), a variable name or `<Construct>.<prop>`. */
  field: string;
  problem: string;
  fix: string;
}

export function formatIssue(issue: ConfigIssue): string {
  const where = issue.environment === '' ? 'config error' : `config error in environment "${issue.environment}"`;
  return `${where}, field ${issue.field}: ${issue.problem}. Fix: ${issue.fix}.`;
}

/** Thrown before any construct exists, so a bad config writes nothing. */
export class ConfigError extends Error {
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    super(issues.map(formatIssue).join('\n'));
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/** A ConfigError about one setting that belongs to no environment. */
export function settingError(field: string, problem: string, fix: string): ConfigError {
  return new ConfigError([{ environment: '', field, problem, fix }]);
}
