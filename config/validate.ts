// Validation of one environment's raw data (TypeScript data or JSON) and resolution of defaults from DEFAULTS.
// Every problem is collected (not just the first) so one run shows everything to fix.
import {
  addressCount, addressesCovered, cidrContains, cidrsOverlap, isCidr, MAX_AVAILABILITY_ZONES, MAX_VPC_PREFIX, MIN_VPC_PREFIX, parseCidr, planSubnets, type Ipv4Cidr,
} from './cidr';
import { IMAGE_REFERENCE_FIX, isImageReference, parseImageReference } from './image-reference';
import { REASON_FIX, reasonProblem } from './reason';
import { BOUNDS, rangeFix, type Bound } from '../contracts/bounds';
import type { ConfigIssue } from '../contracts/config-error';
import { instanceTypeProblem } from '../contracts/ec2-instance-types';
import { BROKER_DEFAULTS } from '../contracts/kafka-settings';
import { TOPIC_NAME_PATTERN, TOPIC_NAMES, defaultTopicSpec } from '../contracts/topics';
import {
  DEFAULTS,
  PRODUCTION_RULES,
  PROJECT,
  type AgentPool,
  type AwsPlatform,
  type DeliveryMode,
  type NatMode,
  type ResolvedEnvironment,
  type StateBackendInput,
  type StreamingConfig,
  type Tags,
  type TopicSpec,
} from './schema';

type Raw = Record<string, unknown>;

const ENVIRONMENT_NAME = /^[a-z][a-z0-9-]{0,18}[a-z0-9]$|^[a-z]$/;
const REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/;
const KUBERNETES_VERSION = /^1\.(\d+)$/;
const MIN_KUBERNETES_MINOR = 30;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const S3_BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
/** The retention periods CloudWatch Logs accepts. */
export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];
/** Tags the project sets itself on every resource. */
export const PROJECT_TAG_KEYS = ['environment', 'project', 'managed-by'] as const;
/** The topics the prediction service reads and writes. */
export const REQUIRED_TOPICS: readonly string[] = DEFAULTS.streaming.topics;
const INPUT_TOPIC = TOPIC_NAMES.input;

/** Collects issues with their environment and field path. */
class Checker {
  readonly issues: ConfigIssue[] = [];

  constructor(readonly environment: string) {}

  report(field: string, problem: string, fix: string): void {
    this.issues.push({ environment: this.environment, field, problem, fix });
  }

