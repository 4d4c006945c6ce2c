import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Testing } from 'cdktf';
import { loadEnvironments, validateEnvironment } from '../../config';
import type { ResolvedEnvironment } from '../../config/schema';
import { createEmulatorProfile, EMULATOR_OPTIONAL_PARTS, type EmulatorProfile } from '../../config/emulator';
import { PlatformStack } from '../../stacks/platform-stack';
import {
  allResources, dataSourcesOfType, outputValue, providerBlocks, reference, refersTo, REPO_ROOT, resourceAt, resourcesOfType,
  synthStack, type StackJson, type SynthElement,
} from '../harness/synth';

function synthPlatform(environment: ResolvedEnvironment, emulator?: EmulatorProfile): StackJson {
  const app = Testing.app();
  return synthStack(new PlatformStack(app, `platform-${environment.name}`, { environment, emulator }));
}

function variant(change: (input: Record<string, any>) => void): ResolvedEnvironment { // eslint-disable-line @typescript-eslint/no-explicit-any
  const input: Record<string, any> = { // eslint-disable-line @typescript-eslint/no-explicit-any
    production: false,
    target: 'aws',
    aws: { region: 'us-west-2', adminCidrs: ['198.51.100.0/24'] },
    tags: { owner: 'team-b', 'expires-at': '2027-03-01' },
  };
  change(input);
  const result = validateEnvironment('variant', input);
  assert.deepEqual(result.issues, []);
  return result.environment!;
}

const REQUIRED_TAG_KEYS = ['owner', 'expires-at', 'environment', 'project', 'managed-by'];

/** Whether the AWS provider schema (via its generated binding) gives the resource type a `tags` argument. */
function isTaggable(type: string): boolean {
  const directory = type.replace(/^aws_/, '').replace(/_/g, '-');
  const declarations = readFileSync(join(REPO_ROOT, 'node_modules/@cdktf/provider-aws/lib', directory, 'index.d.ts'), 'utf8');
  const config = /export interface \w+Config extends cdktf\.TerraformMetaArguments \{([\s\S]*?)\n\}/.exec(declarations);
  assert.ok(config, `no Config interface for ${type}`);
  return /\n\s+readonly tags\?:/.test(config[1]);
}

/** The AWS API a resource or data source type talks to; unknown types fail so the emulator list stays complete. */
function serviceOf(type: string): string {
  if (type.startsWith('aws_eks_')) return 'eks';
  if (type.startsWith('aws_iam_')) return 'iam';
  if (type.startsWith('aws_kms_')) return 'kms';
  if (type === 'aws_cloudwatch_log_group') return 'logs';
  if (type === 'aws_caller_identity') return 'sts';
  const ec2 = ['aws_vpc', 'aws_subnet', 'aws_internet_gateway', 'aws_nat_gateway', 'aws_eip', 'aws_route', 'aws_route_table', 'aws_route_table_association',
    'aws_default_security_group', 'aws_security_group', 'aws_flow_log', 'aws_launch_template', 'aws_availability_zones'];
  if (ec2.includes(type)) return 'ec2';
  throw new Error(`no service known for ${type}: add it here and to PLATFORM_AWS_SERVICES`);
}

const awsEnvironments = loadEnvironments({}).filter((environment) => environment.target === 'aws');
const synthesized = new Map(awsEnvironments.map((environment) => [environment.name, synthPlatform(environment)]));

test('every aws environment gets a platform stack; local gets none', () => {
  assert.deepEqual([...synthesized.keys()], ['dev', 'staging', 'prod']);
  const local = loadEnvironments({}).find((environment) => environment.target === 'local')!;
  assert.throws(() => synthPlatform(local), /needs an environment with target "aws"/);
});

