// Writes a Terraform override file that points a synthesized stack's required_providers at the provider versions
// the local mirror holds, when those differ from the versions the cdktf bindings pin. The synthesized JSON itself
// is never edited: `*_override.tf.json` is Terraform's own merge mechanism, so the substitution is visible as one
// small file and disappears with the temporary working copy.
//
// Usage: tsx tools/terraform/provider-override.ts STACK_DIR aws=6.48.0-dev kubernetes=3.2.2-dev
// Prints one line per substituted provider ("aws: 6.25.0 -> 6.48.0-dev") on stderr.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const OVERRIDE_FILE_NAME = 'mirror_provider_versions_override.tf.json';

export interface RequiredProvider {
  source: string;
  version?: string;
}

export interface ProviderSubstitution {
  name: string;
  pinned: string | undefined;
  mirror: string;
}

export interface ProviderOverride {
  /** The override document, or undefined when every required provider already matches the mirror. */
  document: { terraform: { required_providers: Record<string, RequiredProvider> } } | undefined;
  substitutions: ProviderSubstitution[];
}

/** Parses `aws=6.48.0-dev` style arguments; rejects anything else. */
export function parseMirrorVersions(args: string[]): Map<string, string> {
  const versions = new Map<string, string>();
  for (const arg of args) {
    const match = /^([a-z0-9-]+)=(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)$/.exec(arg);
    if (!match) {
      throw new Error(`bad mirror version '${arg}': expected NAME=MAJOR.MINOR.PATCH[-PRERELEASE], e.g. aws=6.48.0-dev`);
    }
    versions.set(match[1]!, match[2]!);
  }
  return versions;
}

/**
 * Builds the override for one stack. Every provider the stack requires must be in the mirror: a provider missing
 * from it would make `init` fail later with a less clear message, so it is an error here.
 */
export function providerVersionOverride(stackJson: unknown, mirrorVersions: Map<string, string>): ProviderOverride {
  const required = requiredProviders(stackJson);
  const overridden: Record<string, RequiredProvider> = {};
  const substitutions: ProviderSubstitution[] = [];
  for (const [name, requirement] of Object.entries(required)) {
    const mirror = mirrorVersions.get(name);
    if (mirror === undefined) {
      throw new Error(
        `the stack requires provider '${name}' (${requirement.source}), which the mirror does not hold; ` +
          `add it to TF_PROVIDERS in tools/terraform/lib.sh`,
      );
    }
    if (requirement.version === mirror) continue;
    overridden[name] = { source: requirement.source, version: mirror };
    substitutions.push({ name, pinned: requirement.version, mirror });
  }
  return {
    document: substitutions.length > 0 ? { terraform: { required_providers: overridden } } : undefined,
    substitutions,
  };
}

function requiredProviders(stackJson: unknown): Record<string, RequiredProvider> {
  const terraform = (stackJson as { terraform?: { required_providers?: unknown } } | null)?.terraform;
  const required = terraform?.required_providers;
  if (required === undefined) return {};
  if (typeof required !== 'object' || required === null || Array.isArray(required)) {
    throw new Error('terraform.required_providers is not an object');
  }
  const result: Record<string, RequiredProvider> = {};
  for (const [name, value] of Object.entries(required as Record<string, unknown>)) {
    const entry = value as { source?: unknown; version?: unknown };
    if (typeof entry?.source !== 'string') {
      throw new Error(`terraform.required_providers.${name} has no source`);
    }
    result[name] = {
      source: entry.source,
      ...(typeof entry.version === 'string' ? { version: entry.version } : {}),
    };
  }
  return result;
}

function main(argv: string[]): void {
  const [stackDir, ...versionArgs] = argv;
  if (!stackDir || versionArgs.length === 0) {
    throw new Error('usage: provider-override.ts STACK_DIR NAME=VERSION...');
  }
  const stackJson: unknown = JSON.parse(readFileSync(join(stackDir, 'cdk.tf.json'), 'utf8'));
  const { document, substitutions } = providerVersionOverride(stackJson, parseMirrorVersions(versionArgs));
  for (const s of substitutions) {
    process.stderr.write(`${s.name}: ${s.pinned ?? '(any)'} -> ${s.mirror}\n`);
  }
  if (document) writeFileSync(join(stackDir, OVERRIDE_FILE_NAME), `${JSON.stringify(document, null, 2)}\n`);
}

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`provider-override: ${(error as Error).message}\n`);
    process.exit(1);
  }
}
