import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, formatIssue, loadEnvironment, loadEnvironments, validateEnvironment } from '../../config';
import { DEFAULTS } from '../../config/schema';
import { ENVIRONMENTS } from '../../config/environments';
import { makeTempDir } from '../harness/synth';


type Mutable = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function awsEnvironment(): Mutable {
  return {
    production: false,
    target: 'aws',
    aws: { region: 'eu-west-1', adminCidrs: ['203.0.113.0/24'] },
    tags: { owner: 'team-a', 'expires-at': '2027-01-31' },
    stateBackend: { kind: 's3', bucket: 'team-a-tfstate' },
  };
}

/** A made-up digest for tests (the shipped config never invents one). */
const DIGEST = `sha256:${'0123456789abcdef'.repeat(4)}`;

/** Production pins images by digest: adds pinned Node, Kafka and ZooKeeper images where a test left them out. */
function pinImages(environment: Mutable): Mutable {
  environment.streaming ??= {};
  environment.streaming.nodeRuntimeImage ??= `node:20.19-alpine@${DIGEST}`;
  environment.streaming.zookeeper = { image: `zookeeper:3.8.4@${DIGEST}`, ...environment.streaming.zookeeper };
  environment.streaming.kafka = { image: `apache/kafka:3.9.1@${DIGEST}`, ...environment.streaming.kafka };
  return environment;
}

/** awsEnvironment as a production environment that meets every production rule. */
function productionEnvironment(): Mutable {
  return pinImages({ ...awsEnvironment(), production: true });
}

function localEnvironment(): Mutable {
  return { production: false, target: 'local', local: { kubeconfigContext: 'kind-airline' }, tags: { owner: 'team-a', 'expires-at': '2027-01-31' } };
}

function messages(name: string, input: unknown): string[] {
  return validateEnvironment(name, input).issues.map(formatIssue);
}

interface RuleCase {
  rule: string;
  environmentName?: string;
  base?: () => Mutable;
  change: (environment: Mutable) => void;
  field: string;
  says: RegExp;
}

