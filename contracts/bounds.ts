// Numeric bounds shared by config/validate.ts (what users meet first) and the constructs (which assert the same
// bounds on their props, so a construct used without the config layer refuses what validation would refuse).
import { ConfigError, type ConfigIssue } from './config-error';

export interface Bound {
  readonly min: number;
  readonly max: number;
}

export const BOUNDS = {
  zookeeperReplicas: { min: 1, max: 7 },
  zookeeperHeapMb: { min: 64, max: 65536 },
  kafkaBrokers: { min: 1, max: 100 },
  // Below 256 MiB a broker runs out of heap under the demo's load.
  kafkaHeapMb: { min: 256, max: 65536 },
  storageGiB: { min: 1, max: 16384 },
  topicPartitions: { min: 1, max: 10000 },
  replicationFactor: { min: 1, max: 100 },
  predictionReplicas: { min: 1, max: 1000 },
} as const satisfies Record<string, Bound>;

export function isWithin(bound: Bound, value: number): boolean {
  return Number.isInteger(value) && value >= bound.min && value <= bound.max;
}

export function rangeFix(bound: Bound): string {
  return `use a whole number between ${bound.min} and ${bound.max}`;
}

/** The issue with `value` for `field` (a construct prop), or undefined when it is a whole number within `bound`. */
export function boundIssue(field: string, value: number, bound: Bound, fix = rangeFix(bound)): ConfigIssue | undefined {
  return isWithin(bound, value) ? undefined : { environment: '', field, problem: `${value} is out of range`, fix };
}

/** Throws a ConfigError naming `field` unless `value` is a whole number within `bound`. */
export function assertWithin(field: string, value: number, bound: Bound, fix?: string): void {
  const issue = boundIssue(field, value, bound, fix);
  if (issue) throw new ConfigError([issue]);
}