  object(field: string, value: unknown, allowedKeys: readonly string[]): Raw | undefined {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      this.report(field, `expected an object, got ${describe(value)}`, `write ${field} as an object`);
      return undefined;
    }
    for (const key of Object.keys(value)) {
      if (!allowedKeys.includes(key)) {
        this.report(`${field}.${key}`, 'unknown field', `remove it or use one of: ${allowedKeys.join(', ')}`);
      }
    }
    return value as Raw;
  }

  optionalObject(field: string, value: unknown, allowedKeys: readonly string[]): Raw {
    return value === undefined ? {} : (this.object(field, value, allowedKeys) ?? {});
  }

  string(field: string, value: unknown, fallback: string, pattern?: RegExp, fix?: string): string {
    if (value === undefined) return fallback;
    if (typeof value !== 'string' || value === '') {
      this.report(field, `expected a non-empty string, got ${describe(value)}`, fix ?? `set ${field} to a string`);
      return fallback;
    }
    if (pattern && !pattern.test(value)) {
      this.report(field, `"${value}" is not valid`, fix ?? `match ${pattern.source}`);
    }
    return value;
  }

  /** An integer within one of the shared bounds (contracts/bounds.ts), which the constructs assert too. */
  bounded(field: string, value: unknown, fallback: number, bound: Bound, fix?: string): number {
    return this.integer(field, value, fallback, bound.min, bound.max, fix ?? rangeFix(bound));
  }

  integer(field: string, value: unknown, fallback: number, min: number, max: number, fix?: string): number {
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      this.report(field, `expected an integer, got ${describe(value)}`, fix ?? `use a whole number between ${min} and ${max}`);
      return fallback;
    }
    if (value < min || value > max) {
      this.report(field, `${value} is out of range`, fix ?? `use a whole number between ${min} and ${max}`);
    }
    return value;
  }

  boolean(field: string, value: unknown, fallback: boolean): boolean {
    if (value === undefined) return fallback;
    if (typeof value !== 'boolean') {
      this.report(field, `expected true or false, got ${describe(value)}`, 'use a boolean');
      return fallback;
    }
    return value;
  }

  oneOf<T extends string>(field: string, value: unknown, fallback: T, allowed: readonly T[]): T {
    if (value === undefined) return fallback;
    if (typeof value !== 'string' || !allowed.includes(value as T)) {
      this.report(field, `${describe(value)} is not allowed`, `use one of: ${allowed.join(', ')}`);
      return fallback;
    }
    return value as T;
  }

  stringArray(field: string, value: unknown, fallback: string[]): string[] {
    if (value === undefined) return fallback;
    if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
      this.report(field, `expected a list of strings, got ${describe(value)}`, `write ${field} as ["..."]`);
      return fallback;
    }
    return [...(value as string[])];
  }

  /** A name from the EC2 API's own list of instance types (contracts/ec2-instance-types.ts). */
  instanceType(field: string, value: unknown, fallback: string): string {
    const name = this.string(field, value, fallback, undefined, 'use an EC2 instance type such as m6i.xlarge');
    const problem = instanceTypeProblem(name);
    if (problem) this.report(field, problem.problem, problem.fix);
    return name;
  }

  /**
   * An image reference, written alone or as { reference, reason }. Production needs a digest (what runs cannot
   * change under the same name) unless a reason is given; `fallback` (the default image) is held to the same rule.
   */
  image(field: string, value: unknown, fallback: string, production: boolean): string {
    let reference = fallback;
    let referenceField = field;
    let explained = false;
    if (typeof value === 'string') {
      reference = value;
    } else if (value !== undefined) {
      const entry = this.object(field, value, ['reference', 'reason']);
      if (!entry) return fallback;
      referenceField = `${field}.reference`;
      explained = true;
      this.reason(`${field}.reason`, entry.reason);
      if (typeof entry.reference !== 'string' || entry.reference === '') {
        this.report(referenceField, `expected an image reference, got ${describe(entry.reference)}`, IMAGE_REFERENCE_FIX);
        return fallback;
      }
      reference = entry.reference;
    }
    const parsed = parseImageReference(reference);
    if (!isImageReference(parsed)) {
      this.report(referenceField, parsed.problem, IMAGE_REFERENCE_FIX);
      return reference;
    }
    if (production && !explained && parsed.digest === undefined) {
      const what = value === undefined ? `the default image "${reference}"` : `"${reference}"`;
      const tagged = parsed.tag === undefined ? `${reference}:<tag>` : reference;
      this.report(field, `${what} is not pinned by digest${parsed.tag === undefined ? ' (no tag means latest)' : ''}: a tag can be pushed again with other content, and production runs exactly what was reviewed`,
        `set ${field} to ${tagged}@sha256:<digest> (README, "Pinning images by digest"), or to { reference: "${reference}", reason: "<why no digest yet>" }`);
    }
    return reference;
  }

  /** A written reason (config/reason.ts), or undefined (reported) when it is not one. */
  reason(field: string, value: unknown): string | undefined {
    const problem = reasonProblem(value);
    if (problem !== undefined) {
      this.report(field, problem, REASON_FIX);
      return undefined;
    }
    return (value as string).trim();
  }

  cidr(field: string, text: string): Ipv4Cidr | undefined {
    const parsed = parseCidr(text);
    if (!isCidr(parsed)) {
      this.report(field, parsed.problem, parsed.fix);
      return undefined;
    }
    return parsed;
  }
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return `"${value}"`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

/** Keys of a free-form map (tags, topic configs): any key is allowed there. */
function keysOf(value: unknown): string[] {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? Object.keys(value) : [];
}

