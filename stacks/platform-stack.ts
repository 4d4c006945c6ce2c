// `platform-<env>`: the AWS platform of one environment (network, EKS, node pools, add-ons, access). Composition only.
import { Construct } from 'constructs';
import { TerraformOutput, TerraformStack } from 'cdktf';
import type { ResolvedEnvironment } from '../config/schema';
import { AdminSshAccess } from '../constructs/aws/admin-ssh-access';
import { PlatformAwsProvider } from '../constructs/aws/aws-provider';
import { ClusterAccess } from '../constructs/aws/cluster-access';
import { EbsCsiIdentity } from '../constructs/aws/ebs-csi-identity';
import { EksAddons } from '../constructs/aws/eks-addons';
import { EksControlPlane } from '../constructs/aws/eks-control-plane';
import { ignoreEmulatorDrift, isPartEnabled, type EmulatorProfile } from '../constructs/aws/emulator-profile';
import { partitionOf } from '../constructs/aws/iam-policies';
import { LogsEncryptionKey } from '../constructs/aws/logs-encryption-key';
import { Network } from '../constructs/aws/network';
import { NodePool } from '../constructs/aws/node-pool';
import { NodeRole } from '../constructs/aws/node-role';
import { configureStateBackend } from './backend';

export interface PlatformStackProps {
  readonly environment: ResolvedEnvironment;
  /** Targets a local AWS emulator instead of AWS (rehearsals); implies local state. */
  readonly emulator?: EmulatorProfile;
}

export const PUBLIC_AGENT_LABEL = { key: 'airline.io/pool', value: 'public-agents' };
export const PRIVATE_AGENT_LABEL = { key: 'airline.io/pool', value: 'private-agents' };
export const PUBLIC_AGENT_TAINT = { key: 'dedicated', value: 'public-agents', effect: 'NO_SCHEDULE' as const };

export function platformStackName(environmentName: string): string {
  return `platform-${environmentName}`;
}

export class PlatformStack extends TerraformStack {
  readonly network: Network;
  readonly controlPlane: EksControlPlane;
  readonly privateAgents: NodePool;
  readonly publicAgents?: NodePool;

  constructor(scope: Construct, id: string, props: PlatformStackProps) {
    super(scope, id);
    const { environment, emulator } = props;
    if (environment.target !== 'aws') throw new Error(`PlatformStack needs an environment with target "aws"; "${environment.name}" is "${environment.target}"`);
    const aws = environment.aws;
    const partition = partitionOf(aws.region);

    configureStateBackend(this, environment, id, { forceLocal: emulator !== undefined });
    const provider = new PlatformAwsProvider(this, 'provider', { region: aws.region, tags: environment.tags, emulator });
    if (emulator) ignoreEmulatorDrift(this);
    const logsKey = isPartEnabled(emulator, 'logs-encryption')
      ? new LogsEncryptionKey(this, 'logs-key', { name: aws.clusterName, region: aws.region, partition, accountId: provider.accountId })
      : undefined;

    this.network = new Network(this, 'network', {
      name: aws.clusterName,
      clusterName: aws.clusterName,
      vpcCidr: aws.vpcCidr,
      availabilityZones: aws.availabilityZones,
      publicSubnetCidrs: aws.publicSubnetCidrs,
      privateSubnetCidrs: aws.privateSubnetCidrs,
      natMode: aws.natMode,
      flowLogs: aws.flowLogs && isPartEnabled(emulator, 'flow-logs') ? { retentionDays: aws.logRetentionDays, kmsKeyArn: logsKey?.keyArn } : undefined,
    });

    this.controlPlane = new EksControlPlane(this, 'control-plane', {
      clusterName: aws.clusterName,
      kubernetesVersion: aws.kubernetesVersion,
      subnetIds: this.network.privateSubnetIds,
      publicAccessCidrs: aws.adminCidrs,
      logRetentionDays: aws.logRetentionDays,
      logsKmsKeyArn: logsKey?.keyArn,
      partition,
      accountId: provider.accountId,
    });
    const clusterName = this.controlPlane.clusterName;

    if (isPartEnabled(emulator, 'eks-access-entries')) {
      new ClusterAccess(this, 'cluster-access', { clusterName, adminRoleArns: aws.clusterAdminRoleArns, partition });
    }

    const nodeRole = new NodeRole(this, 'node-role', { clusterName: aws.clusterName, partition });
    const adminSsh = aws.sshKeyName === undefined ? undefined
      : new AdminSshAccess(this, 'admin-ssh', { name: aws.clusterName, vpcId: this.network.vpcId, adminCidrs: aws.adminCidrs });
    const commonPool = {
      clusterName,
      namePrefix: aws.clusterName,
      kubernetesVersion: aws.kubernetesVersion,
      nodeRoleArn: nodeRole.roleArn,
      instanceTags: environment.tags,
      sshKeyName: aws.sshKeyName,
      securityGroupIds: adminSsh ? [this.controlPlane.clusterSecurityGroupId, adminSsh.securityGroupId] : undefined,
      dependsOn: nodeRole.policyAttachments,
    };
    this.privateAgents = new NodePool(this, 'private-agents', {
      ...commonPool,
      poolName: 'private-agents',
      subnetIds: this.network.privateSubnetIds,
      count: aws.privateAgents.count,
      instanceType: aws.privateAgents.instanceType,
      diskGiB: aws.privateAgents.diskGiB,
      labels: { [PRIVATE_AGENT_LABEL.key]: PRIVATE_AGENT_LABEL.value },
    });
    if (aws.publicAgents.count > 0) {
      this.publicAgents = new NodePool(this, 'public-agents', {
        ...commonPool,
        poolName: 'public-agents',
        subnetIds: this.network.publicSubnetIds,
        count: aws.publicAgents.count,
        instanceType: aws.publicAgents.instanceType,
        diskGiB: aws.publicAgents.diskGiB,
        labels: { [PUBLIC_AGENT_LABEL.key]: PUBLIC_AGENT_LABEL.value },
        taints: [PUBLIC_AGENT_TAINT],
      });
    }

    new EbsCsiIdentity(this, 'ebs-csi-identity', { clusterName, namePrefix: aws.clusterName, partition, bindWithPodIdentity: isPartEnabled(emulator, 'eks-pod-identity') });
    if (isPartEnabled(emulator, 'eks-addons')) {
      new EksAddons(this, 'addons', { clusterName, dependsOn: [this.privateAgents.nodeGroup, ...(this.publicAgents ? [this.publicAgents.nodeGroup] : [])] });
    }

    const outputs: Record<string, { value: string | string[]; description: string; sensitive?: boolean }> = {
      region: { value: aws.region, description: 'AWS region' },
      cluster_name: { value: clusterName, description: 'EKS cluster name' },
      cluster_endpoint: { value: this.controlPlane.endpoint, description: 'Kubernetes API endpoint' },
      cluster_certificate_authority: { value: this.controlPlane.certificateAuthorityData, description: 'Cluster CA (base64 PEM)' },
      cluster_oidc_issuer: { value: this.controlPlane.oidcIssuerUrl, description: 'OIDC issuer URL' },
      cluster_security_group_id: { value: this.controlPlane.clusterSecurityGroupId, description: 'Security group of the control plane and nodes' },
      vpc_id: { value: this.network.vpcId, description: 'VPC id' },
      public_subnet_ids: { value: this.network.publicSubnetIds, description: 'Public subnets, one per AZ' },
      private_subnet_ids: { value: this.network.privateSubnetIds, description: 'Private subnets, one per AZ' },
    };
    for (const [name, output] of Object.entries(outputs)) new TerraformOutput(this, name, output);
  }
}
