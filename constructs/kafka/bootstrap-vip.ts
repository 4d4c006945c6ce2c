import { Construct } from 'constructs';
import { ServiceV1 } from '@cdktf/provider-kubernetes/lib/service-v1';
import { PROJECT } from '../../config/schema';
import { settingError } from '../../contracts/config-error';
import { EXTERNAL_NODE_PORTS } from '../../contracts/kafka-settings';

/** Internal NLBs: one for bootstrapping and one per broker (AWS). */
export interface LoadBalancerExternalBootstrapProps {
  readonly kind?: 'loadBalancer';
  /** CIDRs allowed to reach the load balancers (the VPC and admin CIDRs). */
  readonly sourceRanges: string[];
  /** The brokers' EXTERNAL listener port. */
  readonly port: number;
}

/**
 * NodePorts where there are no load balancers (target local): the bootstrap and each broker on every node address,
 * at EXTERNAL_NODE_PORTS (the brokers advertise the same numbers: KafkaCluster's nodePort listener).
 */
export interface NodePortExternalBootstrapProps {
  readonly kind: 'nodePort';
  /** The brokers' EXTERNAL listener port. */
  readonly port: number;
}

export type ExternalBootstrapProps = LoadBalancerExternalBootstrapProps | NodePortExternalBootstrapProps;

export interface BootstrapVipProps {
  readonly namespace: string;
  /** Labels selecting the broker pods (KafkaCluster.podLabels). */
  readonly brokerPodLabels: Record<string, string>;
  /** Broker pod names (KafkaCluster.podNames), for the per-broker external Services. */
  readonly brokerPodNames: string[];
  /** The brokers' INTERNAL listener port. */
  readonly port: number;
  /** Access from outside the cluster (internal NLBs, or NodePorts); off by default. */
  readonly external?: ExternalBootstrapProps;
  readonly name?: string;
  readonly clusterDomain?: string;
}

export const BOOTSTRAP_VIP_DEFAULTS = { name: 'kafka-bootstrap', clusterDomain: 'cluster.local' } as const;

/** Every name an in-cluster client may use for the bootstrap Service (the brokers' certificates hold them). */
export function bootstrapServiceDnsNames(serviceName: string, namespace: string, clusterDomain: string = BOOTSTRAP_VIP_DEFAULTS.clusterDomain): string[] {
  return [serviceName, `${serviceName}.${namespace}`, `${serviceName}.${namespace}.svc`, `${serviceName}.${namespace}.svc.${clusterDomain}`];
}

/**
 * Annotations for the AWS cloud controller: an internal Network Load Balancer. Source ranges are enforced on the
 * nodes' security group from loadBalancerSourceRanges.
 */
export const INTERNAL_NLB_ANNOTATIONS = {
  'service.beta.kubernetes.io/aws-load-balancer-type': 'nlb',
  'service.beta.kubernetes.io/aws-load-balancer-internal': 'true',
  'service.beta.kubernetes.io/aws-load-balancer-cross-zone-load-balancing-enabled': 'true',
} as const;

/** Where a LoadBalancer Service's address appears once AWS created it. */
function loadBalancerHostname(service: ServiceV1): string {
  return service.status.get(0).loadBalancer.get(0).ingress.get(0).hostname;
}

/**
 * The DC/OS VIP `broker.kafka.l4lb.thisdcos.directory:9092` today: one stable name and port that balances over the
 * ready brokers (`kafka-bootstrap.<ns>.svc:9092`). Clients bootstrap there and then talk to the brokers' advertised
 * per-pod names. Optionally the same from outside the cluster: an internal NLB for bootstrapping plus one NLB per
 * broker, because Kafka clients must reach each broker they are told about.
 */
export class BootstrapVip extends Construct {
  readonly serviceName: string;
  /** `kafka-bootstrap.<ns>.svc:9092` */
  readonly bootstrapAddress: string;
  /** Fully qualified form, `kafka-bootstrap.<ns>.svc.cluster.local:9092`. */
  readonly bootstrapFqdnAddress: string;
  readonly port: number;
  readonly service: ServiceV1;
  /** Only with external access: the NLB host names (known after apply). */
  readonly externalBootstrapHostname?: string;
  readonly externalBrokerHostnames?: string[];
  /** Only with NodePort access: the bootstrap's NodePort (on any node address). */
  readonly externalBootstrapNodePort?: number;
  readonly externalServices: ServiceV1[] = [];

