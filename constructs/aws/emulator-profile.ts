// What the emulator profile (config/emulator.ts) changes in the platform stack when it targets a local AWS emulator
// (moto) for a deploy/teardown rehearsal instead of AWS. Nothing else in the code checks for an emulator.
import { Aspects, TerraformResource, type IAspect } from 'cdktf';
import type { IConstruct } from 'constructs';
import type { EmulatorOptionalPart, EmulatorProfile } from '../../config/emulator';

export type { EmulatorProfile } from '../../config/emulator';

/** The AWS services the platform stack calls; each gets the emulator endpoint. */
export const PLATFORM_AWS_SERVICES = ['ec2', 'eks', 'iam', 'kms', 'logs', 'sts'] as const;

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
