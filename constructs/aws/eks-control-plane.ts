// The EKS control plane (the template's masters, their ELBs and Exhibitor bucket): cluster IAM role, KMS key for
// secrets encryption, control-plane log group, and the cluster with a private endpoint plus a public endpoint open
// only to the admin CIDRs.
import { Construct } from 'constructs';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { EksCluster } from '@cdktf/provider-aws/lib/eks-cluster';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { suppressCheckovCheck } from '../checkov';
import { managedPolicyArn, serviceTrustPolicy } from './iam-policies';
import { accountAdministersKey, keyPolicy } from './kms-key-policy';
import { suppressShortRetention } from './log-retention';

export interface EksControlPlaneProps {
  readonly clusterName: string;
  readonly kubernetesVersion: string;
  /** Subnets for the control plane's network interfaces (the private ones). */
  readonly subnetIds: string[];
  /** Who may reach the public API endpoint (the template's AdminLocation). */
  readonly publicAccessCidrs: string[];
  readonly logRetentionDays: number;
  readonly partition: string;
  readonly accountId: string;
  /** KMS key for the control-plane log group; AWS-managed encryption when unset. */
  readonly logsKmsKeyArn?: string;
  readonly logTypes?: string[];
  readonly kmsDeletionWindowDays?: number;
}

export const EKS_CONTROL_PLANE_DEFAULTS = {
  logTypes: ['api', 'audit', 'authenticator'],
  kmsDeletionWindowDays: 7,
};

export class EksControlPlane extends Construct {
  readonly cluster: EksCluster;
  readonly clusterName: string;
  readonly endpoint: string;
  readonly certificateAuthorityData: string;
  readonly oidcIssuerUrl: string;
  /** The security group EKS creates for the control plane and managed nodes. */
  readonly clusterSecurityGroupId: string;
  readonly secretsKeyArn: string;
  readonly logGroupName: string;

  constructor(scope: Construct, id: string, props: EksControlPlaneProps) {
    super(scope, id);
    const logTypes = props.logTypes ?? EKS_CONTROL_PLANE_DEFAULTS.logTypes;

    const role = new IamRole(this, 'cluster-role', {
      name: `${props.clusterName}-cluster`,
      assumeRolePolicy: serviceTrustPolicy('eks.amazonaws.com', ['sts:AssumeRole', 'sts:TagSession']),
    });
    const clusterPolicy = new IamRolePolicyAttachment(this, 'cluster-policy', {
      role: role.name,
      policyArn: managedPolicyArn(props.partition, 'AmazonEKSClusterPolicy'),
    });

    const secretsKey = new KmsKey(this, 'secrets-key', {
      description: `Encrypts Kubernetes secrets of EKS cluster ${props.clusterName}`,
      enableKeyRotation: true,
      deletionWindowInDays: props.kmsDeletionWindowDays ?? EKS_CONTROL_PLANE_DEFAULTS.kmsDeletionWindowDays,
      // EKS uses the key through a grant made with the creator's IAM permissions.
      policy: keyPolicy([accountAdministersKey(props)]),
    });
    new KmsAlias(this, 'secrets-key-alias', { name: `alias/${props.clusterName}-eks-secrets`, targetKeyId: secretsKey.keyId });

    // Created here (not by EKS on first log) so it carries tags and retention and is destroyed with the stack.
    const logGroup = new CloudwatchLogGroup(this, 'log-group', {
      name: `/aws/eks/${props.clusterName}/cluster`,
      retentionInDays: props.logRetentionDays,
      kmsKeyId: props.logsKmsKeyArn,
    });
    suppressShortRetention(logGroup, props.logRetentionDays);

    this.cluster = new EksCluster(this, 'cluster', {
      name: props.clusterName,
      version: props.kubernetesVersion,
      roleArn: role.arn,
      enabledClusterLogTypes: logTypes,
      vpcConfig: {
        subnetIds: props.subnetIds,
        endpointPrivateAccess: true,
        endpointPublicAccess: true,
        publicAccessCidrs: props.publicAccessCidrs,
      },
      encryptionConfig: { resources: ['secrets'], provider: { keyArn: secretsKey.arn } },
      accessConfig: { authenticationMode: 'API', bootstrapClusterCreatorAdminPermissions: true },
      dependsOn: [clusterPolicy, logGroup],
    });
    suppressCheckovCheck(this.cluster, 'CKV_AWS_39',
      'The public endpoint is open only to the admin CIDRs (public_access_cidrs, validated: never 0.0.0.0/0 in prod) so platform teams can deploy from their office/VPN; nodes use the private endpoint.');
    if (!['api', 'audit', 'authenticator', 'controllerManager', 'scheduler'].every((type) => logTypes.includes(type))) {
      suppressCheckovCheck(this.cluster, 'CKV_AWS_37',
        `Control-plane log types are chosen (${logTypes.join(', ')}): who called the API and how they authenticated; controller-manager and scheduler logs cost more than they tell on a managed control plane.`);
    }

    this.clusterName = this.cluster.name;
    this.endpoint = this.cluster.endpoint;
    this.certificateAuthorityData = this.cluster.certificateAuthority.get(0).data;
    this.oidcIssuerUrl = this.cluster.identity.get(0).oidc.get(0).issuer;
    this.clusterSecurityGroupId = this.cluster.vpcConfig.clusterSecurityGroupId;
    this.secretsKeyArn = secretsKey.arn;
    this.logGroupName = logGroup.name;
  }
}
