// Small IAM helpers shared by the AWS constructs.

/** The AWS partition of a region, for managed-policy ARNs. */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

export function managedPolicyArn(partition: string, policyName: string): string {
  return `arn:${partition}:iam::aws:policy/${policyName}`;
}

/** A trust policy letting an AWS service principal assume the role. */
export function serviceTrustPolicy(servicePrincipal: string, actions: string[] = ['sts:AssumeRole']): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { Service: servicePrincipal }, Action: actions }],
  });
}
