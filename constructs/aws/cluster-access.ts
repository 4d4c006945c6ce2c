// Cluster-admin access for IAM roles through EKS access entries (the creator is admin through the cluster's
// bootstrap setting).
import { Construct } from 'constructs';
import { EksAccessEntry } from '@cdktf/provider-aws/lib/eks-access-entry';
import { EksAccessPolicyAssociation } from '@cdktf/provider-aws/lib/eks-access-policy-association';

export interface ClusterAccessProps {
  readonly clusterName: string;
  readonly adminRoleArns: string[];
  readonly partition: string;
}

export class ClusterAccess extends Construct {
  readonly adminPrincipalArns: string[];

  constructor(scope: Construct, id: string, props: ClusterAccessProps) {
    super(scope, id);
    const policyArn = `arn:${props.partition}:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy`;
    props.adminRoleArns.forEach((principalArn, index) => {
      const entry = new EksAccessEntry(this, `admin-${index}`, { clusterName: props.clusterName, principalArn, type: 'STANDARD' });
      new EksAccessPolicyAssociation(this, `admin-${index}-policy`, {
        clusterName: props.clusterName,
        principalArn: entry.principalArn,
        policyArn,
        accessScope: { type: 'cluster' },
      });
    });
    this.adminPrincipalArns = [...props.adminRoleArns];
  }
}
