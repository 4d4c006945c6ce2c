// The EBS CSI driver's AWS identity: an IAM role bound to its controller service account by EKS Pod Identity.
import { Construct } from 'constructs';
import { EksPodIdentityAssociation } from '@cdktf/provider-aws/lib/eks-pod-identity-association';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import { managedPolicyArn, serviceTrustPolicy } from './iam-policies';

export interface EbsCsiIdentityProps {
  readonly clusterName: string;
  /** Plain-string prefix for the role name; default clusterName. */
  readonly namePrefix?: string;
  readonly partition: string;
  /** Off when the target (an emulator) lacks Pod Identity; the role is still created. */
  readonly bindWithPodIdentity?: boolean;
}

export const EBS_CSI_SERVICE_ACCOUNT = { namespace: 'kube-system', name: 'ebs-csi-controller-sa' };

export class EbsCsiIdentity extends Construct {
  readonly roleArn: string;

  constructor(scope: Construct, id: string, props: EbsCsiIdentityProps) {
    super(scope, id);
    const role = new IamRole(this, 'role', {
      name: `${props.namePrefix ?? props.clusterName}-ebs-csi`,
      assumeRolePolicy: serviceTrustPolicy('pods.eks.amazonaws.com', ['sts:AssumeRole', 'sts:TagSession']),
    });
    new IamRolePolicyAttachment(this, 'driver-policy', {
      role: role.name,
      policyArn: managedPolicyArn(props.partition, 'service-role/AmazonEBSCSIDriverPolicy'),
    });
    if (props.bindWithPodIdentity ?? true) {
      new EksPodIdentityAssociation(this, 'association', {
        clusterName: props.clusterName,
        namespace: EBS_CSI_SERVICE_ACCOUNT.namespace,
        serviceAccount: EBS_CSI_SERVICE_ACCOUNT.name,
        roleArn: role.arn,
      });
    }
    this.roleArn = role.arn;
  }
}
