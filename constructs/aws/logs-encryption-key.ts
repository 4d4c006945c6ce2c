// The KMS key that encrypts the platform's CloudWatch log groups (control plane, flow logs).
import { Construct } from 'constructs';
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { accountAdministersKey, keyPolicy } from './kms-key-policy';

export interface LogsEncryptionKeyProps {
  readonly name: string;
  readonly region: string;
  readonly partition: string;
  readonly accountId: string;
  readonly deletionWindowDays?: number;
}

export class LogsEncryptionKey extends Construct {
  readonly keyArn: string;

  constructor(scope: Construct, id: string, props: LogsEncryptionKeyProps) {
    super(scope, id);
    const key = new KmsKey(this, 'key', {
      description: `Encrypts the CloudWatch log groups of ${props.name}`,
      enableKeyRotation: true,
      deletionWindowInDays: props.deletionWindowDays ?? 7,
      policy: keyPolicy([
        accountAdministersKey(props),
        {
          Sid: 'CloudWatchLogsUsesTheKeyForThisAccountsLogGroups',
          Effect: 'Allow',
          Principal: { Service: `logs.${props.region}.amazonaws.com` },
          Action: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
          Resource: '*',
          Condition: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:${props.partition}:logs:${props.region}:${props.accountId}:log-group:*` } },
        },
      ]),
    });
    new KmsAlias(this, 'alias', { name: `alias/${props.name}-logs`, targetKeyId: key.keyId });
    this.keyArn = key.arn;
  }
}
