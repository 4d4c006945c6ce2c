// The emulator profile: a platform stack aimed at a local AWS emulator (moto) for a deploy/teardown rehearsal,
// read from environment variables at the stack edge (main.ts). constructs/aws/emulator-profile.ts applies it.
import { settingError } from '../contracts/config-error';

/** Parts of the platform an emulator may lack; each can be switched off by name. Add names here. */
export const EMULATOR_OPTIONAL_PARTS = ['eks-addons', 'eks-access-entries', 'eks-pod-identity', 'flow-logs', 'logs-encryption'] as const;
export type EmulatorOptionalPart = (typeof EMULATOR_OPTIONAL_PARTS)[number];

/** What moto lacks (EKS add-ons, access entries and Pod Identity associations are not implemented there). */
export const MOTO_DISABLED_PARTS: readonly EmulatorOptionalPart[] = ['eks-addons', 'eks-access-entries', 'eks-pod-identity'];

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

export function createEmulatorProfile(endpoint: string, disabledParts: readonly EmulatorOptionalPart[] = MOTO_DISABLED_PARTS): EmulatorProfile {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw settingError('AWS_EMULATOR_ENDPOINT', `"${endpoint}" is not a URL`, 'use e.g. http://127.0.0.1:5000');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw settingError('AWS_EMULATOR_ENDPOINT', `"${endpoint}" is not an http(s) URL`, 'use e.g. http://127.0.0.1:5000');
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
    throw settingError('AWS_EMULATOR_DISABLE', `unknown part(s) ${unknown.join(', ')}`, `use a comma-separated list of: ${EMULATOR_OPTIONAL_PARTS.join(', ')}, or none`);
  }
  return createEmulatorProfile(endpoint, names as EmulatorOptionalPart[]);
}
