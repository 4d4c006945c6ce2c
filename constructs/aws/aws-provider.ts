// The AWS provider of a platform stack: region, default tags on every taggable resource, the emulator profile, and
// the account it deploys into.
import { Construct } from 'constructs';
import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { emulatorProviderSettings, type EmulatorProfile } from './emulator-profile';

export interface PlatformAwsProviderProps {
  readonly region: string;
  /** Applied to every resource the provider tags (default_tags). */
  readonly tags: Record<string, string>;
  readonly emulator?: EmulatorProfile;
}

export class PlatformAwsProvider extends Construct {
  readonly provider: AwsProvider;
  /** The deploying account (for key policies and ARNs). */
  readonly accountId: string;

  constructor(scope: Construct, id: string, props: PlatformAwsProviderProps) {
    super(scope, id);
    this.provider = new AwsProvider(this, 'aws', {
      region: props.region,
      defaultTags: [{ tags: props.tags }],
      ...(props.emulator ? emulatorProviderSettings(props.emulator) : {}),
    });
    this.accountId = new DataAwsCallerIdentity(this, 'account').accountId;
  }
}