for (const environment of awsEnvironments) {
  const aws = environment.aws!;
  const stack = synthesized.get(environment.name)!;
  const cluster = resourceAt(stack, 'aws_eks_cluster', '/control-plane/cluster');
  const prefix = `platform ${environment.name}:`;

  test(`${prefix} one public and one private subnet per AZ, carved from the VPC CIDR and tagged for load balancers`, () => {
    const vpc = resourceAt(stack, 'aws_vpc', '/network/vpc');
    assert.equal(vpc.config.cidr_block, aws.vpcCidr);
    const zones = dataSourcesOfType(stack, 'aws_availability_zones');
    assert.equal(zones.length, aws.availabilityZones ? 0 : 1, 'the zones data source only when zones are not pinned');
    const zoneOf = (index: number) => (aws.availabilityZones ? aws.availabilityZones[index] : `\${element(${reference(zones[0], 'names').slice(2, -1)}, ${index})}`);
    const subnets = resourcesOfType(stack, 'aws_subnet');
    assert.equal(subnets.length, 2 * aws.availabilityZoneCount);
    for (const [kind, cidrs, roleTag] of [['public', aws.publicSubnetCidrs, 'kubernetes.io/role/elb'], ['private', aws.privateSubnetCidrs, 'kubernetes.io/role/internal-elb']] as const) {
      cidrs.forEach((cidrBlock, index) => {
        const subnet = resourceAt(stack, 'aws_subnet', `/network/${kind}-${index}`);
        assert.equal(subnet.config.cidr_block, cidrBlock);
        assert.equal(subnet.config.vpc_id, reference(vpc, 'id'));
        assert.equal(subnet.config.availability_zone, zoneOf(index), `${kind}-${index} is in AZ ${index}`);
        assert.equal(subnet.config.tags[roleTag], '1');
        assert.equal(subnet.config.tags[`kubernetes.io/cluster/${aws.clusterName}`], 'shared');
        assert.equal(subnet.config.map_public_ip_on_launch ?? false, kind === 'public');
      });
    }
  });

  test(`${prefix} NAT gateways follow natMode (${aws.natMode}) and private subnets route through them`, () => {
    const expected = aws.natMode === 'per-az' ? aws.availabilityZoneCount : 1;
    const gateways = resourcesOfType(stack, 'aws_nat_gateway');
    assert.equal(gateways.length, expected);
    assert.equal(resourcesOfType(stack, 'aws_eip').length, expected);
    gateways.forEach((gateway, index) => {
      assert.ok(refersTo(gateway.config.subnet_id, resourceAt(stack, 'aws_subnet', `/network/public-${index}`)), 'NAT sits in a public subnet');
    });
    const routes = resourcesOfType(stack, 'aws_route');
    const natTargets = new Set(routes.filter((route) => route.config.nat_gateway_id).map((route) => route.config.nat_gateway_id));
    assert.equal(routes.filter((route) => route.config.nat_gateway_id).length, aws.availabilityZoneCount, 'one NAT route per private route table');
    assert.equal(natTargets.size, expected);
    const internetRoutes = routes.filter((route) => route.config.gateway_id);
    assert.equal(internetRoutes.length, 1);
    assert.ok(refersTo(internetRoutes[0].config.gateway_id, resourceAt(stack, 'aws_internet_gateway', '/network/internet-gateway')));
    assert.equal(resourcesOfType(stack, 'aws_route_table_association').length, 2 * aws.availabilityZoneCount);
  });

  test(`${prefix} the default security group is locked down (no rules)`, () => {
    const locked = resourcesOfType(stack, 'aws_default_security_group');
    assert.equal(locked.length, 1);
    assert.equal(locked[0].config.ingress, undefined);
    assert.equal(locked[0].config.egress, undefined);
  });

  test(`${prefix} flow logs are ${aws.flowLogs ? 'on' : 'off'} as configured`, () => {
    const flowLogs = resourcesOfType(stack, 'aws_flow_log');
    assert.equal(flowLogs.length, aws.flowLogs ? 1 : 0);
    if (aws.flowLogs) {
      const group = resourceAt(stack, 'aws_cloudwatch_log_group', '/network/flow-log-group');
      assert.equal(group.config.retention_in_days, aws.logRetentionDays);
      assert.equal(flowLogs[0].config.log_destination, reference(group, 'arn'));
      assert.equal(flowLogs[0].config.traffic_type, 'ALL');
      assert.ok(refersTo(flowLogs[0].config.iam_role_arn, resourceAt(stack, 'aws_iam_role', '/network/flow-log-role')));
    }
  });

  test(`${prefix} EKS control plane: version, private endpoint, public endpoint only for admin CIDRs, API auth`, () => {
    assert.equal(cluster.config.name, aws.clusterName);
    assert.equal(cluster.config.version, aws.kubernetesVersion);
    const vpcConfig = cluster.config.vpc_config;
    assert.equal(vpcConfig.endpoint_private_access, true);
    assert.equal(vpcConfig.endpoint_public_access, true);
    assert.deepEqual(vpcConfig.public_access_cidrs, aws.adminCidrs);
    assert.deepEqual(vpcConfig.subnet_ids, aws.privateSubnetCidrs.map((_, index) => reference(resourceAt(stack, 'aws_subnet', `/network/private-${index}`), 'id')));
    assert.equal(cluster.config.access_config.authentication_mode, 'API');
    assert.equal(cluster.config.access_config.bootstrap_cluster_creator_admin_permissions, true);
    const role = resourceAt(stack, 'aws_iam_role', '/control-plane/cluster-role');
    assert.equal(cluster.config.role_arn, reference(role, 'arn'));
    assert.equal(JSON.parse(role.config.assume_role_policy).Statement[0].Principal.Service, 'eks.amazonaws.com');
  });

  test(`${prefix} secrets are encrypted with a rotating KMS key`, () => {
    const key = resourceAt(stack, 'aws_kms_key', '/control-plane/secrets-key');
    assert.equal(key.config.enable_key_rotation, true);
    assert.deepEqual(cluster.config.encryption_config.resources, ['secrets']);
    assert.equal(cluster.config.encryption_config.provider.key_arn, reference(key, 'arn'));
  });

  test(`${prefix} log groups are encrypted with a rotating key that CloudWatch Logs of this account may use`, () => {
    const key = resourceAt(stack, 'aws_kms_key', '/logs-key/key');
    assert.equal(key.config.enable_key_rotation, true);
    const statements = JSON.parse(key.config.policy).Statement;
    const logsStatement = statements.find((statement: any) => statement.Principal.Service === `logs.${aws.region}.amazonaws.com`); // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.ok(logsStatement, 'the logs service may use the key');
    assert.match(logsStatement.Condition.ArnLike['kms:EncryptionContext:aws:logs:arn'], new RegExp(`^arn:aws:logs:${aws.region}:\\$\\{data\\.aws_caller_identity\\.[^}]+\\.account_id\\}:log-group:\\*$`));
    const groups = resourcesOfType(stack, 'aws_cloudwatch_log_group');
    assert.equal(groups.length, aws.flowLogs ? 2 : 1);
    for (const group of groups) assert.equal(group.config.kms_key_id, reference(key, 'arn'), group.path);
    const secretsKey = resourceAt(stack, 'aws_kms_key', '/control-plane/secrets-key');
    assert.deepEqual(JSON.parse(secretsKey.config.policy).Statement.map((statement: any) => statement.Principal.AWS), // eslint-disable-line @typescript-eslint/no-explicit-any
      [`arn:aws:iam::\${${reference(dataSourcesOfType(stack, 'aws_caller_identity')[0], 'account_id').slice(2, -1).replace(/^/, 'data.')}}:root`]);
  });

  test(`${prefix} control-plane logs (api, audit, authenticator) go to an explicit log group with retention`, () => {
    assert.deepEqual([...cluster.config.enabled_cluster_log_types].sort(), ['api', 'audit', 'authenticator']);
    const group = resourceAt(stack, 'aws_cloudwatch_log_group', '/control-plane/log-group');
    assert.equal(group.config.name, `/aws/eks/${aws.clusterName}/cluster`);
    assert.equal(group.config.retention_in_days, aws.logRetentionDays);
    assert.ok(cluster.config.depends_on.includes(`aws_cloudwatch_log_group.${group.name}`), 'the group exists before EKS writes to it');
  });

  for (const pool of ['private-agents', 'public-agents'] as const) {
    const config = pool === 'private-agents' ? aws.privateAgents : aws.publicAgents;
    test(`${prefix} node group ${pool}: ${config.count} x ${config.instanceType} in ${pool === 'private-agents' ? 'private' : 'public'} subnets`, () => {
      const group = resourceAt(stack, 'aws_eks_node_group', `/${pool}/node-group`);
      assert.equal(group.config.node_group_name, pool);
      assert.equal(group.config.cluster_name, reference(cluster, 'name'));
      assert.deepEqual(group.config.scaling_config, { desired_size: config.count, min_size: config.count, max_size: config.count });
      assert.deepEqual(group.config.instance_types, [config.instanceType]);
      const kind = pool === 'private-agents' ? 'private' : 'public';
      assert.deepEqual(group.config.subnet_ids, aws.privateSubnetCidrs.map((_, index) => reference(resourceAt(stack, 'aws_subnet', `/network/${kind}-${index}`), 'id')));
      assert.equal(group.config.labels['airline.io/pool'], pool);
      if (pool === 'public-agents') {
        assert.deepEqual(group.config.taint, [{ key: 'dedicated', value: 'public-agents', effect: 'NO_SCHEDULE' }]);
      } else {
        assert.equal(group.config.taint, undefined);
      }
      assert.equal(group.config.node_role_arn, reference(resourceAt(stack, 'aws_iam_role', '/node-role/role'), 'arn'));
      const template = resourceAt(stack, 'aws_launch_template', `/${pool}/launch-template`);
      assert.equal(group.config.launch_template.id, reference(template, 'id'));
    });

    test(`${prefix} launch template of ${pool}: IMDSv2 required, encrypted gp3 root of ${config.diskGiB} GiB, tagged instances`, () => {
      const template = resourceAt(stack, 'aws_launch_template', `/${pool}/launch-template`);
      assert.equal(template.config.metadata_options.http_tokens, 'required');
      assert.ok([1, 2].includes(template.config.metadata_options.http_put_response_hop_limit));
      assert.equal(template.config.block_device_mappings.length, 1);
      const ebs = template.config.block_device_mappings[0].ebs;
      assert.equal(ebs.encrypted, 'true');
      assert.equal(ebs.volume_type, 'gp3');
      assert.equal(ebs.volume_size, config.diskGiB);
      assert.equal(template.config.key_name, aws.sshKeyName);
      const specifications = template.config.tag_specifications as Array<{ resource_type: string; tags: Record<string, string> }>;
      assert.deepEqual(specifications.map((specification) => specification.resource_type).sort(), ['instance', 'network-interface', 'volume']);
      for (const specification of specifications) {
        for (const key of REQUIRED_TAG_KEYS) assert.equal(specification.tags[key], environment.tags[key], `${specification.resource_type} tag ${key}`);
      }
    });
  }

  test(`${prefix} node role carries the worker, CNI and ECR policies`, () => {
    const role = resourceAt(stack, 'aws_iam_role', '/node-role/role');
    const attached = resourcesOfType(stack, 'aws_iam_role_policy_attachment')
      .filter((attachment) => attachment.config.role === reference(role, 'name'))
      .map((attachment) => attachment.config.policy_arn.split('/').pop())
      .sort();
    assert.deepEqual(attached, ['AmazonEC2ContainerRegistryReadOnly', 'AmazonEKSWorkerNodePolicy', 'AmazonEKS_CNI_Policy']);
  });

  test(`${prefix} add-ons, with the EBS CSI driver's role bound by Pod Identity`, () => {
    const addons = resourcesOfType(stack, 'aws_eks_addon').map((addon) => addon.config.addon_name).sort();
    assert.deepEqual(addons, ['aws-ebs-csi-driver', 'coredns', 'eks-pod-identity-agent', 'kube-proxy', 'vpc-cni']);
    const role = resourceAt(stack, 'aws_iam_role', '/ebs-csi-identity/role');
    assert.deepEqual(JSON.parse(role.config.assume_role_policy).Statement[0].Principal.Service, 'pods.eks.amazonaws.com');
    const association = resourceAt(stack, 'aws_eks_pod_identity_association', '/ebs-csi-identity/association');
    assert.equal(association.config.role_arn, reference(role, 'arn'));
    assert.equal(association.config.namespace, 'kube-system');
    assert.equal(association.config.service_account, 'ebs-csi-controller-sa');
    const policy = resourcesOfType(stack, 'aws_iam_role_policy_attachment').filter((attachment) => attachment.config.role === reference(role, 'name'));
    assert.deepEqual(policy.map((attachment) => attachment.config.policy_arn), ['arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy']);
  });

  test(`${prefix} outputs name the cluster, endpoint, CA, OIDC issuer, VPC and subnets`, () => {
    assert.equal(outputValue(stack, 'cluster_name'), reference(cluster, 'name'));
    assert.equal(outputValue(stack, 'cluster_endpoint'), reference(cluster, 'endpoint'));
    assert.match(outputValue(stack, 'cluster_certificate_authority'), new RegExp(`^\\$\\{aws_eks_cluster\\.${cluster.name}\\.certificate_authority\\[0\\]\\.data\\}$`));
    assert.match(outputValue(stack, 'cluster_oidc_issuer'), /identity\[0\]\.oidc\[0\]\.issuer/);
    assert.equal(outputValue(stack, 'vpc_id'), reference(resourceAt(stack, 'aws_vpc', '/network/vpc'), 'id'));
    assert.equal(outputValue(stack, 'public_subnet_ids').length, aws.availabilityZoneCount);
    assert.equal(outputValue(stack, 'private_subnet_ids').length, aws.availabilityZoneCount);
    assert.equal(outputValue(stack, 'region'), aws.region);
  });

  test(`${prefix} every taggable resource gets the environment tags`, () => {
    const providers = providerBlocks(stack, 'aws');
    assert.equal(providers.length, 1, 'one AWS provider, so no resource escapes default_tags');
    assert.equal(providers[0].alias, undefined);
    assert.equal(providers[0].region, aws.region);
    const defaultTags = providers[0].default_tags[0].tags;
    for (const key of REQUIRED_TAG_KEYS) assert.equal(defaultTags[key], environment.tags[key], `default tag ${key}`);
    assert.equal(defaultTags.environment, environment.name);
    const taggable = allResources(stack).filter((resource: SynthElement) => isTaggable(resource.type));
    assert.ok(taggable.length > 20, 'most platform resources are taggable');
    for (const resource of taggable) {
      assert.equal(resource.config.provider, undefined, `${resource.path} uses the default provider`);
      for (const key of REQUIRED_TAG_KEYS) {
        const own = resource.config.tags?.[key];
        assert.ok(own === undefined || own === environment.tags[key], `${resource.path} overrides tag ${key}`);
      }
    }
  });

  test(`${prefix} state in S3 under <prefix>/<env>/<stack>.tfstate, encrypted, with S3 locking`, () => {
    const backend = stack.terraform.backend.s3;
    assert.equal(backend.key, `airline-streaming/${environment.name}/platform-${environment.name}.tfstate`);
    assert.equal(backend.encrypt, true);
    assert.equal(backend.use_lockfile, true);
    assert.equal(environment.stateBackend.kind === 's3' && backend.bucket, environment.stateBackend.kind === 's3' && environment.stateBackend.bucket);
  });
}

