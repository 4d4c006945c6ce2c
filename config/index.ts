// The config entry point: environments as data (a list of named entries), validated all at once before any construct
// is created.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ENVIRONMENTS } from './environments';
import { ConfigError, type ConfigIssue } from '../contracts/config-error';
import type { ResolvedEnvironment } from './schema';
import { validateEnvironment } from './validate';

export { ConfigError, formatIssue, type ConfigIssue } from '../contracts/config-error';
export { validateEnvironment } from './validate';
export { STATE_BUCKET_PLACEHOLDER } from './environments';
export type * from './schema';

/** Environment variables that steer config loading (documented in the README). */
export interface ConfigEnvironmentVariables {
  /** Path to a JSON file `[{ "name": "<env>", ... }, ...]` (EnvironmentEntry list) that replaces config/environments.ts (tests, forks). */
  AIRLINE_CONFIG?: string;
  /** Comma-separated environment names to synthesize; default all. */
  AIRLINE_ENVIRONMENTS?: string;
  /** `local`: every stack keeps its state in a local file (a first try without a state bucket). */
  AIRLINE_STATE?: string;
  /** Replaces the S3 state bucket of every environment that uses S3 state. */
  AIRLINE_STATE_BUCKET?: string;
}

function configIssue(field: string, problem: string, fix: string): ConfigIssue {
  return { environment: '', field, problem, fix };
}

function readEnvironmentData(variables: ConfigEnvironmentVariables): readonly unknown[] {
  if (variables.AIRLINE_CONFIG === undefined || variables.AIRLINE_CONFIG === '') return ENVIRONMENTS;
  const path = resolve(variables.AIRLINE_CONFIG);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError([configIssue('AIRLINE_CONFIG', `cannot read ${path}: ${(error as Error).message}`, 'point AIRLINE_CONFIG at a readable JSON file')]);
  }
  if (!Array.isArray(parsed)) {
    // An object keyed by name would hide a repeated name (JSON.parse keeps the last one), so only a list is read.
    throw new ConfigError([configIssue('AIRLINE_CONFIG', `${path} does not hold a list of environments`, 'write [{ "name": "<env>", "target": ..., ... }, ...]')]);
  }
  return parsed;
}

interface NamedEntry {
  name: string;
  input: Record<string, unknown>;
}

/** Splits each entry into its name and its settings; refuses entries without a name and names used twice. */
function namedEntries(data: readonly unknown[], issues: ConfigIssue[]): NamedEntry[] {
  const entries: NamedEntry[] = [];
  const firstIndex = new Map<string, number>();
  data.forEach((item, index) => {
    const where = `environments[${index}]`;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      issues.push(configIssue(where, 'is not an object', 'write each environment as { name: "<env>", target: ..., ... }'));
      return;
    }
    const { name, ...input } = item as Record<string, unknown>;
    if (typeof name !== 'string' || name === '') {
      issues.push(configIssue(`${where}.name`, 'is required', 'name the environment, e.g. name: "dev"'));
      return;
    }
    const first = firstIndex.get(name);
    if (first !== undefined) {
      issues.push({
        environment: name,
        field: 'name',
        problem: `is used twice in the environments list (environments[${first}] and environments[${index}]); the stacks of one would replace the other's`,
        fix: 'give every environment its own name: rename or remove one of the entries',
      });
      return;
    }
    firstIndex.set(name, index);
    entries.push({ name, input });
  });
  return entries;
}

function applyStateOverrides(environment: ResolvedEnvironment, variables: ConfigEnvironmentVariables): ResolvedEnvironment {
  if (variables.AIRLINE_STATE === 'local') return { ...environment, stateBackend: { kind: 'local' } };
  if (variables.AIRLINE_STATE_BUCKET && environment.stateBackend.kind === 's3') {
    return { ...environment, stateBackend: { ...environment.stateBackend, bucket: variables.AIRLINE_STATE_BUCKET } };
  }
  return environment;
}

/**
 * Validates every environment (all of them, even when only some are selected, so a broken one is never
 * silently skipped) and returns the selected ones resolved. Throws ConfigError listing every issue.
 */
export function loadEnvironments(variables: ConfigEnvironmentVariables = process.env): ResolvedEnvironment[] {
  const data = readEnvironmentData(variables);
  const issues: ConfigIssue[] = [];
  if (variables.AIRLINE_STATE !== undefined && variables.AIRLINE_STATE !== '' && variables.AIRLINE_STATE !== 'local') {
    issues.push(configIssue('AIRLINE_STATE', `"${variables.AIRLINE_STATE}" is not supported`, 'set AIRLINE_STATE=local or unset it'));
  }
  if (variables.AIRLINE_STATE_BUCKET !== undefined && variables.AIRLINE_STATE_BUCKET !== '' && !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(variables.AIRLINE_STATE_BUCKET)) {
    issues.push(configIssue('AIRLINE_STATE_BUCKET', `"${variables.AIRLINE_STATE_BUCKET}" is not a valid S3 bucket name`, 'use 3-63 lowercase letters, digits, dots or dashes'));
  }
  const entries = namedEntries(data, issues);
  const names = entries.map((entry) => entry.name);
  const resolved: ResolvedEnvironment[] = [];
  for (const { name, input } of entries) {
    const result = validateEnvironment(name, input);
    issues.push(...result.issues);
    if (result.environment) resolved.push(applyStateOverrides(result.environment, variables));
  }
  const selected = (variables.AIRLINE_ENVIRONMENTS ?? '').split(',').map((name) => name.trim()).filter((name) => name !== '');
  for (const name of selected) {
    if (!names.includes(name)) {
      issues.push(configIssue('AIRLINE_ENVIRONMENTS', `unknown environment "${name}"`, `use one of: ${names.join(', ')}`));
    }
  }
  if (data.length === 0) issues.push(configIssue('(environments)', 'no environments are defined', 'define at least one environment'));
  if (issues.length > 0) throw new ConfigError(issues);
  return selected.length === 0 ? resolved : resolved.filter((environment) => selected.includes(environment.name));
}

/** One environment by name; throws ConfigError for an unknown name or any invalid environment. */
export function loadEnvironment(name: string, variables: ConfigEnvironmentVariables = process.env): ResolvedEnvironment {
  const environments = loadEnvironments({ ...variables, AIRLINE_ENVIRONMENTS: undefined });
  const found = environments.find((environment) => environment.name === name);
  if (!found) {
    throw new ConfigError([configIssue('(environment name)', `unknown environment "${name}"`, `use one of: ${environments.map((environment) => environment.name).join(', ')}`)]);
  }
  return found;
}
