// The streaming stack of one environment: ZooKeeper, Kafka, the bootstrap VIP and the topics on the environment's
// Kubernetes cluster (EKS for target 'aws', a kubeconfig context for target 'local').
import { TerraformOutput, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { PROJECT, type ResolvedEnvironment } from '../config/schema';
import { TOPIC_NAMES } from '../contracts/topics';
import { ClusterConnection } from '../constructs/k8s/cluster-connection';
import { AppNamespace } from '../constructs/k8s/namespace';
import { NetworkPolicies } from '../constructs/k8s/network-policies';
import { BOOTSTRAP_VIP_DEFAULTS, BootstrapVip, bootstrapServiceDnsNames } from '../constructs/kafka/bootstrap-vip';
import { KafkaClusterCredentials } from '../constructs/kafka/cluster-credentials';
import { KafkaAccess } from '../constructs/kafka/kafka-access';
import { KafkaExternalDns, externalBootstrapHostname, externalBrokerHostTemplate } from '../constructs/kafka/external-dns';
import { KafkaCluster } from '../constructs/kafka/kafka-cluster';
import { KafkaTopics } from '../constructs/kafka/kafka-topics';
import { EncryptedGp3StorageClass } from '../constructs/kafka/storage-class';
import { ZooKeeperEnsemble } from '../constructs/kafka/zookeeper-ensemble';
import { PredictionService } from '../constructs/prediction/prediction-service';
import type { VolumeRetention } from '../constructs/k8s/stateful-storage';
import { configureStateBackend } from './backend';

export function streamingStackName(environmentName: string): string {
  return `streaming-${environmentName}`;
}

export interface StreamingStackProps {
  readonly environment: ResolvedEnvironment;
}

export class StreamingStack extends TerraformStack {
  readonly environment: ResolvedEnvironment;
  readonly connection: ClusterConnection;
  /** The app namespace (a reference: resources that use it wait for it). */
  readonly namespace: string;
  /** Hard one-per-node / zone-balance rules on EKS; preferences on single-node local clusters. */
  readonly strictPlacement: boolean;
  /** `retain` in production: the data volumes outlive the StatefulSets and the stack. */
  readonly volumeRetention: VolumeRetention;
  readonly credentials: KafkaClusterCredentials;
  readonly access: KafkaAccess;
  readonly zookeeper: ZooKeeperEnsemble;
  readonly kafka: KafkaCluster;
  readonly bootstrap: BootstrapVip;
  /** `kafka-bootstrap.<ns>.svc:9092`: what in-cluster clients use. */
  readonly bootstrapAddress: string;
  readonly topics: KafkaTopics;
  readonly externalDns?: KafkaExternalDns;
  readonly prediction: PredictionService;
  readonly networkPolicies: NetworkPolicies;

  constructor(scope: Construct, id: string, props: StreamingStackProps) {
    super(scope, id);
    const environment = props.environment;
    const streaming = environment.streaming;
    this.environment = environment;
    configureStateBackend(this, environment, id);

    const aws = environment.aws;
    this.connection = new ClusterConnection(
      this,
      'cluster',
      environment.target === 'aws'
        ? { kind: 'eks', clusterName: environment.aws.clusterName, region: environment.aws.region, tags: { ...environment.tags } }
        : { kind: 'kubeconfig', configPath: environment.local.kubeconfigPath, context: environment.local.kubeconfigContext },
    );
    this.strictPlacement = aws !== undefined;
    const labels = { 'app.kubernetes.io/part-of': PROJECT, 'airline.io/environment': environment.name };
    this.namespace = new AppNamespace(this, 'namespace', { name: streaming.namespace, labels }).name;
    // Production keeps the Kafka and ZooKeeper volumes when the StatefulSets or this stack are destroyed; teardown
    // deletes them only when asked to (tools/terraform/teardown.sh --delete-retained-volumes).
    this.volumeRetention = environment.production ? 'retain' : 'delete';
    // EKS: encrypted gp3 volumes, tagged like the environment's other resources; local clusters: their default StorageClass.
    const storageClassName = aws
      ? new EncryptedGp3StorageClass(this, 'storage', {
        labels,
        volumeRetention: this.volumeRetention,
        volumeTags: { project: environment.tags.project, environment: environment.tags.environment },
      }).storageClassName
      : undefined;

    // Credentials are made in the cluster, before anything that uses them (no secret passes through Terraform).
    this.credentials = new KafkaClusterCredentials(this, 'credentials', {
      namespace: this.namespace,
      nodeRuntimeImage: streaming.nodeRuntimeImage,
      labels,
    });

    this.zookeeper = new ZooKeeperEnsemble(this, 'zookeeper', {
      saslSecretName: this.credentials.zookeeperSaslSecretName,
      dependsOn: [this.credentials.job],
      namespace: this.namespace,
      replicas: streaming.zookeeper.replicas,
      image: streaming.zookeeper.image,
      heapMb: streaming.zookeeper.heapMb,
      storageGiB: streaming.zookeeper.storageGiB,
      storageClassName,
      volumeRetention: this.volumeRetention,
      strictPlacement: this.strictPlacement,
    });

    const external = aws && streaming.kafka.externalAccess ? { domain: streaming.kafka.externalDomain } : undefined;
    // Without load balancers (target local), external clients come in through NodePorts.
    const nodePortAccess = !aws && streaming.kafka.externalAccess;
    this.kafka = new KafkaCluster(this, 'kafka', {
      namespace: this.namespace,
      zookeeperConnect: this.zookeeper.connectString,
      nodeRuntimeImage: streaming.nodeRuntimeImage,
      brokers: streaming.kafka.brokers,
      image: streaming.kafka.image,
      heapMb: streaming.kafka.heapMb,
      storageGiB: streaming.kafka.storageGiB,
      storageClassName,
      volumeRetention: this.volumeRetention,
      strictPlacement: this.strictPlacement,
      externalListener: external
        ? { hostTemplate: externalBrokerHostTemplate(external.domain) }
        : nodePortAccess
          ? { kind: 'nodePort' }
          : undefined,
      security: {
        caSecretName: this.credentials.caSecretName,
        zookeeperSaslSecretName: this.credentials.zookeeperSaslSecretName,
        extraDnsNames: [
          ...bootstrapServiceDnsNames(BOOTSTRAP_VIP_DEFAULTS.name, this.namespace),
          ...(external ? [externalBootstrapHostname(external.domain)] : []),
        ],
      },
      dependsOn: [this.zookeeper.statefulSet],
    });

    // SCRAM credentials and ACLs in ZooKeeper before any client connects.
    this.access = new KafkaAccess(this, 'access', {
      namespace: this.namespace,
      image: streaming.kafka.image,
      zookeeperConnect: this.zookeeper.connectString,
      zookeeperSaslSecretName: this.credentials.zookeeperSaslSecretName,
      dependsOn: [this.credentials.job, this.zookeeper.statefulSet],
    });

    this.bootstrap = new BootstrapVip(this, 'bootstrap', {
      namespace: this.namespace,
      brokerPodLabels: this.kafka.podLabels,
      brokerPodNames: this.kafka.podNames,
      port: this.kafka.internalPort,
      external:
        this.kafka.externalPort === undefined
          ? undefined
          : aws
            ? { port: this.kafka.externalPort, sourceRanges: [aws.vpcCidr, ...aws.adminCidrs] }
            : { kind: 'nodePort', port: this.kafka.externalPort },
    });
    this.bootstrapAddress = this.bootstrap.bootstrapAddress;

    if (external && this.connection.vpcId && this.bootstrap.externalBootstrapHostname && this.bootstrap.externalBrokerHostnames) {
      this.externalDns = new KafkaExternalDns(this, 'external-dns', {
        domain: external.domain,
        vpcId: this.connection.vpcId,
        bootstrapTarget: this.bootstrap.externalBootstrapHostname,
        brokerTargets: this.bootstrap.externalBrokerHostnames,
      });
    }

    this.topics = new KafkaTopics(this, 'topics', {
      namespace: this.namespace,
      bootstrap: this.bootstrapAddress,
      topics: streaming.topics,
      expectedBrokers: this.kafka.brokerCount,
      nodeRuntimeImage: streaming.nodeRuntimeImage,
      credentials: this.credentials.clientMount('topicsProvisioner'),
      dependsOn: [this.kafka.statefulSet, this.bootstrap.service, this.access.job],
    });

    // ---- prediction service ----
    this.prediction = new PredictionService(this, 'prediction', {
      namespace: this.namespace,
      bootstrap: this.bootstrapAddress,
      // config/validate.ts guarantees every role's topic is in the list.
      inputPartitions: streaming.topics.find((topic) => topic.name === TOPIC_NAMES.input)!.partitions,
      replicas: streaming.prediction.replicas,
      maxReplicas: streaming.prediction.maxReplicas,
      deliveryMode: streaming.prediction.mode,
      image: streaming.prediction.image,
      nodeRuntimeImage: streaming.nodeRuntimeImage,
      topics: TOPIC_NAMES,
      strictPlacement: this.strictPlacement,
      labels,
      credentials: this.credentials.clientMount('predictor'),
      dependsOn: [this.topics.job],
    });

    this.networkPolicies = new NetworkPolicies(this, 'network-policies', {
      namespace: this.namespace,
      zookeeperPodLabels: this.zookeeper.podLabels,
      brokerPodLabels: this.kafka.podLabels,
      predictorPodLabels: this.prediction.matchLabels,
      topicsJobPodLabels: this.topics.podLabels,
      accessJobPodLabels: this.access.podLabels,
      replicationPort: this.kafka.replicationPort,
      monitoringNamespace: streaming.monitoringNamespace,
      ports: { broker: this.kafka.internalPort },
      externalPort: this.kafka.externalPort,
    });

    new TerraformOutput(this, 'kafka_namespace', { value: this.namespace });
    new TerraformOutput(this, 'kafka_bootstrap', {
      value: this.bootstrapAddress,
      description: 'In-cluster bootstrap address (the DC/OS VIP broker.kafka.l4lb.thisdcos.directory:9092)',
    });
    new TerraformOutput(this, 'zookeeper_connect', { value: this.zookeeper.connectString });
    new TerraformOutput(this, 'topics_job', { value: this.topics.jobName });
    new TerraformOutput(this, 'prediction_deployment', { value: this.prediction.name });
    if (this.externalDns && this.kafka.externalPort !== undefined) {
      new TerraformOutput(this, 'kafka_external_bootstrap', {
        value: `${this.externalDns.bootstrapName}:${this.kafka.externalPort}`,
        description: 'Bootstrap address for clients in the VPC or admin networks',
      });
    }
    if (this.bootstrap.externalBootstrapNodePort !== undefined) {
      new TerraformOutput(this, 'kafka_external_bootstrap_node_port', {
        value: this.bootstrap.externalBootstrapNodePort,
        description: 'Bootstrap NodePort for clients outside the cluster: <any node address>:<this port>',
      });
    }
  }
}