function isCalendarDate(text: string): boolean {
  const match = ISO_DATE.exec(text);
  if (!match) return false;
  const [year, month, day] = match.slice(1).map(Number);
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

const ENVIRONMENT_KEYS = ['production', 'target', 'aws', 'local', 'streaming', 'tags', 'stateBackend'] as const;
const AWS_KEYS = [
  'region', 'availabilityZoneCount', 'availabilityZones', 'vpcCidr', 'adminCidrs', 'allowOpenAdminAccess', 'sshKeyName', 'privateAgents',
  'publicAgents', 'natMode', 'kubernetesVersion', 'clusterAdminRoleArns', 'flowLogs', 'logRetentionDays', 'subnetCidrs',
] as const;
const POOL_KEYS = ['count', 'instanceType', 'diskGiB'] as const;

/** Validates one environment. Returns the resolved environment only when there are no issues. */
export function validateEnvironment(name: string, raw: unknown): { environment?: ResolvedEnvironment; issues: ConfigIssue[] } {
  const check = new Checker(name);
  if (!ENVIRONMENT_NAME.test(name)) {
    check.report('name', `"${name}" is not a valid environment name`, 'use 1-20 lowercase letters, digits or dashes, starting with a letter (it becomes part of the cluster name)');
  }
  const input = check.object('(environment)', raw, ENVIRONMENT_KEYS);
  if (!input) return { issues: check.issues };

  // Explicit, never derived from the name: a production environment called "live" or "eu" gets the same rules.
  const production = check.boolean('production', input.production, false);
  if (input.production === undefined) {
    check.report('production', 'is required', 'set production: true for an environment that serves real traffic or keeps real data, production: false otherwise');
  }

  const target = check.oneOf('target', input.target, 'aws', ['aws', 'local'] as const);
  if (input.target === undefined) check.report('target', 'is required', 'set target to "aws" or "local"');

  const streaming = resolveStreaming(check, name, production, target, input.streaming);
  let aws: AwsPlatform | undefined;
  let local: ResolvedEnvironment['local'];
  if (target === 'aws') {
    if (input.local !== undefined) check.report('local', 'is only for target "local"', 'remove it or set target to "local"');
    if (input.aws === undefined) {
      check.report('aws', 'is required for target "aws"', 'add an aws section with at least adminCidrs');
    } else {
      aws = resolveAws(check, name, production, input.aws, streaming);
    }
  } else {
    if (input.aws !== undefined) check.report('aws', 'is only for target "aws"', 'remove it or set target to "aws"');
    const localInput = input.local === undefined ? undefined : check.object('local', input.local, ['kubeconfigPath', 'kubeconfigContext']);
    if (!localInput || localInput.kubeconfigContext === undefined) {
      check.report('local.kubeconfigContext', 'is required for target "local"', 'name the kubeconfig context, e.g. "kind-airline"');
    }
    local = {
      kubeconfigContext: check.string('local.kubeconfigContext', localInput?.kubeconfigContext, ''),
      kubeconfigPath: check.string('local.kubeconfigPath', localInput?.kubeconfigPath, DEFAULTS.local.kubeconfigPath),
    };
  }
  const tags = resolveTags(check, name, input.tags);
  const stateBackend = resolveStateBackend(check, input.stateBackend, aws?.region ?? DEFAULTS.aws.region);

  if (check.issues.length > 0) return { issues: check.issues };
  // No issues: the target's own section resolved (a missing or malformed one is an issue above).
  const common = { name, production, streaming, tags, stateBackend };
  const environment: ResolvedEnvironment = target === 'aws' ? { ...common, target, aws: aws! } : { ...common, target, local: local! };
  return { environment, issues: [] };
}

function resolvePool(check: Checker, field: string, raw: unknown, defaults: AgentPool, minCount: number): AgentPool {
  const pool = check.optionalObject(field, raw, POOL_KEYS);
  return {
    count: check.integer(`${field}.count`, pool.count, defaults.count, minCount, 100,
      minCount > 0 ? `use at least ${minCount} (the cluster needs nodes for its system pods) and at most 100` : 'use 0 to 100 (0 leaves the pool out)'),
    instanceType: check.instanceType(`${field}.instanceType`, pool.instanceType, defaults.instanceType),
    diskGiB: check.integer(`${field}.diskGiB`, pool.diskGiB, defaults.diskGiB, 20, 16384, 'use 20 to 16384 GiB'),
  };
}

function resolveAws(check: Checker, name: string, production: boolean, raw: unknown, streaming: StreamingConfig): AwsPlatform | undefined {
  const input = check.object('aws', raw, AWS_KEYS);
  if (!input) return undefined;
  const d = DEFAULTS.aws;

  const region = check.string('aws.region', input.region, d.region, REGION, 'use an AWS region name such as us-east-1');
  const availabilityZoneCount = check.integer('aws.availabilityZoneCount', input.availabilityZoneCount, d.availabilityZoneCount, 2, MAX_AVAILABILITY_ZONES,
    `use 2 to ${MAX_AVAILABILITY_ZONES}: EKS needs subnets in at least two AZs`);

  const availabilityZones = input.availabilityZones === undefined ? undefined
    : check.stringArray('aws.availabilityZones', input.availabilityZones, []);
  if (availabilityZones) {
    if (availabilityZones.length !== availabilityZoneCount) {
      check.report('aws.availabilityZones', `lists ${availabilityZones.length} zones for availabilityZoneCount ${availabilityZoneCount}`, `list exactly ${availabilityZoneCount} zone names, or remove availabilityZones`);
    }
    availabilityZones.forEach((zone, index) => {
      const field = `aws.availabilityZones[${index}]`;
      if (!zone.startsWith(region) || !/^[a-z]$/.test(zone.slice(region.length))) check.report(field, `"${zone}" is not an availability zone of ${region}`, `use a zone name such as ${region}a`);
      if (availabilityZones.indexOf(zone) !== index) check.report(field, `"${zone}" is listed twice`, 'list each zone once');
    });
  }

  const vpcCidrText = check.string('aws.vpcCidr', input.vpcCidr, d.vpcCidr);
  const vpc = check.cidr('aws.vpcCidr', vpcCidrText);
  if (vpc && (vpc.prefix < MIN_VPC_PREFIX || vpc.prefix > MAX_VPC_PREFIX)) {
    check.report('aws.vpcCidr', `prefix /${vpc.prefix} is not supported`, `use a prefix between /${MIN_VPC_PREFIX} (AWS's largest VPC) and /${MAX_VPC_PREFIX} (room for the subnets), e.g. 10.0.0.0/16`);
  }

  const allowOpenAdminAccess = check.boolean('aws.allowOpenAdminAccess', input.allowOpenAdminAccess, d.allowOpenAdminAccess);
  const adminCidrs = resolveAdminCidrs(check, production, allowOpenAdminAccess, input.adminCidrs, vpc);
  // The Kafka load balancers accept the VPC and the admin CIDRs; BootstrapVip refuses an open one at synth.
  if (streaming.kafka.externalAccess && adminCidrs.includes('0.0.0.0/0')) {
    check.report('streaming.kafka.externalAccess', 'would open the Kafka load balancers to the internet: they accept aws.adminCidrs, which holds 0.0.0.0/0',
      'list your office/VPN CIDRs in aws.adminCidrs, or leave externalAccess off');
  }

  const sshKeyName = input.sshKeyName === undefined ? undefined
    : check.string('aws.sshKeyName', input.sshKeyName, '', /^[\x20-\x7e]{1,255}$/, 'use the name of an existing EC2 key pair (printable ASCII, up to 255 characters)');

  const privateAgents = resolvePool(check, 'aws.privateAgents', input.privateAgents, d.privateAgents, 1);
  const publicAgents = resolvePool(check, 'aws.publicAgents', input.publicAgents, d.publicAgents, 0);
  const spreadNeed = Math.max(streaming.kafka.brokers, streaming.zookeeper.replicas);
  if (privateAgents.count >= 1 && privateAgents.count < spreadNeed) {
    check.report('aws.privateAgents.count', `${privateAgents.count} private agents cannot hold ${spreadNeed} Kafka brokers/ZooKeeper servers on separate nodes`,
      `use at least ${spreadNeed} private agents or fewer brokers/ZooKeeper servers`);
  }

  const natMode = check.oneOf<NatMode>('aws.natMode', input.natMode, d.natMode, ['single', 'per-az']);
  const kubernetesVersion = check.string('aws.kubernetesVersion', input.kubernetesVersion, d.kubernetesVersion);
  const minor = KUBERNETES_VERSION.exec(kubernetesVersion);
  if (!minor || Number(minor[1]) < MIN_KUBERNETES_MINOR) {
    check.report('aws.kubernetesVersion', `"${kubernetesVersion}" is not a supported EKS version`, `use "1.<minor>" with minor >= ${MIN_KUBERNETES_MINOR}, e.g. "${d.kubernetesVersion}"`);
  }
  const clusterAdminRoleArns = check.stringArray('aws.clusterAdminRoleArns', input.clusterAdminRoleArns, [...d.clusterAdminRoleArns]);
  clusterAdminRoleArns.forEach((arn, index) => {
    if (!ROLE_ARN.test(arn)) check.report(`aws.clusterAdminRoleArns[${index}]`, `"${arn}" is not an IAM role ARN`, 'use arn:aws:iam::<12-digit account>:role/<name>');
  });
  const flowLogs = check.boolean('aws.flowLogs', input.flowLogs, d.flowLogs);
  const logRetentionDays = check.integer('aws.logRetentionDays', input.logRetentionDays, d.logRetentionDays, 1, 3653);
  if (!LOG_RETENTION_DAYS.includes(logRetentionDays)) {
    check.report('aws.logRetentionDays', `${logRetentionDays} is not a CloudWatch Logs retention period`, `use one of ${LOG_RETENTION_DAYS.join(', ')}`);
  }

  const subnets = resolveSubnets(check, input.subnetCidrs, vpc, availabilityZoneCount);
  return {
    region, availabilityZoneCount, ...(availabilityZones ? { availabilityZones } : {}), vpcCidr: vpcCidrText, adminCidrs, allowOpenAdminAccess, sshKeyName, privateAgents, publicAgents,
    natMode, kubernetesVersion, clusterAdminRoleArns, flowLogs, logRetentionDays,
    publicSubnetCidrs: subnets.publicCidrs, privateSubnetCidrs: subnets.privateCidrs,
    clusterName: `${PROJECT}-${name}`,
  };
}

interface AdminCidrEntry {
  field: string;
  text: string;
  /** Written as { cidr, reason }; an unusable reason is reported on its own field. */
  explained: boolean;
}

/** A plain CIDR string or `{ cidr, reason }` (ExplainedCidrInput); undefined when it is neither. */
function adminCidrEntry(check: Checker, field: string, item: unknown): AdminCidrEntry | undefined {
  if (typeof item === 'string') return { field, text: item, explained: false };
  if (typeof item !== 'object' || item === null || Array.isArray(item)) {
    check.report(field, `expected a CIDR string or { cidr, reason }, got ${describe(item)}`, 'write "203.0.113.0/24" or { cidr: "10.0.0.0/8", reason: "office VPN range, ticket NET-12" }');
    return undefined;
  }
  const explained = check.object(field, item, ['cidr', 'reason'])!;
  if (typeof explained.cidr !== 'string' || explained.cidr === '') {
    check.report(`${field}.cidr`, `expected a CIDR string, got ${describe(explained.cidr)}`, 'write the CIDR, e.g. cidr: "10.0.0.0/8"');
    return undefined;
  }
  check.reason(`${field}.reason`, explained.reason);
  return { field, text: explained.cidr, explained: true };
}

function resolveAdminCidrs(check: Checker, production: boolean, allowOpenAdminAccess: boolean, raw: unknown, vpc: Ipv4Cidr | undefined): string[] {
  if (raw !== undefined && !Array.isArray(raw)) {
    check.report('aws.adminCidrs', `expected a list, got ${describe(raw)}`, 'write aws.adminCidrs as ["203.0.113.0/24", ...]');
    return [];
  }
  const entries = (raw ?? []).map((item, index) => adminCidrEntry(check, `aws.adminCidrs[${index}]`, item)).filter((entry) => entry !== undefined);
  if (raw === undefined || raw.length === 0) {
    check.report('aws.adminCidrs', 'at least one admin CIDR is required (the template\'s AdminLocation)', 'list your office/VPN CIDRs, e.g. ["203.0.113.0/24"]');
  }
  const texts = entries.map((entry) => entry.text);
  const rules = PRODUCTION_RULES;
  const unexplained: Ipv4Cidr[] = [];
  entries.forEach(({ field, text, explained }, index) => {
    const cidr = check.cidr(field, text);
    if (!cidr) return;
    if (texts.indexOf(text) !== index) check.report(field, `"${text}" is listed twice`, 'remove the duplicate');
    if (cidr.prefix === 0) {
      if (production) {
        check.report('aws.adminCidrs', '0.0.0.0/0 is refused in a production environment', 'list your office/VPN CIDRs');
      } else if (!allowOpenAdminAccess) {
        check.report('aws.adminCidrs', '0.0.0.0/0 opens the cluster API to the internet', 'list your office/VPN CIDRs, or set aws.allowOpenAdminAccess: true to accept open access');
      }
      return;
    }
    if (vpc && cidrsOverlap(cidr, vpc)) {
      check.report(field, `${text} overlaps the VPC CIDR ${vpc.text}; admin access comes from outside the VPC`, 'list the public CIDRs of your office/VPN');
    }
    if (!production || explained) return;
    if (cidr.prefix < rules.widestAdminPrefix) {
      check.report(field, `${text} (${addressCount(cidr).toLocaleString('en-US')} addresses) is wider than /${rules.widestAdminPrefix}, the widest a production environment accepts without a reason`,
        `narrow it to /${rules.widestAdminPrefix} or smaller, or write it as { cidr: "${text}", reason: "<why this range, e.g. office VPN range, ticket NET-12>" }`);
    } else {
      unexplained.push(cidr);
    }
  });
  // Many narrow ranges can open as much as one wide one: their union has a budget too.
  const covered = addressesCovered(unexplained);
  if (covered > rules.maxUnexplainedAdminAddresses) {
    check.report('aws.adminCidrs', `the CIDRs without a reason (${unexplained.map((cidr) => cidr.text).join(', ')}) cover ${covered.toLocaleString('en-US')} addresses together, ` +
      `more than the ${rules.maxUnexplainedAdminAddresses.toLocaleString('en-US')} (4 x /16) a production environment accepts without a reason`,
      'narrow or merge them, or write the ones that need the room as { cidr: "...", reason: "<why this range>" }');
  }
  return texts;
}

function resolveSubnets(check: Checker, raw: unknown, vpc: Ipv4Cidr | undefined, azCount: number): { publicCidrs: string[]; privateCidrs: string[] } {
  const usable = vpc && vpc.prefix >= MIN_VPC_PREFIX && vpc.prefix <= MAX_VPC_PREFIX && azCount >= 2 && azCount <= MAX_AVAILABILITY_ZONES;
  if (raw === undefined) return usable ? planSubnets(vpc, azCount) : { publicCidrs: [], privateCidrs: [] };
  const input = check.object('aws.subnetCidrs', raw, ['public', 'private']);
  const explicit = {
    publicCidrs: check.stringArray('aws.subnetCidrs.public', input?.public, []),
    privateCidrs: check.stringArray('aws.subnetCidrs.private', input?.private, []),
  };
  const seen: Array<{ field: string; cidr: Ipv4Cidr }> = [];
  for (const [kind, list] of [['public', explicit.publicCidrs], ['private', explicit.privateCidrs]] as const) {
    if (list.length !== azCount) {
      check.report(`aws.subnetCidrs.${kind}`, `has ${list.length} CIDRs for ${azCount} availability zones`, `list exactly one ${kind} subnet CIDR per AZ (${azCount})`);
    }
    list.forEach((text, index) => {
      const field = `aws.subnetCidrs.${kind}[${index}]`;
      const cidr = check.cidr(field, text);
      if (!cidr) return;
      if (vpc && !cidrContains(vpc, cidr)) check.report(field, `${text} is outside the VPC CIDR ${vpc.text}`, `pick a block inside ${vpc.text}`);
      if (cidr.prefix > 28) check.report(field, `${text} is smaller than AWS's smallest subnet (/28)`, 'use a prefix of /28 or larger');
      const clash = seen.find((other) => cidrsOverlap(other.cidr, cidr));
      if (clash) check.report(field, `${text} overlaps ${clash.field} (${clash.cidr.text})`, 'give every subnet its own block');
      seen.push({ field, cidr });
    });
  }
  return explicit;
}

function resolveTags(check: Checker, name: string, raw: unknown): ResolvedEnvironment['tags'] {
  const resolved: Record<string, string> = {};
  const input = raw === undefined ? undefined : check.object('tags', raw, keysOf(raw));
  if (!input) {
    check.report('tags', 'is required', 'add tags with at least owner and expires-at (YYYY-MM-DD)');
  } else {
    for (const [key, value] of Object.entries(input)) {
      const field = `tags.${key}`;
      if (typeof value !== 'string') {
        check.report(field, `expected a string, got ${describe(value)}`, 'tag values are strings');
        continue;
      }
      if ((PROJECT_TAG_KEYS as readonly string[]).includes(key)) {
        check.report(field, 'is set by the project', `remove it (the project sets ${PROJECT_TAG_KEYS.join(', ')})`);
      } else if (key.length > 128 || key.toLowerCase().startsWith('aws:') || !/^[\p{L}\p{N} _.:/=+\-@]+$/u.test(key)) {
        check.report(field, 'is not a valid AWS tag key', 'use up to 128 letters, digits, spaces and _ . : / = + - @, not starting with aws:');
      } else if (value.length > 256 || !/^[\p{L}\p{N} _.:/=+\-@]*$/u.test(value)) {
        check.report(field, `"${value}" is not a valid AWS tag value`, 'use up to 256 letters, digits, spaces and _ . : / = + - @');
      }
      resolved[key] = value;
    }
    if (typeof input.owner !== 'string' || input.owner.trim() === '') {
      check.report('tags.owner', 'is required', 'name the team or person who owns these resources');
    }
    if (typeof input['expires-at'] !== 'string') {
      check.report('tags.expires-at', 'is required', 'set the date after which the resources may be torn down, as YYYY-MM-DD');
    } else if (!isCalendarDate(input['expires-at'])) {
      check.report('tags.expires-at', `"${input['expires-at']}" is not a calendar date`, 'use YYYY-MM-DD, e.g. 2027-06-30');
    }
  }
  return { ...(resolved as Tags), environment: name, project: PROJECT, 'managed-by': 'cdktf' };
}

function resolveStateBackend(check: Checker, raw: unknown, region: string): StateBackendInput {
  if (raw === undefined) return { kind: 'local' };
  const input = check.object('stateBackend', raw, ['kind', 'bucket', 'region', 'keyPrefix', 'directory']);
  if (!input) return { kind: 'local' };
  const kind = check.oneOf('stateBackend.kind', input.kind, 'local', ['s3', 'local'] as const);
  if (kind === 'local') {
    for (const key of ['bucket', 'region', 'keyPrefix']) {
      if (input[key] !== undefined) check.report(`stateBackend.${key}`, 'only applies to kind "s3"', 'remove it or set kind to "s3"');
    }
    const directory = input.directory === undefined ? undefined : check.string('stateBackend.directory', input.directory, '');
    return directory === undefined ? { kind } : { kind, directory };
  }
  if (input.directory !== undefined) check.report('stateBackend.directory', 'only applies to kind "local"', 'remove it or set kind to "local"');
  if (input.bucket === undefined) check.report('stateBackend.bucket', 'is required for kind "s3"', 'name the S3 bucket that holds the state');
  const bucket = check.string('stateBackend.bucket', input.bucket, '');
  if (bucket !== '' && (!S3_BUCKET.test(bucket) || bucket.includes('..'))) {
    check.report('stateBackend.bucket', `"${bucket}" is not a valid S3 bucket name`, 'use 3-63 lowercase letters, digits, dots or dashes');
  }
  return {
    kind,
    bucket,
    region: check.string('stateBackend.region', input.region, region, REGION, 'use an AWS region name such as us-east-1'),
    keyPrefix: check.string('stateBackend.keyPrefix', input.keyPrefix, PROJECT, /^[A-Za-z0-9!_.*'()-]+(\/[A-Za-z0-9!_.*'()-]+)*$/, 'use a key prefix without leading or trailing slashes, e.g. airline-streaming'),
  };
}

