// Every refusal a construct makes on a prop that comes from config is made by config validation first, as a
// ConfigError naming the environment, the field and the fix, before any construct exists. The constructs keep their
// own check as a second line (for use without the config layer), also as a ConfigError naming `<Construct>.<prop>`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TerraformStack, Testing } from 'cdktf';
import { formatIssue, validateEnvironment } from '../../config';
import { ConfigError } from '../../contracts/config-error';
import { TOPIC_NAMES } from '../../contracts/topics';
import { Network } from '../../constructs/aws/network';
import { NodePool } from '../../constructs/aws/node-pool';
import { AppNamespace } from '../../constructs/k8s/namespace';
import { BootstrapVip } from '../../constructs/kafka/bootstrap-vip';
import { KafkaExternalDns } from '../../constructs/kafka/external-dns';
import { KafkaCluster } from '../../constructs/kafka/kafka-cluster';
import { KafkaTopics } from '../../constructs/kafka/kafka-topics';
import { ZooKeeperEnsemble } from '../../constructs/kafka/zookeeper-ensemble';
import { PredictionService } from '../../constructs/prediction/prediction-service';

type Mutable = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function awsEnvironment(): Mutable {
  return {
    production: false,
    target: 'aws',
    aws: { region: 'eu-west-1', adminCidrs: ['203.0.113.0/24'] },
    tags: { owner: 'team-a', 'expires-at': '2027-01-31' },
  };
}

function topic(name: string, replicationFactor = 3) {
  return { name, partitions: 10, replicationFactor, config: {} };
}

const NODE_POOL = {
  poolName: 'private-agents', clusterName: 'c', kubernetesVersion: '1.33', subnetIds: ['s-1', 's-2'], nodeRoleArn: 'arn:aws:iam::111122223333:role/n',
  count: 3, instanceType: 'm6i.xlarge', diskGiB: 50, instanceTags: {},
};
const NETWORK = { name: 'n', clusterName: 'c', vpcCidr: '10.0.0.0/16', publicSubnetCidrs: ['10.0.224.0/22', '10.0.228.0/22'], privateSubnetCidrs: ['10.0.0.0/19', '10.0.32.0/19'] };
const BROKERS = { namespace: 'kafka', brokerPodLabels: { app: 'kafka' }, brokerPodNames: ['kafka-0'], port: 9092 };

interface ReachableRefusal {
  /** The construct prop that refuses, as its ConfigError names it. */
  construct: string;
  /** A config change that would hand the construct that prop. */
  change: (environment: Mutable) => void;
  /** What validation reports instead. */
  field: string;
  says: RegExp;
  /** The construct given the same prop directly. */
  build: (stack: TerraformStack) => void;
}

