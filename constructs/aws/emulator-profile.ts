// The emulator profile: everything that changes when the platform stack targets a local AWS emulator (moto) for a
// deploy/teardown rehearsal instead of AWS. One explicit object; nothing else in the code checks for an emulator.
import { Aspects, TerraformResource, type IAspect } from 'cdktf';
import type { IConstruct } from 'constructs';
import { ConfigError } from '../../config/errors';

/** Parts of the platform an emulator may lack; each can be switched off by name. Add names here. */
export const EMULATOR_OPTIONAL_PARTS = ['eks-addons', 'eks-access-entries', 'eks-pod-identity', 'flow-logs', 'logs-encryption'] as const;
export type EmulatorOptionalPart = (typeof EMULATOR_OPTIONAL_PARTS)[number];

/** What moto lacks (EKS add-ons, access entries and Pod Identity associations are not implemented there). */
export const MOTO_DISABLED_PARTS: readonly EmulatorOptionalPart[] = ['eks-addons', 'eks-access-entries', 'eks-pod-identity'];

/** The AWS services the platform stack calls; each gets the emulator endpoint. */
export const PLATFORM_AWS_SERVICES = ['ec2', 'eks', 'iam', 'kms', 'logs', 'sts'] as const;

export interface EmulatorProfile {
  /** Base URL of the emulator, e.g. http://127.0.0.1:5000. */
  readonly endpoint: string;
  readonly disabledParts: ReadonlySet<EmulatorOptionalPart>;
}

export interface EmulatorEnvironmentVariables {
  /** Turns the profile on. */
  AWS_EMULATOR_ENDPOINT?: string;
  /** Comma-separated parts to switch off instead of MOTO_DISABLED_PARTS; `none` switches nothing off. */
  AWS_EMULATOR_DISABLE?: string;
}

function issue(field: string, problem: string, fix: string): ConfigError {
  return new ConfigError([{ environment: '', field, problem, fix }]);
}

export function createEmulatorProfile(endpoint: string, disabledParts: readonly EmulatorOptionalPart[] = MOTO_DISABLED_PARTS): EmulatorProfile {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw issue('AWS_EMULATOR_ENDPOINT', `"${endpoint}" is not a URL`, 'use e.g. http://127.0.0.1:5000');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw issue('AWS_EMULATOR_ENDPOINT', `"${endpoint}" is not an http(s) URL`, 'use e.g. http://127.0.0.1:5000');
  }
  return { endpoint: endpoint.replace(/\/+$/, ''), disabledParts: new Set(disabledParts) };
}

/** The profile from environment variables, or undefined when no emulator is configured. */
export function emulatorProfileFromEnvironment(variables: EmulatorEnvironmentVariables = process.env): EmulatorProfile | undefined {
  const endpoint = variables.AWS_EMULATOR_ENDPOINT;
  if (endpoint === undefined || endpoint === '') return undefined;
  const listed = variables.AWS_EMULATOR_DISABLE;
  if (listed === undefined || listed === '') return createEmulatorProfile(endpoint);
  if (listed.trim() === 'none') return createEmulatorProfile(endpoint, []);
  const names = listed.split(',').map((name) => name.trim()).filter((name) => name !== '');
  const unknown = names.filter((name) => !(EMULATOR_OPTIONAL_PARTS as readonly string[]).includes(name));
  if (unknown.length > 0) {
    throw issue('AWS_EMULATOR_DISABLE', `unknown part(s) ${unknown.join(', ')}`, `use a comma-separated list of: ${EMULATOR_OPTIONAL_PARTS.join(', ')}, or none`);
  }
  return createEmulatorProfile(endpoint, names as EmulatorOptionalPart[]);
}

/** True unless the emulator profile switches the part off. */
export function isPartEnabled(profile: EmulatorProfile | undefined, part: EmulatorOptionalPart): boolean {
  return profile === undefined || !profile.disabledParts.has(part);
}

/** Provider settings that point every used service at the emulator and skip AWS-only checks. */
export function emulatorProviderSettings(profile: EmulatorProfile) {
  const endpoints: Record<string, string> = {};
  for (const service of PLATFORM_AWS_SERVICES) endpoints[service] = profile.endpoint;
  return {
    accessKey: 'test',
    secretKey: 'test',
    skipCredentialsValidation: true,
    skipRequestingAccountId: true,
    skipMetadataApiCheck: 'true',
    s3UsePathStyle: true,
    endpoints: [endpoints],
  };
}

// ---- added by the rehearsal (tools/terraform/rehearse.sh) ----
/**
 * Attributes moto reports differently from what was applied: fields it does not model (EKS access_config,
 * node group update_config), defaults it invents (node group remote_access with key "eksKeypair") and the
 * launch template's own tag specification it echoes back. Without these a second plan against moto wants to replace
 * the cluster and node groups. Ignored only under the emulator profile; never on AWS.
 */
export const EMULATOR_IGNORED_CHANGES: Readonly<Record<string, readonly string[]>> = {
  aws_eks_cluster: ['access_config'],
  aws_eks_node_group: ['remote_access', 'update_config'],
  aws_launch_template: ['tag_specifications'],
};

class EmulatorIgnoredChanges implements IAspect {
  visit(node: IConstruct): void {
    if (!(node instanceof TerraformResource)) return;
    const ignored = EMULATOR_IGNORED_CHANGES[node.terraformResourceType];
    if (ignored) node.addOverride('lifecycle.ignore_changes', [...ignored]);
  }
}

/** Adds the emulator's lifecycle ignore_changes to every affected resource under `scope`. */
export function ignoreEmulatorDrift(scope: IConstruct): void {
  Aspects.of(scope).add(new EmulatorIgnoredChanges());
}