const RULES: RuleCase[] = [
  { rule: 'environment names are short DNS-style labels', environmentName: 'Dev_1', change: () => {}, field: 'name', says: /not a valid environment name\. Fix: use 1-20 lowercase/ },
  { rule: 'production is required (never guessed from the name)', change: (e) => { delete e.production; }, field: 'production', says: /is required\. Fix: set production: true for an environment that serves real traffic/ },
  { rule: 'production is a boolean', change: (e) => { e.production = 'yes'; }, field: 'production', says: /expected true or false, got "yes"/ },
  { rule: 'target is required', change: (e) => { delete e.target; }, field: 'target', says: /is required\. Fix: set target to "aws" or "local"/ },
  { rule: 'target is aws or local', change: (e) => { e.target = 'gcp'; }, field: 'target', says: /"gcp" is not allowed\. Fix: use one of: aws, local/ },
  { rule: 'unknown fields are refused (typos)', change: (e) => { e.aws.adminCidr = ['1.2.3.0/24']; }, field: 'aws.adminCidr', says: /unknown field\. Fix: remove it or use one of: region,/ },
  { rule: 'target aws needs an aws section', change: (e) => { delete e.aws; }, field: 'aws', says: /required for target "aws"/ },
  { rule: 'target local has no aws section', base: localEnvironment, change: (e) => { e.aws = { adminCidrs: ['203.0.113.0/24'] }; }, field: 'aws', says: /only for target "aws"/ },
  { rule: 'target local needs a kubeconfig context', base: localEnvironment, change: (e) => { delete e.local; }, field: 'local.kubeconfigContext', says: /required for target "local"\. Fix: name the kubeconfig context/ },
  { rule: 'region is an AWS region name', change: (e) => { e.aws.region = 'Europe'; }, field: 'aws.region', says: /"Europe" is not valid\. Fix: use an AWS region name/ },
  { rule: 'AZ count 1 is refused', change: (e) => { e.aws.availabilityZoneCount = 1; }, field: 'aws.availabilityZoneCount', says: /1 is out of range\. Fix: use 2 to 6: EKS needs subnets in at least two AZs/ },
  { rule: 'AZ count above 6 is refused', change: (e) => { e.aws.availabilityZoneCount = 7; }, field: 'aws.availabilityZoneCount', says: /7 is out of range/ },
  { rule: 'AZ count is a whole number', change: (e) => { e.aws.availabilityZoneCount = 2.5; }, field: 'aws.availabilityZoneCount', says: /expected an integer, got number 2\.5/ },
  { rule: 'pinned zones: one per AZ', change: (e) => { e.aws.availabilityZones = ['eu-west-1a', 'eu-west-1b']; }, field: 'aws.availabilityZones', says: /lists 2 zones for availabilityZoneCount 3/ },
  { rule: 'pinned zones belong to the region', change: (e) => { e.aws.availabilityZones = ['eu-west-1a', 'eu-west-1b', 'us-east-1c']; }, field: 'aws.availabilityZones[2]', says: /"us-east-1c" is not an availability zone of eu-west-1/ },
  { rule: 'pinned zones are distinct', change: (e) => { e.aws.availabilityZones = ['eu-west-1a', 'eu-west-1b', 'eu-west-1a']; }, field: 'aws.availabilityZones[2]', says: /listed twice/ },
  { rule: 'VPC CIDR must parse', change: (e) => { e.aws.vpcCidr = '10.0.0/16'; }, field: 'aws.vpcCidr', says: /"10\.0\.0\/16" is not an IPv4 CIDR/ },
  { rule: 'VPC CIDR octets are at most 255', change: (e) => { e.aws.vpcCidr = '10.300.0.0/16'; }, field: 'aws.vpcCidr', says: /octet above 255/ },
  { rule: 'VPC CIDR has no host bits', change: (e) => { e.aws.vpcCidr = '10.0.0.1/16'; }, field: 'aws.vpcCidr', says: /host bits set\. Fix: use the network address 10\.0\.0\.0\/16/ },
  { rule: 'VPC prefix between /16 and /22', change: (e) => { e.aws.vpcCidr = '10.0.0.0/24'; }, field: 'aws.vpcCidr', says: /prefix \/24 is not supported/ },
  { rule: 'admin CIDRs are required', change: (e) => { delete e.aws.adminCidrs; }, field: 'aws.adminCidrs', says: /at least one admin CIDR is required/ },
  { rule: 'admin CIDRs may not be empty', change: (e) => { e.aws.adminCidrs = []; }, field: 'aws.adminCidrs', says: /at least one admin CIDR is required/ },
  { rule: 'admin CIDRs must parse', change: (e) => { e.aws.adminCidrs = ['my office']; }, field: 'aws.adminCidrs[0]', says: /"my office" is not an IPv4 CIDR/ },
  { rule: 'admin CIDRs are not listed twice', change: (e) => { e.aws.adminCidrs = ['203.0.113.0/24', '203.0.113.0/24']; }, field: 'aws.adminCidrs[1]', says: /listed twice/ },
  { rule: '0.0.0.0/0 needs allowOpenAdminAccess outside prod', change: (e) => { e.aws.adminCidrs = ['0.0.0.0/0']; }, field: 'aws.adminCidrs', says: /0\.0\.0\.0\/0 opens the cluster API to the internet\. Fix: .*allowOpenAdminAccess: true/ },
  { rule: 'admin CIDRs come from outside the VPC', change: (e) => { e.aws.adminCidrs = ['10.0.8.0/24']; }, field: 'aws.adminCidrs[0]', says: /overlaps the VPC CIDR 10\.0\.0\.0\/16/ },
  { rule: 'private agent count is at least 1', change: (e) => { e.aws.privateAgents = { count: 0 }; }, field: 'aws.privateAgents.count', says: /0 is out of range\. Fix: use at least 1/ },
  { rule: 'public agent count is not negative', change: (e) => { e.aws.publicAgents = { count: -1 }; }, field: 'aws.publicAgents.count', says: /-1 is out of range\. Fix: use 0 to 100/ },
  { rule: 'private agents can hold the brokers on separate nodes', change: (e) => { e.aws.privateAgents = { count: 2 }; }, field: 'aws.privateAgents.count', says: /2 private agents cannot hold 3 Kafka brokers/ },
  { rule: 'instance types are <family>.<size>', change: (e) => { e.aws.publicAgents = { instanceType: 'large' }; }, field: 'aws.publicAgents.instanceType', says: /"large" is not an EC2 instance type: a type is <family>\.<size>\. Fix: use a real type such as m7i\.xlarge/ },
  { rule: 'instance types are sizes EC2 offers (m6i.9000xlarge is refused, the real sizes suggested)', change: (e) => { e.aws.privateAgents = { instanceType: 'm6i.9000xlarge' }; }, field: 'aws.privateAgents.instanceType',
    says: /"m6i\.9000xlarge" is not an EC2 instance type: m6i has no size "9000xlarge"\. Fix: use a size m6i comes in: m6i\.large, m6i\.xlarge, m6i\.2xlarge, .*m6i\.32xlarge, m6i\.metal\.$/ },
  { rule: 'instance types are of a family EC2 offers', change: (e) => { e.aws.privateAgents = { instanceType: 'm6x.xlarge' }; }, field: 'aws.privateAgents.instanceType',
    says: /"m6x\.xlarge" is not an EC2 instance type: there is no instance family "m6x"\. Fix: use a real type such as m6a\.xlarge, m6g\.xlarge, m6i\.xlarge/ },
  { rule: 'root disks are at least 20 GiB', change: (e) => { e.aws.privateAgents = { diskGiB: 8 }; }, field: 'aws.privateAgents.diskGiB', says: /8 is out of range\. Fix: use 20 to 16384 GiB/ },
  { rule: 'Kafka heap is at least the brokers\' minimum (the bound KafkaCluster asserts too)', change: (e) => { e.streaming = { kafka: { heapMb: 255 } }; }, field: 'streaming.kafka.heapMb', says: /255 is out of range\. Fix: use a whole number between 256 and 65536/ },
  { rule: 'NAT mode is single or per-az', change: (e) => { e.aws.natMode = 'none'; }, field: 'aws.natMode', says: /use one of: single, per-az/ },
  { rule: 'Kubernetes version is a supported EKS minor', change: (e) => { e.aws.kubernetesVersion = '1.21'; }, field: 'aws.kubernetesVersion', says: /"1\.21" is not a supported EKS version/ },
  { rule: 'cluster admins are IAM role ARNs', change: (e) => { e.aws.clusterAdminRoleArns = ['arn:aws:iam::123:user/bob']; }, field: 'aws.clusterAdminRoleArns[0]', says: /is not an IAM role ARN/ },
  { rule: 'log retention is a CloudWatch period', change: (e) => { e.aws.logRetentionDays = 10; }, field: 'aws.logRetentionDays', says: /10 is not a CloudWatch Logs retention period/ },
  { rule: 'SSH key name is not empty', change: (e) => { e.aws.sshKeyName = ''; }, field: 'aws.sshKeyName', says: /expected a non-empty string/ },
  { rule: 'explicit subnets: one per AZ', change: (e) => { e.aws.subnetCidrs = { public: ['10.0.0.0/24'], private: ['10.0.8.0/22', '10.0.12.0/22', '10.0.16.0/22'] }; }, field: 'aws.subnetCidrs.public', says: /has 1 CIDRs for 3 availability zones/ },
  { rule: 'explicit subnets do not overlap', change: (e) => { e.aws.subnetCidrs = { public: ['10.0.0.0/24', '10.0.1.0/24', '10.0.2.0/24'], private: ['10.0.0.0/20', '10.0.16.0/20', '10.0.32.0/20'] }; }, field: 'aws.subnetCidrs.private[0]', says: /10\.0\.0\.0\/20 overlaps aws\.subnetCidrs\.public\[0\]/ },
  { rule: 'explicit subnets lie inside the VPC', change: (e) => { e.aws.subnetCidrs = { public: ['10.0.0.0/24', '10.0.1.0/24', '10.9.2.0/24'], private: ['10.0.16.0/20', '10.0.32.0/20', '10.0.48.0/20'] }; }, field: 'aws.subnetCidrs.public[2]', says: /10\.9\.2\.0\/24 is outside the VPC CIDR 10\.0\.0\.0\/16/ },
  { rule: 'tags are required', change: (e) => { delete e.tags; }, field: 'tags', says: /is required\. Fix: add tags with at least owner and expires-at/ },
  { rule: 'owner tag is required', change: (e) => { delete e.tags.owner; }, field: 'tags.owner', says: /is required/ },
  { rule: 'expires-at is a calendar date', change: (e) => { e.tags['expires-at'] = '2027-02-30'; }, field: 'tags.expires-at', says: /"2027-02-30" is not a calendar date\. Fix: use YYYY-MM-DD/ },
  { rule: 'expires-at is in YYYY-MM-DD form', change: (e) => { e.tags['expires-at'] = 'next week'; }, field: 'tags.expires-at', says: /not a calendar date/ },
  { rule: 'project tags are not overridden', change: (e) => { e.tags.environment = 'other'; }, field: 'tags.environment', says: /is set by the project/ },
  { rule: 'tag values follow AWS rules', change: (e) => { e.tags.team = 'a;b'; }, field: 'tags.team', says: /not a valid AWS tag value/ },
  { rule: 'tag keys may not use the aws: prefix', change: (e) => { e.tags['aws:cost'] = 'x'; }, field: 'tags.aws:cost', says: /not a valid AWS tag key/ },
  { rule: 'S3 state needs a bucket', change: (e) => { delete e.stateBackend.bucket; }, field: 'stateBackend.bucket', says: /is required for kind "s3"/ },
  { rule: 'S3 bucket names follow S3 rules', change: (e) => { e.stateBackend.bucket = 'My_Bucket'; }, field: 'stateBackend.bucket', says: /"My_Bucket" is not a valid S3 bucket name/ },
  { rule: 'state key prefix has no leading slash', change: (e) => { e.stateBackend.keyPrefix = '/states'; }, field: 'stateBackend.keyPrefix', says: /without leading or trailing slashes/ },
  { rule: 'local state takes no bucket', change: (e) => { e.stateBackend = { kind: 'local', bucket: 'x-y-z' }; }, field: 'stateBackend.bucket', says: /only applies to kind "s3"/ },
  { rule: 'namespace is a DNS label', change: (e) => { e.streaming = { namespace: 'Kafka_NS' }; }, field: 'streaming.namespace', says: /"Kafka_NS" is not valid\. Fix: use a DNS label/ },
  { rule: 'monitoring namespace is a DNS label', change: (e) => { e.streaming = { monitoringNamespace: 'Monitoring_NS' }; }, field: 'streaming.monitoringNamespace', says: /"Monitoring_NS" is not valid\. Fix: name the namespace of the metrics scraper as a DNS label/ },
  { rule: 'monitoring namespace is not the streaming namespace', change: (e) => { e.streaming = { namespace: 'kafka', monitoringNamespace: 'kafka' }; }, field: 'streaming.monitoringNamespace', says: /"kafka" is the streaming namespace itself: every pod there could reach the metrics ports\. Fix: name the separate namespace/ },
  { rule: 'ZooKeeper ensemble size is odd', change: (e) => { e.streaming = { zookeeper: { replicas: 4 } }; }, field: 'streaming.zookeeper.replicas', says: /Fix: use an odd number/ },
  { rule: 'ZooKeeper has at least one server', change: (e) => { e.streaming = { zookeeper: { replicas: 0 } }; }, field: 'streaming.zookeeper.replicas', says: /0 is out of range/ },
  { rule: 'Kafka has at least one broker', change: (e) => { e.streaming = { kafka: { brokers: 0 } }; }, field: 'streaming.kafka.brokers', says: /0 is out of range/ },
  { rule: 'external domain is a DNS name', change: (e) => { e.streaming = { kafka: { externalDomain: 'not a domain' } }; }, field: 'streaming.kafka.externalDomain', says: /is not valid/ },
  { rule: 'topics have at least one partition', change: (e) => { e.streaming = { topics: topicsWith({ partitions: 0 }) }; }, field: 'streaming.topics[0].partitions', says: /0 is out of range\. Fix: use at least 1 partition/ },
  { rule: 'replication factor is at least 1', change: (e) => { e.streaming = { topics: topicsWith({ replicationFactor: 0, config: {} }) }; }, field: 'streaming.topics[0].replicationFactor', says: /0 is out of range/ },
  { rule: 'replication factor is at most the broker count', change: (e) => { e.streaming = { kafka: { brokers: 3 }, topics: topicsWith({ replicationFactor: 4 }) }; }, field: 'streaming.topics[0].replicationFactor', says: /4 exceeds the 3 brokers/ },
  { rule: 'topic names are Kafka-legal', change: (e) => { e.streaming = { topics: [...topicsWith({}), { name: 'bad topic', partitions: 1, replicationFactor: 1 }] }; }, field: 'streaming.topics[3].name', says: /"bad topic" is not valid/ },
  { rule: 'topic names are unique', change: (e) => { e.streaming = { topics: [...topicsWith({}), { name: 'AirlineInputTopic', partitions: 1, replicationFactor: 3 }] }; }, field: 'streaming.topics[3].name', says: /listed twice/ },
  { rule: 'the prediction topics are present', change: (e) => { e.streaming = { topics: topicsWith({}).slice(1) }; }, field: 'streaming.topics', says: /AirlineInputTopic is missing/ },
  { rule: 'min.insync.replicas is at most the replication factor', change: (e) => { e.streaming = { topics: topicsWith({ replicationFactor: 2, config: { 'min.insync.replicas': '3' } }) }; }, field: 'streaming.topics[0].config.min.insync.replicas', says: /"3" must be a whole number from 1 to the replication factor \(2\)/ },
  { rule: 'topic config values are strings', change: (e) => { e.streaming = { topics: topicsWith({ config: { 'retention.ms': 1000 } }) }; }, field: 'streaming.topics[0].config.retention.ms', says: /expected a string/ },
  { rule: 'prediction runs at least one replica', change: (e) => { e.streaming = { prediction: { replicas: 0 } }; }, field: 'streaming.prediction.replicas', says: /0 is out of range/ },
  { rule: 'prediction maxReplicas is at most the input partitions', change: (e) => { e.streaming = { prediction: { maxReplicas: 11 } }; }, field: 'streaming.prediction.maxReplicas', says: /11 exceeds the 10 partitions of AirlineInputTopic/ },
  { rule: 'prediction maxReplicas is at least replicas', change: (e) => { e.streaming = { prediction: { replicas: 6, maxReplicas: 5 } }; }, field: 'streaming.prediction.maxReplicas', says: /5 is below replicas \(6\)/ },
  { rule: 'delivery mode is known', change: (e) => { e.streaming = { prediction: { mode: 'at-most-once' } }; }, field: 'streaming.prediction.mode', says: /use one of: at-least-once, exactly-once/ },
];

