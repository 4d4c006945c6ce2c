// The VPC: public and private subnets per AZ, internet gateway, NAT gateway(s), route tables, a locked default
// security group and optional flow logs. (The template's VPC, subnets, IGW, NAT instance and route tables.)
import { Construct } from 'constructs';
import { Fn } from 'cdktf';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { DataAwsAvailabilityZones } from '@cdktf/provider-aws/lib/data-aws-availability-zones';
import { DefaultSecurityGroup } from '@cdktf/provider-aws/lib/default-security-group';
import { Eip } from '@cdktf/provider-aws/lib/eip';
import { FlowLog } from '@cdktf/provider-aws/lib/flow-log';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { InternetGateway } from '@cdktf/provider-aws/lib/internet-gateway';
import { NatGateway } from '@cdktf/provider-aws/lib/nat-gateway';
import { Route } from '@cdktf/provider-aws/lib/route';
import { RouteTable } from '@cdktf/provider-aws/lib/route-table';
import { RouteTableAssociation } from '@cdktf/provider-aws/lib/route-table-association';
import { Subnet } from '@cdktf/provider-aws/lib/subnet';
import { Vpc } from '@cdktf/provider-aws/lib/vpc';
import type { NatMode } from '../../config/schema';
import { settingError } from '../../contracts/config-error';
import { suppressCheckovCheck } from '../checkov';
import { serviceTrustPolicy } from './iam-policies';
import { suppressShortRetention } from './log-retention';

export interface NetworkProps {
  /** Prefix of resource names, e.g. the cluster name. */
  readonly name: string;
  readonly vpcCidr: string;
  /** One per AZ, in AZ order. */
  readonly publicSubnetCidrs: string[];
  readonly privateSubnetCidrs: string[];
  /** `single`: one NAT gateway for all AZs (cheaper); `per-az`: one per AZ (survives an AZ outage). */
  readonly natMode?: NatMode;
  /**
   * AZ names, one per subnet pair. Default: the region's available zones by position (aws_availability_zones), which
   * can shift when AWS changes a zone's state; explicit names pin them.
   */
  readonly availabilityZones?: string[];
  /** EKS cluster whose load balancers and nodes use these subnets (subnet discovery tags). */
  readonly clusterName: string;
  /** VPC flow logs to CloudWatch Logs, encrypted with the given KMS key when set; off when undefined. */
  readonly flowLogs?: { readonly retentionDays: number; readonly kmsKeyArn?: string };
}

const NETWORK_DEFAULTS = { natMode: 'single' as NatMode };

export class Network extends Construct {
  readonly vpcId: string;
  readonly publicSubnetIds: string[];
  readonly privateSubnetIds: string[];
  readonly natGatewayIds: string[];
  /** AZ names as Terraform expressions, in subnet order. */
  readonly availabilityZones: string[];
  readonly flowLogGroupName?: string;

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    const natMode = props.natMode ?? NETWORK_DEFAULTS.natMode;
    if (props.publicSubnetCidrs.length !== props.privateSubnetCidrs.length || props.publicSubnetCidrs.length < 2) {
      throw settingError('Network.publicSubnetCidrs', `${props.publicSubnetCidrs.length} public and ${props.privateSubnetCidrs.length} private subnet CIDRs`,
        'give one public and one private subnet CIDR per AZ, for at least two AZs');
    }
    const clusterTag = { [`kubernetes.io/cluster/${props.clusterName}`]: 'shared' };

    if (props.availabilityZones && props.availabilityZones.length !== props.publicSubnetCidrs.length) {
      throw settingError('Network.availabilityZones', `${props.availabilityZones.length} zone names for ${props.publicSubnetCidrs.length} subnet pairs`, 'give one availability zone name per subnet pair');
    }
    this.availabilityZones = props.availabilityZones ?? this.zonesByPosition(props.publicSubnetCidrs.length);

    const vpc = new Vpc(this, 'vpc', {
      cidrBlock: props.vpcCidr,
      enableDnsHostnames: true,
      enableDnsSupport: true,
      tags: { Name: props.name },
    });
    this.vpcId = vpc.id;
    if (!props.flowLogs) {
      suppressCheckovCheck(vpc, 'CKV2_AWS_11', 'Flow logs are a per-environment choice (aws.flowLogs); short-lived demo environments leave them off to save cost.');
    }

    // No rules: nothing may rely on the default group.
    new DefaultSecurityGroup(this, 'default-security-group', { vpcId: vpc.id, tags: { Name: `${props.name}-default-locked` } });

    const internetGateway = new InternetGateway(this, 'internet-gateway', { vpcId: vpc.id, tags: { Name: props.name } });