  constructor(scope: Construct, id: string, props: BootstrapVipProps) {
    super(scope, id);
    const name = props.name ?? BOOTSTRAP_VIP_DEFAULTS.name;
    const clusterDomain = props.clusterDomain ?? BOOTSTRAP_VIP_DEFAULTS.clusterDomain;
    const labels = { 'app.kubernetes.io/name': name, 'app.kubernetes.io/part-of': PROJECT };
    this.serviceName = name;
    this.port = props.port;
    this.bootstrapAddress = `${name}.${props.namespace}.svc:${props.port}`;
    this.bootstrapFqdnAddress = `${name}.${props.namespace}.svc.${clusterDomain}:${props.port}`;

    // A ClusterIP Service only routes to ready pods: brokers that are registered and serving.
    this.service = new ServiceV1(this, 'bootstrap', {
      metadata: { name, namespace: props.namespace, labels },
      spec: {
        type: 'ClusterIP',
        selector: props.brokerPodLabels,
        port: [{ name: 'kafka', port: props.port, targetPort: String(props.port), protocol: 'TCP' }],
      },
    });

    if (!props.external) return;
    if (props.external.kind === 'nodePort') {
      this.externalBootstrapNodePort = EXTERNAL_NODE_PORTS.bootstrap;
      this.addNodePorts(props, labels, props.external.port);
      return;
    }
    const external = props.external;
    // Second line: config validation refuses both first (streaming.kafka.externalAccess with an open admin CIDR).
    if (external.sourceRanges.length === 0) {
      throw settingError('BootstrapVip.external.sourceRanges', 'is empty', 'list the VPC CIDR and the admin CIDRs');
    }
    if (external.sourceRanges.includes('0.0.0.0/0')) {
      throw settingError('BootstrapVip.external.sourceRanges', 'external access is for the VPC and admin CIDRs; 0.0.0.0/0 is refused', 'list the VPC CIDR and the office/VPN CIDRs');
    }
    const loadBalancer = (serviceId: string, serviceName: string, selector: Record<string, string>) =>
      new ServiceV1(this, serviceId, {
        metadata: {
          name: serviceName,
          namespace: props.namespace,
          labels: { ...labels, 'app.kubernetes.io/component': 'external-access' },
          annotations: { ...INTERNAL_NLB_ANNOTATIONS },
        },
        spec: {
          type: 'LoadBalancer',
          selector,
          loadBalancerSourceRanges: [...external.sourceRanges],
          externalTrafficPolicy: 'Cluster',
          port: [{ name: 'kafka-external', port: external.port, targetPort: String(external.port), protocol: 'TCP' }],
        },
        waitForLoadBalancer: true,
      });
    const bootstrap = loadBalancer('external-bootstrap', `${name}-external`, props.brokerPodLabels);
    const brokers = props.brokerPodNames.map((podName, ordinal) =>
      loadBalancer(`external-broker-${ordinal}`, `${podName}-external`, {
        ...props.brokerPodLabels,
        'statefulset.kubernetes.io/pod-name': podName,
      }),
    );
    this.externalServices.push(bootstrap, ...brokers);
    this.externalBootstrapHostname = loadBalancerHostname(bootstrap);
    this.externalBrokerHostnames = brokers.map(loadBalancerHostname);
  }

  private addNodePorts(props: BootstrapVipProps, labels: Record<string, string>, port: number): void {
    const nodePort = (serviceId: string, serviceName: string, selector: Record<string, string>, exposed: number) =>
      new ServiceV1(this, serviceId, {
        metadata: { name: serviceName, namespace: props.namespace, labels: { ...labels, 'app.kubernetes.io/component': 'external-access' } },
        spec: {
          type: 'NodePort',
          selector,
          // Any node forwards to the broker wherever it runs; brokers advertise the address of their own node.
          externalTrafficPolicy: 'Cluster',
          port: [{ name: 'kafka-external', port, targetPort: String(port), nodePort: exposed, protocol: 'TCP' }],
        },
      });
    const name = this.serviceName;
    this.externalServices.push(
      nodePort('external-bootstrap', `${name}-external`, props.brokerPodLabels, EXTERNAL_NODE_PORTS.bootstrap),
      ...props.brokerPodNames.map((podName, ordinal) =>
        nodePort(
          `external-broker-${ordinal}`,
          `${podName}-external`,
          { ...props.brokerPodLabels, 'statefulset.kubernetes.io/pod-name': podName },
          EXTERNAL_NODE_PORTS.firstBroker + ordinal,
        ),
      ),
    );
  }
}