function topicsWith(override: Mutable): Mutable[] {
  return DEFAULTS.streaming.topics.map((name, index) => ({
    name,
    partitions: DEFAULTS.streaming.topicDefaults.partitions,
    replicationFactor: DEFAULTS.streaming.topicDefaults.replicationFactor,
    ...(index === 0 ? override : {}),
  }));
}

test('the base environments used by the rule tests are valid', () => {
  assert.deepEqual(messages('team', awsEnvironment()), []);
  assert.deepEqual(messages('team', localEnvironment()), []);
});

for (const rule of RULES) {
  test(`config rule: ${rule.rule}`, () => {
    const environment = (rule.base ?? awsEnvironment)();
    rule.change(environment);
    const name = rule.environmentName ?? 'team';
    const result = validateEnvironment(name, environment);
    assert.equal(result.environment, undefined, 'an invalid environment must not resolve');
    const found = result.issues.map(formatIssue).filter((message) => message.startsWith(`config error in environment "${name}", field ${rule.field}: `));
    assert.ok(found.some((message) => rule.says.test(message)), `expected an issue on ${rule.field} matching ${rule.says}; got:\n${result.issues.map(formatIssue).join('\n')}`);
  });
}

test('config rule: 0.0.0.0/0 is refused in production even when open access is asked for', () => {
  const environment = awsEnvironment();
  environment.production = true;
  environment.aws.adminCidrs = ['0.0.0.0/0'];
  environment.aws.allowOpenAdminAccess = true;
  assert.ok(messages('live', environment).includes(
    'config error in environment "live", field aws.adminCidrs: 0.0.0.0/0 is refused in a production environment. Fix: list your office/VPN CIDRs.',
  ));
});