test('an SSH key adds the admin SSH group (22 from admin CIDRs) next to the cluster group on every node', () => {
  const environment = variant((input) => { input.aws.sshKeyName = 'ops-key'; });
  const stack = synthPlatform(environment);
  const group = resourceAt(stack, 'aws_security_group', '/admin-ssh/security-group');
  assert.deepEqual(group.config.ingress.map((rule: any) => [rule.from_port, rule.to_port, rule.protocol, rule.cidr_blocks]), [[22, 22, 'tcp', ['198.51.100.0/24']]]); // eslint-disable-line @typescript-eslint/no-explicit-any
  const cluster = resourceAt(stack, 'aws_eks_cluster', '/control-plane/cluster');
  for (const template of resourcesOfType(stack, 'aws_launch_template')) {
    assert.equal(template.config.key_name, 'ops-key');
    assert.deepEqual(template.config.vpc_security_group_ids, [`\${aws_eks_cluster.${cluster.name}.vpc_config[0].cluster_security_group_id}`, reference(group, 'id')]);
  }
});

test('without an SSH key there is no admin SSH group and nodes keep EKS-managed security groups', () => {
  const stack = synthPlatform(variant(() => {}));
  assert.equal(resourcesOfType(stack, 'aws_security_group').length, 0);
  for (const template of resourcesOfType(stack, 'aws_launch_template')) {
    assert.equal(template.config.key_name, undefined);
    assert.equal(template.config.vpc_security_group_ids, undefined);
  }
});