function resolveStreaming(check: Checker, name: string, production: boolean, target: 'aws' | 'local', raw: unknown): StreamingConfig {
  const d = DEFAULTS.streaming;
  const input = check.optionalObject('streaming', raw, ['namespace', 'nodeRuntimeImage', 'zookeeper', 'kafka', 'topics', 'prediction', 'monitoringNamespace']);
  const namespace = check.string('streaming.namespace', input.namespace, d.namespace, DNS_LABEL, 'use a DNS label: up to 63 lowercase letters, digits or dashes');
  const monitoringNamespace = check.string('streaming.monitoringNamespace', input.monitoringNamespace, d.monitoringNamespace, DNS_LABEL,
    'name the namespace of the metrics scraper as a DNS label: up to 63 lowercase letters, digits or dashes, e.g. "monitoring"');
  if (monitoringNamespace === namespace) {
    check.report('streaming.monitoringNamespace', `"${monitoringNamespace}" is the streaming namespace itself: every pod there could reach the metrics ports`,
      'name the separate namespace the metrics scraper runs in, e.g. "monitoring"');
  }
  const nodeRuntimeImage = check.image('streaming.nodeRuntimeImage', input.nodeRuntimeImage, d.nodeRuntimeImage, production);

  const zk = check.optionalObject('streaming.zookeeper', input.zookeeper, ['replicas', 'image', 'heapMb', 'storageGiB']);
  const zookeeper = {
    replicas: check.bounded('streaming.zookeeper.replicas', zk.replicas, d.zookeeper.replicas, BOUNDS.zookeeperReplicas, 'use 1, 3, 5 or 7'),
    image: check.image('streaming.zookeeper.image', zk.image, d.zookeeper.image, production),
    heapMb: check.bounded('streaming.zookeeper.heapMb', zk.heapMb, d.zookeeper.heapMb, BOUNDS.zookeeperHeapMb),
    storageGiB: check.bounded('streaming.zookeeper.storageGiB', zk.storageGiB, d.zookeeper.storageGiB, BOUNDS.storageGiB),
  };
  if (zookeeper.replicas % 2 === 0) {
    check.report('streaming.zookeeper.replicas', `${zookeeper.replicas} servers tolerate no more failures than ${zookeeper.replicas - 1}`, 'use an odd number: 1, 3, 5 or 7');
  }
  const rules = PRODUCTION_RULES;
  if (production && zookeeper.replicas < rules.minZooKeeperServers) {
    check.report('streaming.zookeeper.replicas', `${zookeeper.replicas} server(s) lose the quorum when one fails; a production environment runs at least ${rules.minZooKeeperServers}`,
      `use ${rules.minZooKeeperServers}, 5 or 7`);
  }

  const k = check.optionalObject('streaming.kafka', input.kafka, ['brokers', 'image', 'heapMb', 'storageGiB', 'externalAccess', 'externalDomain']);
  const kafka = {
    brokers: check.bounded('streaming.kafka.brokers', k.brokers, d.kafka.brokers, BOUNDS.kafkaBrokers),
    image: check.image('streaming.kafka.image', k.image, d.kafka.image, production),
    heapMb: check.bounded('streaming.kafka.heapMb', k.heapMb, d.kafka.heapMb, BOUNDS.kafkaHeapMb),
    storageGiB: check.bounded('streaming.kafka.storageGiB', k.storageGiB, d.kafka.storageGiB, BOUNDS.storageGiB),
    externalAccess: check.boolean('streaming.kafka.externalAccess', k.externalAccess, d.kafka.externalAccess),
    externalDomain: check.string('streaming.kafka.externalDomain', k.externalDomain, `kafka.${name}.internal`, DOMAIN, 'use a lowercase DNS name such as kafka.dev.internal'),
  };
  if (production && kafka.brokers < rules.minKafkaBrokers) {
    check.report('streaming.kafka.brokers', `${kafka.brokers} broker(s) cannot hold ${rules.minReplicationFactor} copies of each partition; a production environment runs at least ${rules.minKafkaBrokers}`,
      `use at least ${rules.minKafkaBrokers} brokers`);
  }

  const topics = resolveTopics(check, production, input.topics, kafka.brokers);
  const inputTopic = topics.find((topic) => topic.name === INPUT_TOPIC);
  const inputPartitions = inputTopic?.partitions ?? d.topicDefaults.partitions;

  const p = check.optionalObject('streaming.prediction', input.prediction, ['replicas', 'maxReplicas', 'image', 'mode']);
  const replicas = check.bounded('streaming.prediction.replicas', p.replicas, d.prediction.replicas, BOUNDS.predictionReplicas);
  const maxReplicas = check.bounded('streaming.prediction.maxReplicas', p.maxReplicas, Math.max(replicas, inputPartitions), BOUNDS.predictionReplicas);
  if (maxReplicas > inputPartitions) {
    check.report('streaming.prediction.maxReplicas', `${maxReplicas} exceeds the ${inputPartitions} partitions of ${INPUT_TOPIC}; extra consumers would sit idle`,
      `use at most ${inputPartitions} or add partitions to ${INPUT_TOPIC}`);
  }
  if (maxReplicas < replicas) {
    check.report('streaming.prediction.maxReplicas', `${maxReplicas} is below replicas (${replicas})`, `use at least ${replicas}`);
  }
  const image = p.image === undefined ? undefined : check.image('streaming.prediction.image', p.image, '', production);
  const prediction = {
    replicas,
    maxReplicas,
    mode: check.oneOf<DeliveryMode>('streaming.prediction.mode', p.mode, d.prediction.mode, ['at-least-once', 'exactly-once']),
    ...(image === undefined ? {} : { image }),
  };
  return { namespace, nodeRuntimeImage, zookeeper, kafka, topics, prediction, monitoringNamespace };
}