    const publicSubnets = props.publicSubnetCidrs.map((cidrBlock, index) => new Subnet(this, `public-${index}`, {
      vpcId: vpc.id,
      cidrBlock,
      availabilityZone: this.availabilityZones[index],
      // The public agents need public addresses to reach the internet without NAT.
      mapPublicIpOnLaunch: true,
      tags: { Name: `${props.name}-public-${index}`, 'kubernetes.io/role/elb': '1', ...clusterTag },
    }));
    publicSubnets.forEach((subnet) => suppressCheckovCheck(subnet, 'CKV_AWS_130',
      'Public subnets hold the public agents (the template\'s public-agent ASG) and NAT gateways; the nodes need public addresses to join the cluster without NAT.'));
    const privateSubnets = props.privateSubnetCidrs.map((cidrBlock, index) => new Subnet(this, `private-${index}`, {
      vpcId: vpc.id,
      cidrBlock,
      availabilityZone: this.availabilityZones[index],
      tags: { Name: `${props.name}-private-${index}`, 'kubernetes.io/role/internal-elb': '1', ...clusterTag },
    }));
    this.publicSubnetIds = publicSubnets.map((subnet) => subnet.id);
    this.privateSubnetIds = privateSubnets.map((subnet) => subnet.id);

    const publicRoutes = new RouteTable(this, 'public-routes', { vpcId: vpc.id, tags: { Name: `${props.name}-public` } });
    new Route(this, 'public-default-route', { routeTableId: publicRoutes.id, destinationCidrBlock: '0.0.0.0/0', gatewayId: internetGateway.id });
    publicSubnets.forEach((subnet, index) => new RouteTableAssociation(this, `public-${index}-routes`, { subnetId: subnet.id, routeTableId: publicRoutes.id }));

    const natCount = natMode === 'per-az' ? publicSubnets.length : 1;
    const natGateways = Array.from({ length: natCount }, (_, index) => {
      const address = new Eip(this, `nat-${index}-address`, { domain: 'vpc', tags: { Name: `${props.name}-nat-${index}` }, dependsOn: [internetGateway] });
      return new NatGateway(this, `nat-${index}`, {
        allocationId: address.allocationId,
        subnetId: publicSubnets[index].id,
        tags: { Name: `${props.name}-nat-${index}` },
        dependsOn: [internetGateway],
      });
    });
    this.natGatewayIds = natGateways.map((gateway) => gateway.id);

    // One private route table per AZ, so switching NAT mode only changes routes.
    privateSubnets.forEach((subnet, index) => {
      const routes = new RouteTable(this, `private-${index}-routes`, { vpcId: vpc.id, tags: { Name: `${props.name}-private-${index}` } });
      new Route(this, `private-${index}-default-route`, {
        routeTableId: routes.id,
        destinationCidrBlock: '0.0.0.0/0',
        natGatewayId: natGateways[natMode === 'per-az' ? index : 0].id,
      });
      new RouteTableAssociation(this, `private-${index}-routes-association`, { subnetId: subnet.id, routeTableId: routes.id });
    });

    if (props.flowLogs) {
      const logGroup = new CloudwatchLogGroup(this, 'flow-log-group', {
        name: `/aws/vpc/${props.name}/flow-logs`,
        retentionInDays: props.flowLogs.retentionDays,
        kmsKeyId: props.flowLogs.kmsKeyArn,
      });
      suppressShortRetention(logGroup, props.flowLogs.retentionDays);
      const role = new IamRole(this, 'flow-log-role', {
        namePrefix: `${props.name}-flow-logs-`.slice(0, 38),
        assumeRolePolicy: serviceTrustPolicy('vpc-flow-logs.amazonaws.com'),
      });
      new IamRolePolicy(this, 'flow-log-delivery', {
        role: role.id,
        policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{
            Effect: 'Allow',
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogGroups', 'logs:DescribeLogStreams'],
            Resource: [logGroup.arn, `${logGroup.arn}:*`],
          }],
        }),
      });
      new FlowLog(this, 'flow-log', {
        vpcId: vpc.id,
        trafficType: 'ALL',
        logDestinationType: 'cloud-watch-logs',
        logDestination: logGroup.arn,
        iamRoleArn: role.arn,
        tags: { Name: `${props.name}-flow-log` },
      });
      this.flowLogGroupName = logGroup.name;
    }
  }

  private zonesByPosition(count: number): string[] {
    const zones = new DataAwsAvailabilityZones(this, 'zones', {
      state: 'available',
      filter: [{ name: 'opt-in-status', values: ['opt-in-not-required'] }],
    });
    suppressCheckovCheck(zones, 'CKV_AWS_394',
      'Only the first availabilityZoneCount zones are used (by position); set aws.availabilityZones to pin zone names.');
    return Array.from({ length: count }, (_, index) => Fn.element(zones.names, index));
  }
}