test('production is the explicit flag, not the name: "prod" with production false gets the non-production rules', () => {
  const environment = awsEnvironment();
  environment.aws.adminCidrs = ['0.0.0.0/0'];
  environment.aws.allowOpenAdminAccess = true;
  const result = validateEnvironment('prod', environment);
  assert.deepEqual(result.issues, []);
  assert.equal(result.environment?.production, false);
});

test('0.0.0.0/0 is accepted outside prod when allowOpenAdminAccess is set', () => {
  const environment = awsEnvironment();
  environment.aws.adminCidrs = ['0.0.0.0/0'];
  environment.aws.allowOpenAdminAccess = true;
  const result = validateEnvironment('sandbox', environment);
  assert.deepEqual(result.issues, []);
  assert.deepEqual(result.environment?.aws?.adminCidrs, ['0.0.0.0/0']);
});

test('every problem of an environment is reported at once', () => {
  const environment = awsEnvironment();
  environment.aws.availabilityZoneCount = 1;
  environment.aws.vpcCidr = 'nope';
  environment.tags['expires-at'] = 'soon';
  const fields = validateEnvironment('team', environment).issues.map((issue) => issue.field);
  assert.deepEqual(fields.sort(), ['aws.availabilityZoneCount', 'aws.vpcCidr', 'tags.expires-at']);
});