/**
 * RF and min ISR of one topic in production. The broker-wide replication settings (default RF, the offsets and
 * transaction logs) are fixed in contracts/kafka-settings.ts and only scaled down below 3 brokers, which production
 * refuses; a topic's own values are what config can change.
 */
function checkProductionReplication(check: Checker, field: string, topic: Required<TopicSpec>): void {
  const rules = PRODUCTION_RULES;
  if (topic.replicationFactor < rules.minReplicationFactor) {
    check.report(`${field}.replicationFactor`, `${topic.replicationFactor} copies of ${topic.name} lose acknowledged writes when ${topic.replicationFactor === 1 ? 'its broker fails' : 'two brokers fail'}; a production environment keeps at least ${rules.minReplicationFactor}`,
      `set replicationFactor to ${rules.minReplicationFactor} (or more, with as many brokers)`);
  }
  // Unset on the topic, the broker default applies (contracts/kafka-settings.ts).
  const minIsrText = topic.config['min.insync.replicas'] ?? BROKER_DEFAULTS['min.insync.replicas'];
  const minIsr = Number(minIsrText);
  if (Number.isInteger(minIsr) && minIsr < rules.minInSyncReplicas) {
    check.report(`${field}.config.min.insync.replicas`, `"${minIsrText}" acknowledges a write held by a single broker; a production environment needs at least ${rules.minInSyncReplicas} in-sync replicas`,
      `set "min.insync.replicas": "${rules.minInSyncReplicas}" (or remove it: the broker default is ${BROKER_DEFAULTS['min.insync.replicas']})`);
  }
}

