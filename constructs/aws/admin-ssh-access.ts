// The template's Admin security group, reduced to what remains: SSH to the nodes from the admin CIDRs.
// (HTTPS to the API is the EKS endpoint's public_access_cidrs.) Only created when an SSH key is configured.
import { Construct } from 'constructs';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';

export interface AdminSshAccessProps {
  readonly name: string;
  readonly vpcId: string;
  readonly adminCidrs: string[];
}

export class AdminSshAccess extends Construct {
  readonly securityGroupId: string;

  constructor(scope: Construct, id: string, props: AdminSshAccessProps) {
    super(scope, id);
    const group = new SecurityGroup(this, 'security-group', {
      name: `${props.name}-admin-ssh`,
      description: 'SSH to the agent nodes from the admin CIDRs',
      vpcId: props.vpcId,
      ingress: [{ description: 'SSH from admin CIDRs', protocol: 'tcp', fromPort: 22, toPort: 22, cidrBlocks: props.adminCidrs }],
      tags: { Name: `${props.name}-admin-ssh` },
    });
    this.securityGroupId = group.id;
  }
}
