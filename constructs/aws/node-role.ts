// The IAM role the agent nodes run as (the template's agent IAM role): worker, CNI and ECR read policies.
import { Construct } from 'constructs';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import { managedPolicyArn, serviceTrustPolicy } from './iam-policies';

export interface NodeRoleProps {
  readonly clusterName: string;
  readonly partition: string;
}

export const NODE_ROLE_POLICIES = ['AmazonEKSWorkerNodePolicy', 'AmazonEKS_CNI_Policy', 'AmazonEC2ContainerRegistryReadOnly'];

export class NodeRole extends Construct {
  readonly roleArn: string;
  /** Node groups depend on these so the policies outlive the nodes on destroy. */
  readonly policyAttachments: IamRolePolicyAttachment[];

  constructor(scope: Construct, id: string, props: NodeRoleProps) {
    super(scope, id);
    const role = new IamRole(this, 'role', {
      name: `${props.clusterName}-node`,
      assumeRolePolicy: serviceTrustPolicy('ec2.amazonaws.com'),
    });
    this.policyAttachments = NODE_ROLE_POLICIES.map((policy) => new IamRolePolicyAttachment(this, policy, {
      role: role.name,
      policyArn: managedPolicyArn(props.partition, policy),
    }));
    this.roleArn = role.arn;
  }
}
