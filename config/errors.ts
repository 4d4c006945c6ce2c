/** One broken rule: where it is, what is wrong, how to fix it. */
export interface ConfigIssue {
  environment: string;
  /** Dotted path inside the environment, e.g. `aws.adminCidrs[0]`. */
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
