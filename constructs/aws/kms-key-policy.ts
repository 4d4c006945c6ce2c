// KMS key policies written out (instead of KMS's implicit default) so who may use each key is visible in review.

export interface KeyPolicyContext {
  readonly partition: string;
  readonly accountId: string;
}

/** The account's IAM policies decide who administers and uses the key (what KMS's default policy grants). */
export function accountAdministersKey(context: KeyPolicyContext) {
  return {
    Sid: 'AccountIamPoliciesControlTheKey',
    Effect: 'Allow',
    Principal: { AWS: `arn:${context.partition}:iam::${context.accountId}:root` },
    Action: 'kms:*',
    Resource: '*',
  };
}

export function keyPolicy(statements: object[]): string {
  return JSON.stringify({ Version: '2012-10-17', Statement: statements });
}