test('defaults come from DEFAULTS and subnets are carved from the VPC CIDR', () => {
  const resolved = validateEnvironment('team', awsEnvironment()).environment;
  assert.ok(resolved?.aws);
  const aws = resolved.aws;
  assert.equal(aws.availabilityZoneCount, DEFAULTS.aws.availabilityZoneCount);
  assert.equal(aws.vpcCidr, DEFAULTS.aws.vpcCidr);
  assert.deepEqual(aws.privateAgents, DEFAULTS.aws.privateAgents);
  assert.deepEqual(aws.publicAgents, DEFAULTS.aws.publicAgents);
  assert.equal(aws.natMode, DEFAULTS.aws.natMode);
  assert.equal(aws.clusterName, 'airline-streaming-team');
  assert.equal(aws.privateSubnetCidrs.length, DEFAULTS.aws.availabilityZoneCount);
  assert.equal(aws.publicSubnetCidrs.length, DEFAULTS.aws.availabilityZoneCount);
  assert.deepEqual(aws.privateSubnetCidrs, ['10.0.0.0/19', '10.0.32.0/19', '10.0.64.0/19']);
  assert.deepEqual(aws.publicSubnetCidrs, ['10.0.224.0/22', '10.0.228.0/22', '10.0.232.0/22']);
  assert.equal(resolved.stateBackend.kind, 's3');
  assert.equal(resolved.stateBackend.kind === 's3' && resolved.stateBackend.region, 'eu-west-1', 'state region defaults to the environment region');
  assert.deepEqual(resolved.streaming.topics.map((topic) => [topic.name, topic.partitions, topic.replicationFactor]),
    DEFAULTS.streaming.topics.map((name) => [name, 10, 3]));
  assert.equal(resolved.streaming.prediction.maxReplicas, 10, 'maxReplicas defaults to the input partitions');
  assert.equal(resolved.streaming.kafka.externalDomain, 'kafka.team.internal');
  assert.equal(resolved.streaming.monitoringNamespace, DEFAULTS.streaming.monitoringNamespace);
  assert.deepEqual(resolved.tags, { owner: 'team-a', 'expires-at': '2027-01-31', environment: 'team', project: 'airline-streaming', 'managed-by': 'cdktf' });
});

test('the shipped environments are dev, staging, prod (aws) and local (the k8s:up cluster) and all validate; only prod is production', () => {
  const environments = loadEnvironments({});
  assert.deepEqual(environments.map((environment) => [environment.name, environment.target, environment.production]),
    [['dev', 'aws', false], ['staging', 'aws', false], ['prod', 'aws', true], ['local', 'local', false]]);
  const local = environments.find((environment) => environment.name === 'local');
  assert.equal(local?.local?.kubeconfigContext, 'airline-local');
  assert.equal(local?.aws, undefined);
  for (const environment of environments.filter((candidate) => candidate.target === 'aws')) {
    assert.ok(!environment.aws?.adminCidrs.includes('0.0.0.0/0'), `${environment.name} must not be open to the internet`);
  }
});

test('loadEnvironment refuses an unknown name and lists the known ones', () => {
  assert.throws(() => loadEnvironment('qa', {}), (error: unknown) => {
    assert.ok(error instanceof ConfigError);
    assert.match(error.message, /unknown environment "qa"\. Fix: use one of: dev, staging, prod, local\./);
    return true;
  });
  assert.equal(loadEnvironment('staging', {}).name, 'staging');
});

test('AIRLINE_ENVIRONMENTS selects environments and refuses unknown names', () => {
  assert.deepEqual(loadEnvironments({ AIRLINE_ENVIRONMENTS: 'prod, local' }).map((environment) => environment.name), ['prod', 'local']);
  assert.throws(() => loadEnvironments({ AIRLINE_ENVIRONMENTS: 'dev,qa' }), /field AIRLINE_ENVIRONMENTS: unknown environment "qa"/);
});

test('AIRLINE_CONFIG replaces the environments with a JSON file, validated the same way', () => {
  const dir = makeTempDir('airline-config');
  const good = join(dir, 'good.json');
  writeFileSync(good, JSON.stringify([{ name: 'sandbox', ...awsEnvironment() }]));
  assert.deepEqual(loadEnvironments({ AIRLINE_CONFIG: good }).map((environment) => environment.name), ['sandbox']);

  const bad = join(dir, 'bad.json');
  const broken = awsEnvironment();
  broken.aws.availabilityZoneCount = 1;
  writeFileSync(bad, JSON.stringify([{ name: 'sandbox', ...broken }, { name: 'ok', ...localEnvironment() }]));
  assert.throws(() => loadEnvironments({ AIRLINE_CONFIG: bad }), /environment "sandbox", field aws\.availabilityZoneCount/);

  const notJson = join(dir, 'broken.json');
  writeFileSync(notJson, '{ sandbox: ');
  assert.throws(() => loadEnvironments({ AIRLINE_CONFIG: notJson }), /field AIRLINE_CONFIG: cannot read .*broken\.json/);
});

test('one invalid environment fails loading even when another is selected', () => {
  const dir = makeTempDir('airline-config');
  const file = join(dir, 'mixed.json');
  const broken = awsEnvironment();
  broken.tags['expires-at'] = '31/12/2027';
  writeFileSync(file, JSON.stringify([{ name: 'good', ...awsEnvironment() }, { name: 'broken', ...broken }]));
  assert.throws(() => loadEnvironments({ AIRLINE_CONFIG: file, AIRLINE_ENVIRONMENTS: 'good' }), /environment "broken", field tags\.expires-at/);
});