test('cluster admin roles get access entries with the cluster-admin policy', () => {
  const arns = ['arn:aws:iam::111122223333:role/platform-admins', 'arn:aws:iam::111122223333:role/ci-deployer'];
  const stack = synthPlatform(variant((input) => { input.aws.clusterAdminRoleArns = arns; }));
  const entries = resourcesOfType(stack, 'aws_eks_access_entry');
  assert.deepEqual(entries.map((entry) => entry.config.principal_arn), arns);
  const associations = resourcesOfType(stack, 'aws_eks_access_policy_association');
  assert.equal(associations.length, arns.length);
  associations.forEach((association, index) => {
    assert.equal(association.config.policy_arn, 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy');
    assert.deepEqual(association.config.access_scope, { type: 'cluster' });
    assert.equal(association.config.principal_arn, reference(entries[index], 'principal_arn'));
  });
});

test('without pinned zones, subnets take the first available zones by position', () => {
  const environment = variant(() => {});
  assert.equal(environment.aws!.availabilityZones, undefined);
  const stack = synthPlatform(environment);
  const zones = dataSourcesOfType(stack, 'aws_availability_zones');
  assert.equal(zones.length, 1);
  assert.equal(zones[0].config.state, 'available');
  environment.aws!.privateSubnetCidrs.forEach((_, index) => {
    const subnet = resourceAt(stack, 'aws_subnet', `/network/private-${index}`);
    assert.equal(subnet.config.availability_zone, `\${element(data.aws_availability_zones.${zones[0].name}.names, ${index})}`);
  });
});

test('two AZs, per-az NAT and zero public agents shape the stack', () => {
  const stack = synthPlatform(variant((input) => {
    input.aws.availabilityZoneCount = 2;
    input.aws.natMode = 'per-az';
    input.aws.publicAgents = { count: 0 };
  }));
  assert.equal(resourcesOfType(stack, 'aws_subnet').length, 4);
  assert.equal(resourcesOfType(stack, 'aws_nat_gateway').length, 2);
  assert.deepEqual(resourcesOfType(stack, 'aws_eks_node_group').map((group) => group.config.node_group_name), ['private-agents']);
});

test('GovCloud regions use the aws-us-gov partition in policy ARNs', () => {
  const stack = synthPlatform(variant((input) => { input.aws.region = 'us-gov-west-1'; }));
  const arns = resourcesOfType(stack, 'aws_iam_role_policy_attachment').map((attachment) => attachment.config.policy_arn);
  assert.ok(arns.length > 0 && arns.every((arn: string) => arn.startsWith('arn:aws-us-gov:iam::aws:policy/')), arns.join(', '));
});

test('the emulator profile points every used service at the emulator, skips AWS checks, keeps state local', () => {
  const environment = awsEnvironments.find((candidate) => candidate.name === 'prod')!;
  const stack = synthPlatform(environment, createEmulatorProfile('http://127.0.0.1:5555/'));
  const provider = providerBlocks(stack, 'aws')[0];
  const dataSources = Object.keys(stack.data ?? {}).flatMap((type) => dataSourcesOfType(stack, type));
  const used = new Set([...allResources(stack), ...dataSources].map((element) => serviceOf(element.type)));
  used.add('sts');
  for (const service of used) assert.equal(provider.endpoints[0][service], 'http://127.0.0.1:5555', `endpoint for ${service}`);
  assert.equal(provider.skip_credentials_validation, true);
  assert.equal(provider.skip_requesting_account_id, true);
  assert.equal(provider.skip_metadata_api_check, 'true');
  assert.equal(provider.s3_use_path_style, true);
  assert.equal(provider.access_key, 'test');
  assert.equal(provider.secret_key, 'test');
  assert.equal(stack.terraform.backend.s3, undefined);
  assert.ok(stack.terraform.backend.local, 'local state');
  // The default (moto) list switches off add-ons, access entries and Pod Identity.
  assert.equal(resourcesOfType(stack, 'aws_eks_addon').length, 0);
  assert.equal(resourcesOfType(stack, 'aws_eks_pod_identity_association').length, 0);
  assert.equal(resourcesOfType(stack, 'aws_eks_cluster').length, 1);
  assert.equal(resourcesOfType(stack, 'aws_eks_node_group').length, 2);
  assert.equal(resourcesOfType(stack, 'aws_flow_log').length, 1, 'flow logs stay unless switched off');
});

test('the emulator profile switches off exactly the listed parts', () => {
  const environment = variant((input) => { input.aws.flowLogs = true; input.aws.clusterAdminRoleArns = ['arn:aws:iam::111122223333:role/admins']; });
  const everything = synthPlatform(environment, createEmulatorProfile('http://127.0.0.1:5555', []));
  assert.equal(resourcesOfType(everything, 'aws_eks_addon').length, 5);
  assert.equal(resourcesOfType(everything, 'aws_eks_access_entry').length, 1);
  assert.equal(resourcesOfType(everything, 'aws_eks_pod_identity_association').length, 1);
  assert.equal(resourcesOfType(everything, 'aws_flow_log').length, 1);
  const withoutAll = synthPlatform(environment, createEmulatorProfile('http://127.0.0.1:5555', [...EMULATOR_OPTIONAL_PARTS]));
  for (const type of ['aws_eks_addon', 'aws_eks_access_entry', 'aws_eks_access_policy_association', 'aws_eks_pod_identity_association', 'aws_flow_log']) {
    assert.ok(resourcesOfType(everything, type).length > 0, `${type} exists without the switch`);
    assert.equal(resourcesOfType(withoutAll, type).length, 0, type);
  }
  assert.equal(resourcesOfType(withoutAll, 'aws_kms_key').filter((key) => key.path.includes('logs-key')).length, 0, 'logs-encryption off');
  assert.equal(resourcesOfType(withoutAll, 'aws_cloudwatch_log_group')[0].config.kms_key_id, undefined);
  assert.equal(resourcesOfType(withoutAll, 'aws_iam_role').filter((role) => role.path.includes('ebs-csi')).length, 1, 'the CSI role itself stays');
});

test('local state goes to the configured directory, one file per stack', () => {
  const stack = synthPlatform(variant((input) => { input.stateBackend = { kind: 'local', directory: '/var/lib/airline-state' }; }));
  assert.equal(stack.terraform.backend.s3, undefined);
  assert.equal(stack.terraform.backend.local.path, '/var/lib/airline-state/terraform.platform-variant.tfstate');
});

test('S3 state honours a custom key prefix and the state region', () => {
  const stack = synthPlatform(variant((input) => { input.stateBackend = { kind: 's3', bucket: 'acme-state', region: 'eu-central-1', keyPrefix: 'teams/data' }; }));
  assert.deepEqual(
    { bucket: stack.terraform.backend.s3.bucket, key: stack.terraform.backend.s3.key, region: stack.terraform.backend.s3.region },
    { bucket: 'acme-state', key: 'teams/data/variant/platform-variant.tfstate', region: 'eu-central-1' },
  );
});
