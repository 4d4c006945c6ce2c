// One managed node group with its launch template (the template's private- or public-agent ASG).
import { Construct } from 'constructs';
import type { ITerraformDependable } from 'cdktf';
import { EksNodeGroup } from '@cdktf/provider-aws/lib/eks-node-group';
import { LaunchTemplate } from '@cdktf/provider-aws/lib/launch-template';
import { settingError } from '../../contracts/config-error';
import { instanceTypeProblem } from '../../contracts/ec2-instance-types';

export interface NodeTaint {
  readonly key: string;
  readonly value: string;
  readonly effect: 'NO_SCHEDULE' | 'NO_EXECUTE' | 'PREFER_NO_SCHEDULE';
}

export interface NodePoolProps {
  /** Node group name, e.g. `private-agents`. */
  readonly poolName: string;
  /** The cluster's name as an attribute of the cluster resource, so the group waits for the cluster. */
  readonly clusterName: string;
  /** Plain-string prefix for resource names; default clusterName. */
  readonly namePrefix?: string;
  readonly kubernetesVersion: string;
  readonly subnetIds: string[];
  readonly nodeRoleArn: string;
  readonly count: number;
  readonly instanceType: string;
  readonly diskGiB: number;
  /** Tags for the instances, volumes and network interfaces the node group launches (default_tags miss them). */
  readonly instanceTags: Record<string, string>;
  readonly labels?: Record<string, string>;
  readonly taints?: NodeTaint[];
  /** EC2 key pair for SSH; none by default. */
  readonly sshKeyName?: string;
  /** Security groups for the nodes; when set it must include the cluster security group (EKS adds it only when unset). */
  readonly securityGroupIds?: string[];
  /**
   * 1 (default) keeps IMDS, and so the node role's credentials, away from pods without host networking: they get AWS
   * credentials through Pod Identity instead. 2 lets every pod reach IMDS.
   */
  readonly imdsHopLimit?: 1 | 2;
  readonly amiType?: string;
  readonly dependsOn?: ITerraformDependable[];
}

export const NODE_POOL_DEFAULTS = {
  imdsHopLimit: 1 as 1 | 2,
  amiType: 'AL2023_x86_64_STANDARD',
  rootDeviceName: '/dev/xvda',
  maxUnavailable: 1,
};

export class NodePool extends Construct {
  readonly nodeGroup: EksNodeGroup;
  readonly nodeGroupName: string;
  readonly nodeGroupArn: string;
  readonly launchTemplateId: string;

  constructor(scope: Construct, id: string, props: NodePoolProps) {
    super(scope, id);
    if (!Number.isInteger(props.count) || props.count < 1) {
      throw settingError(`NodePool(${props.poolName}).count`, `${props.count} is not a node count`, 'use a whole number of at least 1 (leave the pool out for none)');
    }
    const instanceType = instanceTypeProblem(props.instanceType);
    if (instanceType) throw settingError(`NodePool(${props.poolName}).instanceType`, instanceType.problem, instanceType.fix);
    const baseName = `${props.namePrefix ?? props.clusterName}-${props.poolName}`;
    const instanceTags = { ...props.instanceTags, Name: baseName };

    const launchTemplate = new LaunchTemplate(this, 'launch-template', {
      namePrefix: `${baseName}-`,
      description: `Nodes of ${baseName}`,
      updateDefaultVersion: true,
      keyName: props.sshKeyName,
      vpcSecurityGroupIds: props.securityGroupIds,
      metadataOptions: {
        httpEndpoint: 'enabled',
        httpTokens: 'required',
        httpPutResponseHopLimit: props.imdsHopLimit ?? NODE_POOL_DEFAULTS.imdsHopLimit,
      },
      blockDeviceMappings: [{
        deviceName: NODE_POOL_DEFAULTS.rootDeviceName,
        ebs: { volumeSize: props.diskGiB, volumeType: 'gp3', encrypted: 'true', deleteOnTermination: 'true' },
      }],
      tagSpecifications: ['instance', 'volume', 'network-interface'].map((resourceType) => ({ resourceType, tags: instanceTags })),
      tags: { Name: baseName },
    });

    const nodeGroup = this.nodeGroup = new EksNodeGroup(this, 'node-group', {
      clusterName: props.clusterName,
      nodeGroupName: props.poolName,
      version: props.kubernetesVersion,
      nodeRoleArn: props.nodeRoleArn,
      subnetIds: props.subnetIds,
      amiType: props.amiType ?? NODE_POOL_DEFAULTS.amiType,
      instanceTypes: [props.instanceType],
      // A fixed size, like the template's agent ASGs.
      scalingConfig: { desiredSize: props.count, minSize: props.count, maxSize: props.count },
      updateConfig: { maxUnavailable: NODE_POOL_DEFAULTS.maxUnavailable },
      launchTemplate: { id: launchTemplate.id, version: launchTemplate.latestVersion.toString() },
      labels: props.labels,
      taint: props.taints,
      dependsOn: props.dependsOn,
    });

    this.nodeGroupName = nodeGroup.nodeGroupName;
    this.nodeGroupArn = nodeGroup.arn;
    this.launchTemplateId = launchTemplate.id;
  }
}