function defaultTopics(): Array<Required<TopicSpec>> {
  return DEFAULTS.streaming.topics.map(defaultTopicSpec);
}

function resolveTopics(check: Checker, production: boolean, raw: unknown, brokers: number): Array<Required<TopicSpec>> {
  let topics = defaultTopics();
  if (raw !== undefined) {
    if (!Array.isArray(raw)) {
      check.report('streaming.topics', `expected a list, got ${describe(raw)}`, 'write topics as [{ name, partitions, replicationFactor }]');
    } else {
      const d = DEFAULTS.streaming.topicDefaults;
      topics = raw.map((item, index) => {
        const field = `streaming.topics[${index}]`;
        const topic = check.optionalObject(field, item, ['name', 'partitions', 'replicationFactor', 'config']);
        if (topic.name === undefined) check.report(`${field}.name`, 'is required', 'name the topic');
        const config = check.optionalObject(`${field}.config`, topic.config ?? { ...d.config }, keysOf(topic.config ?? d.config));
        for (const [key, value] of Object.entries(config)) {
          if (typeof value !== 'string') check.report(`${field}.config.${key}`, `expected a string, got ${describe(value)}`, `quote the value, e.g. "${String(value)}"`);
        }
        return {
          name: check.string(`${field}.name`, topic.name, '', TOPIC_NAME_PATTERN, 'use 1-249 letters, digits, dots, underscores or dashes'),
          partitions: check.bounded(`${field}.partitions`, topic.partitions, d.partitions, BOUNDS.topicPartitions, 'use at least 1 partition'),
          replicationFactor: check.bounded(`${field}.replicationFactor`, topic.replicationFactor, d.replicationFactor, BOUNDS.replicationFactor),
          config: config as Record<string, string>,
        };
      });
    }
  }
  topics.forEach((topic, index) => {
    const field = `streaming.topics[${index}]`;
    if (topic.name === '.' || topic.name === '..') check.report(`${field}.name`, `"${topic.name}" is reserved by Kafka`, 'pick another name');
    if (topics.findIndex((other) => other.name === topic.name) !== index) check.report(`${field}.name`, `"${topic.name}" is listed twice`, 'remove the duplicate');
    if (topic.replicationFactor > brokers) {
      check.report(`${field}.replicationFactor`, `${topic.replicationFactor} exceeds the ${brokers} brokers`, `use 1 to ${brokers} or add brokers (streaming.kafka.brokers)`);
    }
    const minIsrText = topic.config['min.insync.replicas'];
    if (minIsrText !== undefined) {
      const minIsr = Number(minIsrText);
      if (!Number.isInteger(minIsr) || minIsr < 1 || minIsr > topic.replicationFactor) {
        check.report(`${field}.config.min.insync.replicas`, `"${minIsrText}" must be a whole number from 1 to the replication factor (${topic.replicationFactor})`,
          `set it to at most ${topic.replicationFactor}, e.g. "${Math.min(2, topic.replicationFactor)}"`);
      }
    }
    if (production) checkProductionReplication(check, field, topic);
  });
  for (const required of REQUIRED_TOPICS) {
    if (!topics.some((topic) => topic.name === required)) {
      check.report('streaming.topics', `${required} is missing; the prediction service uses it`, `add a topic named ${required}`);
    }
  }
  return topics;
}