test('AIRLINE_STATE=local switches every environment to local state; other values are refused', () => {
  const environments = loadEnvironments({ AIRLINE_STATE: 'local' });
  assert.ok(environments.every((environment) => environment.stateBackend.kind === 'local'));
  assert.throws(() => loadEnvironments({ AIRLINE_STATE: 'remote' }), /field AIRLINE_STATE: "remote" is not supported/);
});

test('AIRLINE_STATE_BUCKET replaces the placeholder bucket', () => {
  const dev = loadEnvironment('dev', { AIRLINE_STATE_BUCKET: 'acme-tfstate-111122223333' });
  assert.equal(dev.stateBackend.kind === 's3' && dev.stateBackend.bucket, 'acme-tfstate-111122223333');
  assert.throws(() => loadEnvironments({ AIRLINE_STATE_BUCKET: 'Bad Bucket' }), /AIRLINE_STATE_BUCKET/);
});

test('the environments are a list: a name used twice is refused with both entries named', () => {
  const dir = makeTempDir('airline-config');
  const file = join(dir, 'twice.json');
  writeFileSync(file, JSON.stringify([{ name: 'team', ...awsEnvironment() }, { name: 'other', ...localEnvironment() }, { name: 'team', ...localEnvironment() }]));
  assert.throws(() => loadEnvironments({ AIRLINE_CONFIG: file }), (error: unknown) => {
    assert.ok(error instanceof ConfigError);
    assert.deepEqual(error.issues.map((issue) => [issue.environment, issue.field]), [['team', 'name']]);
    assert.match(error.message, /^config error in environment "team", field name: is used twice in the environments list \(environments\[0\] and environments\[2\]\); .*\. Fix: give every environment its own name: rename or remove one of the entries\.$/);
    return true;
  });
});