const REFUSALS: ReachableRefusal[] = [
  {
    construct: 'BootstrapVip.external.sourceRanges',
    change: (e) => { e.aws.adminCidrs = ['0.0.0.0/0']; e.aws.allowOpenAdminAccess = true; e.streaming = { kafka: { externalAccess: true } }; },
    field: 'streaming.kafka.externalAccess',
    says: /would open the Kafka load balancers to the internet: they accept aws\.adminCidrs, which holds 0\.0\.0\.0\/0\. Fix: list your office\/VPN CIDRs in aws\.adminCidrs, or leave externalAccess off\./,
    build: (s) => new BootstrapVip(s, 'vip', { ...BROKERS, external: { port: 9094, sourceRanges: ['10.0.0.0/16', '0.0.0.0/0'] } }),
  },
  {
    construct: 'AppNamespace.name',
    change: (e) => { e.streaming = { namespace: 'Kafka_NS' }; },
    field: 'streaming.namespace', says: /"Kafka_NS" is not valid\. Fix: use a DNS label/,
    build: (s) => new AppNamespace(s, 'ns', { name: 'Kafka_NS' }),
  },
  {
    construct: 'NodePool(private-agents).count',
    change: (e) => { e.aws.privateAgents = { count: 0 }; },
    field: 'aws.privateAgents.count', says: /0 is out of range\. Fix: use at least 1/,
    build: (s) => new NodePool(s, 'pool', { ...NODE_POOL, count: 0 }),
  },
  {
    construct: 'NodePool(private-agents).instanceType',
    change: (e) => { e.aws.privateAgents = { instanceType: 'm6i.9000xlarge' }; },
    field: 'aws.privateAgents.instanceType', says: /m6i has no size "9000xlarge"\. Fix: use a size m6i comes in/,
    build: (s) => new NodePool(s, 'pool', { ...NODE_POOL, instanceType: 'm6i.9000xlarge' }),
  },
  {
    construct: 'Network.publicSubnetCidrs',
    change: (e) => { e.aws.availabilityZoneCount = 1; },
    field: 'aws.availabilityZoneCount', says: /1 is out of range\. Fix: use 2 to 6/,
    build: (s) => new Network(s, 'net', { ...NETWORK, publicSubnetCidrs: ['10.0.224.0/22'], privateSubnetCidrs: ['10.0.0.0/19'] }),
  },
  {
    construct: 'Network.availabilityZones',
    change: (e) => { e.aws.availabilityZones = ['eu-west-1a', 'eu-west-1b']; },
    field: 'aws.availabilityZones', says: /lists 2 zones for availabilityZoneCount 3\. Fix: list exactly 3 zone names/,
    build: (s) => new Network(s, 'net', { ...NETWORK, availabilityZones: ['eu-west-1a'] }),
  },
  {
    construct: 'KafkaCluster.brokers',
    change: (e) => { e.streaming = { kafka: { brokers: 0 } }; },
    field: 'streaming.kafka.brokers', says: /0 is out of range\. Fix: use a whole number between 1 and 100/,
    build: (s) => new KafkaCluster(s, 'kafka', { namespace: 'kafka', zookeeperConnect: 'zk:2181', brokers: 0 }),
  },
  {
    construct: 'KafkaCluster.heapMb',
    change: (e) => { e.streaming = { kafka: { heapMb: 255 } }; },
    field: 'streaming.kafka.heapMb', says: /255 is out of range/,
    build: (s) => new KafkaCluster(s, 'kafka', { namespace: 'kafka', zookeeperConnect: 'zk:2181', heapMb: 255 }),
  },
  {
    construct: 'KafkaCluster.storageGiB',
    change: (e) => { e.streaming = { kafka: { storageGiB: 0 } }; },
    field: 'streaming.kafka.storageGiB', says: /0 is out of range/,
    build: (s) => new KafkaCluster(s, 'kafka', { namespace: 'kafka', zookeeperConnect: 'zk:2181', storageGiB: 0 }),
  },
  {
    construct: 'ZooKeeperEnsemble.replicas',
    change: (e) => { e.streaming = { zookeeper: { replicas: 4 } }; },
    field: 'streaming.zookeeper.replicas', says: /Fix: use an odd number/,
    build: (s) => new ZooKeeperEnsemble(s, 'zk', { namespace: 'kafka', replicas: 4 }),
  },
  {
    construct: 'ZooKeeperEnsemble.heapMb',
    change: (e) => { e.streaming = { zookeeper: { heapMb: 63 } }; },
    field: 'streaming.zookeeper.heapMb', says: /63 is out of range/,
    build: (s) => new ZooKeeperEnsemble(s, 'zk', { namespace: 'kafka', heapMb: 63 }),
  },
  {
    construct: 'KafkaTopics.topics',
    change: (e) => { e.streaming = { topics: [] }; },
    field: 'streaming.topics', says: /AirlineInputTopic is missing; the prediction service uses it\. Fix: add a topic named AirlineInputTopic/,
    build: (s) => new KafkaTopics(s, 'topics', { namespace: 'kafka', bootstrap: 'b:9092', topics: [], expectedBrokers: 3 }),
  },
  {
    construct: 'KafkaTopics.topics',
    change: (e) => { e.streaming = { kafka: { brokers: 2 } }; },
    field: 'streaming.topics[0].replicationFactor', says: /3 exceeds the 2 brokers\. Fix: use 1 to 2 or add brokers/,
    build: (s) => new KafkaTopics(s, 'topics', { namespace: 'kafka', bootstrap: 'b:9092', topics: [topic('t')], expectedBrokers: 2 }),
  },
  {
    construct: 'KafkaExternalDns.domain',
    change: (e) => { e.streaming = { kafka: { externalAccess: true, externalDomain: 'Not A Domain' } }; },
    field: 'streaming.kafka.externalDomain', says: /"Not A Domain" is not valid\. Fix: use a lowercase DNS name/,
    build: (s) => new KafkaExternalDns(s, 'dns', { domain: 'Not A Domain', vpcId: 'v', bootstrapTarget: 'x', brokerTargets: [] }),
  },
  {
    construct: 'PredictionService.maxReplicas',
    change: (e) => { e.streaming = { prediction: { maxReplicas: 11 } }; },
    field: 'streaming.prediction.maxReplicas', says: /11 exceeds the 10 partitions of AirlineInputTopic/,
    build: (s) => new PredictionService(s, 'prediction', { namespace: 'kafka', bootstrap: 'b:9092', inputPartitions: 10, maxReplicas: 11 }),
  },
  {
    construct: 'PredictionService.replicas',
    change: (e) => { e.streaming = { prediction: { replicas: 6, maxReplicas: 5 } }; },
    field: 'streaming.prediction.maxReplicas', says: /5 is below replicas \(6\)\. Fix: use at least 6/,
    build: (s) => new PredictionService(s, 'prediction', { namespace: 'kafka', bootstrap: 'b:9092', inputPartitions: 10, replicas: 6, maxReplicas: 5 }),
  },
  {
    construct: 'PredictionService.inputPartitions',
    change: (e) => { e.streaming = { topics: Object.values(TOPIC_NAMES).map((name) => ({ ...topic(name), partitions: name === TOPIC_NAMES.input ? 0 : 10 })) }; },
    field: 'streaming.topics[0].partitions', says: /0 is out of range\. Fix: use at least 1 partition/,
    build: (s) => new PredictionService(s, 'prediction', { namespace: 'kafka', bootstrap: 'b:9092', inputPartitions: 0 }),
  },
];

test('the base environment of the table is valid', () => {
  assert.deepEqual(validateEnvironment('team', awsEnvironment()).issues, []);
});

for (const refusal of REFUSALS) {
  test(`${refusal.construct}: validation refuses ${refusal.field} first; the construct refuses it too`, () => {
    const environment = awsEnvironment();
    refusal.change(environment);
    const result = validateEnvironment('team', environment);
    assert.equal(result.environment, undefined, 'nothing resolves, so no construct is ever built');
    const messages = result.issues.map(formatIssue);
    assert.ok(
      messages.some((message) => message.startsWith(`config error in environment "team", field ${refusal.field}: `) && refusal.says.test(message)),
      `expected ${refusal.field} matching ${refusal.says}; got:\n${messages.join('\n')}`,
    );

    assert.throws(() => refusal.build(new TerraformStack(Testing.app(), 'second-line')), (error: unknown) => {
      assert.ok(error instanceof ConfigError, `${refusal.construct} threw ${String(error)}`);
      assert.ok(error.issues.some((issue) => issue.field === refusal.construct), error.message);
      assert.ok(error.issues.every((issue) => issue.fix !== ''), error.message);
      return true;
    });
  });
}