test('the environments are a list: an object keyed by name and an entry without a name are refused', () => {
  const dir = makeTempDir('airline-config');
  const keyed = join(dir, 'keyed.json');
  writeFileSync(keyed, JSON.stringify({ team: awsEnvironment() }));
  assert.throws(() => loadEnvironments({ AIRLINE_CONFIG: keyed }), /field AIRLINE_CONFIG: .*keyed\.json does not hold a list of environments\. Fix: write \[\{ "name": "<env>"/);
  const unnamed = join(dir, 'unnamed.json');
  writeFileSync(unnamed, JSON.stringify([awsEnvironment()]));
  assert.throws(() => loadEnvironments({ AIRLINE_CONFIG: unnamed }), /field environments\[0\]\.name: is required\. Fix: name the environment/);
});

test('the shipped environment names are unique', () => {
  const names = ENVIRONMENTS.map((entry) => entry.name);
  assert.deepEqual([...new Set(names)], names);
});

// ---- production: admin CIDRs (a /16 at most each, 4 x /16 together, unless an entry gives its reason) ----

function adminCidrIssues(production: boolean, adminCidrs: unknown[]): string[] {
  const environment = production ? productionEnvironment() : awsEnvironment();
  environment.aws.adminCidrs = adminCidrs;
  return messages('live', environment);
}

const FIVE_SLASH_16 = ['198.18.0.0/16', '198.19.0.0/16', '100.64.0.0/16', '100.65.0.0/16', '100.66.0.0/16'];

test('the production fixture is valid', () => {
  assert.deepEqual(messages('live', productionEnvironment()), []);
});

test('production: an admin CIDR wider than /16 is refused without a reason, naming the entry and both fixes', () => {
  assert.deepEqual(adminCidrIssues(true, ['203.0.113.0/24', '100.64.0.0/10']), [
    'config error in environment "live", field aws.adminCidrs[1]: 100.64.0.0/10 (4,194,304 addresses) is wider than /16, the widest a production environment accepts without a reason. ' +
      'Fix: narrow it to /16 or smaller, or write it as { cidr: "100.64.0.0/10", reason: "<why this range, e.g. office VPN range, ticket NET-12>" }.',
  ]);
  assert.deepEqual(adminCidrIssues(true, ['100.64.0.0/16']), [], 'a /16 is the widest accepted as it is');
});

test('production: a wide admin CIDR with a written reason is accepted; the resolved list holds the CIDRs alone', () => {
  const environment = productionEnvironment();
  environment.aws.adminCidrs = ['203.0.113.0/24', { cidr: '100.64.0.0/10', reason: 'carrier-grade NAT pool of the office VPN, ticket NET-12' }];
  const result = validateEnvironment('live', environment);
  assert.deepEqual(result.issues, []);
  assert.deepEqual(result.environment?.aws?.adminCidrs, ['203.0.113.0/24', '100.64.0.0/10']);
});

test('production: admin CIDRs covering more than 4 x 65,536 addresses together are refused without reasons', () => {
  const issues = adminCidrIssues(true, FIVE_SLASH_16);
  assert.equal(issues.length, 1, issues.join('\n'));
  assert.match(issues[0], /^config error in environment "live", field aws\.adminCidrs: the CIDRs without a reason \(198\.18\.0\.0\/16, .*\) cover 327,680 addresses together, more than the 262,144 \(4 x \/16\) a production environment accepts without a reason\. Fix: narrow or merge them, or write the ones that need the room as \{ cidr: "\.\.\.", reason: /);
});

test('production: the address budget counts the union (a range inside another counts once)', () => {
  assert.deepEqual(adminCidrIssues(true, [...FIVE_SLASH_16.slice(0, 4), '198.18.128.0/17', '198.19.0.0/24']), []);
  // Four /16s are the budget: one more address is over it.
  assert.equal(adminCidrIssues(true, [...FIVE_SLASH_16.slice(0, 4), '203.0.113.7/32']).length, 1);
});

test('production: an entry with a reason is outside the address budget', () => {
  const [fifth, ...four] = FIVE_SLASH_16;
  assert.deepEqual(adminCidrIssues(true, [...four, { cidr: fifth, reason: 'second office, until the VPN merge (NET-31)' }]), []);
});

test('a reason has to say something: short, padding or the example placeholder is refused', () => {
  for (const [reason, says] of [
    ['VPN', /field aws\.adminCidrs\[0\]\.reason: "VPN" is too short to explain anything \(3 of at least 10 characters\)\. Fix: write why in a sentence of at least 10 characters/],
    ['1234567890-', /"1234567890-" is not a sentence/],
    ['<why this range, e.g. office VPN range>', /still holds the <\.\.\.> placeholder/],
    [undefined, /field aws\.adminCidrs\[0\]\.reason: expected a sentence, got nothing/],
  ] as const) {
    const issues = adminCidrIssues(true, [{ cidr: '100.64.0.0/10', reason }]);
    assert.ok(issues.some((issue) => says.test(issue)), `${String(reason)}: ${issues.join('\n')}`);
  }
});

test('outside production the admin CIDR width and budget rules do not apply (today\'s rules stay)', () => {
  assert.deepEqual(adminCidrIssues(false, ['100.64.0.0/10', ...FIVE_SLASH_16]), []);
  assert.deepEqual(adminCidrIssues(false, [{ cidr: '100.64.0.0/10', reason: 'shared lab network of the team' }]), []);
  assert.match(adminCidrIssues(false, [{ cidr: '100.64.0.0/10', reason: 'lab' }]).join('\n'), /aws\.adminCidrs\[0\]\.reason: "lab" is too short/);
  assert.match(adminCidrIssues(false, [42]).join('\n'), /field aws\.adminCidrs\[0\]: expected a CIDR string or \{ cidr, reason \}, got number 42/);
});

// ---- production: replication minimums (3 brokers, 3 ZooKeeper servers, RF 3, min.insync.replicas 2) ----

const PRODUCTION_REPLICATION_RULES: RuleCase[] = [
  { rule: 'at least 3 Kafka brokers', change: (e) => { e.streaming = { kafka: { brokers: 2 }, topics: topicsWith({ replicationFactor: 2, config: { 'min.insync.replicas': '2' } }).map((t) => ({ ...t, replicationFactor: 2 })) }; },
    field: 'streaming.kafka.brokers', says: /2 broker\(s\) cannot hold 3 copies of each partition; a production environment runs at least 3\. Fix: use at least 3 brokers\./ },
  { rule: 'at least 3 ZooKeeper servers', change: (e) => { e.streaming = { zookeeper: { replicas: 1 } }; },
    field: 'streaming.zookeeper.replicas', says: /1 server\(s\) lose the quorum when one fails; a production environment runs at least 3\. Fix: use 3, 5 or 7\./ },
  { rule: 'topic replication factor 3', change: (e) => { e.streaming = { topics: topicsWith({ replicationFactor: 2, config: { 'min.insync.replicas': '2' } }) }; },
    field: 'streaming.topics[0].replicationFactor', says: /2 copies of AirlineInputTopic lose acknowledged writes when two brokers fail; a production environment keeps at least 3\. Fix: set replicationFactor to 3/ },
  { rule: 'topic min.insync.replicas 2', change: (e) => { e.streaming = { topics: topicsWith({ config: { 'min.insync.replicas': '1' } }) }; },
    field: 'streaming.topics[0].config.min.insync.replicas', says: /"1" acknowledges a write held by a single broker; a production environment needs at least 2 in-sync replicas\. Fix: set "min\.insync\.replicas": "2" \(or remove it: the broker default is 2\)\./ },
];

for (const rule of PRODUCTION_REPLICATION_RULES) {
  test(`production rule: ${rule.rule}; other environments may run less`, () => {
    const environment = productionEnvironment();
    rule.change(environment);
    pinImages(environment);
    const result = validateEnvironment('live', environment);
    assert.equal(result.environment, undefined);
    const found = result.issues.map(formatIssue).filter((message) => message.startsWith(`config error in environment "live", field ${rule.field}: `));
    assert.ok(found.some((message) => rule.says.test(message)), `expected ${rule.says} on ${rule.field}; got:\n${result.issues.map(formatIssue).join('\n')}`);

    const ordinary = awsEnvironment();
    rule.change(ordinary);
    assert.deepEqual(messages('live', ordinary), []);
  });
}

test('production: a topic without its own min.insync.replicas takes the broker default (2) and passes', () => {
  const environment = productionEnvironment();
  environment.streaming.topics = topicsWith({ config: {} });
  assert.deepEqual(messages('live', environment), []);
});

// ---- images: digests accepted everywhere; production refuses a reference without one unless it gives a reason ----

function imageIssues(production: boolean, change: (streaming: Mutable) => void): string[] {
  const environment = production ? productionEnvironment() : awsEnvironment();
  environment.streaming ??= {};
  change(environment.streaming);
  return messages('live', environment);
}

test('digest-pinned image references are accepted in every environment', () => {
  for (const reference of [`apache/kafka@${DIGEST}`, `apache/kafka:3.9.1@${DIGEST}`, `registry.example.com:5000/team/kafka:3.9.1@${DIGEST}`]) {
    for (const production of [false, true]) {
      assert.deepEqual(imageIssues(production, (s) => { s.kafka = { image: reference }; }), [], `${reference} production=${production}`);
    }
  }
  const resolved = validateEnvironment('live', productionEnvironment()).environment;
  assert.equal(resolved?.streaming.kafka.image, `apache/kafka:3.9.1@${DIGEST}`);
});

test('malformed image references are refused in every environment', () => {
  const cases: Array<[string, RegExp]> = [
    ['apache/kafka@sha256:abc', /field streaming\.kafka\.image: "apache\/kafka@sha256:abc" has the digest "sha256:abc", not sha256:<64 lowercase hex digits>\. Fix: write repository\[:tag\]\[@sha256:<64 hex digits>\]/],
    [`apache/kafka@md5:${'0'.repeat(32)}`, /has the digest "md5:0+", not sha256/],
    [`apache/kafka@${DIGEST.toUpperCase().replace('SHA256', 'sha256')}`, /not sha256:<64 lowercase hex digits>/],
    ['Apache/Kafka:3.9.1', /has the repository "Apache\/Kafka", which is not a lowercase image name/],
    ['apache/kafka:3.9.1 ', /has the tag "3\.9\.1 ", which is not a valid tag/],
    [`apache/kafka@${DIGEST}@${DIGEST}`, /has more than one @/],
  ];
  for (const [reference, says] of cases) {
    for (const production of [false, true]) {
      const issues = imageIssues(production, (s) => { s.kafka = { image: reference }; });
      assert.ok(issues.some((issue) => says.test(issue)), `${reference}: ${issues.join('\n')}`);
    }
  }
});

test('production: an image without a digest is refused, naming the field and both fixes', () => {
  assert.deepEqual(imageIssues(true, (s) => { s.kafka = { image: 'apache/kafka:3.9.1' }; }), [
    'config error in environment "live", field streaming.kafka.image: "apache/kafka:3.9.1" is not pinned by digest: a tag can be pushed again with other content, and production runs exactly what was reviewed. ' +
      'Fix: set streaming.kafka.image to apache/kafka:3.9.1@sha256:<digest> (README, "Pinning images by digest"), or to { reference: "apache/kafka:3.9.1", reason: "<why no digest yet>" }.',
  ]);
  assert.match(imageIssues(true, (s) => { s.kafka = { image: 'apache/kafka' }; }).join('\n'), /"apache\/kafka" is not pinned by digest \(no tag means latest\).*Fix: set streaming\.kafka\.image to apache\/kafka:<tag>@sha256:<digest>/);
  assert.match(imageIssues(true, (s) => { s.prediction = { image: 'node:20.19-alpine' }; }).join('\n'), /field streaming\.prediction\.image: "node:20\.19-alpine" is not pinned by digest/);
});

test('production: the default images are held to the same rule when an environment does not set them', () => {
  const issues = imageIssues(true, (s) => { delete s.zookeeper; });
  assert.deepEqual(issues.map((issue) => issue.slice(0, issue.indexOf(':', issue.indexOf('field')))), ['config error in environment "live", field streaming.zookeeper.image']);
  assert.match(issues[0], /the default image "zookeeper:3\.8\.4" is not pinned by digest.*Fix: set streaming\.zookeeper\.image to zookeeper:3\.8\.4@sha256:<digest>/);
  // The image that runs the bundled Node programs too.
  assert.match(imageIssues(true, (s) => { delete s.nodeRuntimeImage; }).join('\n'),
    /field streaming\.nodeRuntimeImage: the default image "node:20\.19-alpine" is not pinned by digest/);
});

test('production: an image entry with a written reason is accepted without a digest; a poor reason is not', () => {
  const environment = productionEnvironment();
  environment.streaming.kafka = { image: { reference: 'apache/kafka:3.9.1', reason: 'registry unreachable from the build host, pin in OPS-7' } };
  const result = validateEnvironment('live', environment);
  assert.deepEqual(result.issues, []);
  assert.equal(result.environment?.streaming.kafka.image, 'apache/kafka:3.9.1');
  assert.match(imageIssues(true, (s) => { s.kafka = { image: { reference: 'apache/kafka:3.9.1', reason: 'later' } }; }).join('\n'),
    /field streaming\.kafka\.image\.reason: "later" is too short to explain anything/);
  assert.match(imageIssues(true, (s) => { s.kafka = { image: { reference: 'apache kafka', reason: 'registry unreachable from the build host' } }; }).join('\n'),
    /field streaming\.kafka\.image\.reference: "apache kafka" has the repository "apache kafka"/);
  assert.match(imageIssues(true, (s) => { s.kafka = { image: { ref: 'apache/kafka:3.9.1' } }; }).join('\n'), /field streaming\.kafka\.image\.ref: unknown field/);
});

test('outside production a tag is enough (today\'s rule)', () => {
  assert.deepEqual(imageIssues(false, (s) => { s.kafka = { image: 'apache/kafka:3.9.1' }; s.prediction = { image: 'node:20.19-alpine' }; }), []);
});

test('the shipped prod gives a reason for each image instead of inventing digests', () => {
  const prod = ENVIRONMENTS.find((entry) => entry.name === 'prod')!;
  for (const image of [prod.streaming?.zookeeper?.image, prod.streaming?.kafka?.image]) {
    assert.ok(typeof image === 'object', JSON.stringify(image));
    assert.doesNotMatch(image.reference, /@/);
    assert.match(image.reason, /digest/);
  }
});
