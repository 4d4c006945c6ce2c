import { Construct } from 'constructs';
import { NetworkPolicyV1, type NetworkPolicyV1SpecIngress } from '@cdktf/provider-kubernetes/lib/network-policy-v1';
import { isCidr, parseCidr } from '../../config/cidr';
import { PROJECT } from '../../config/schema';
import { settingError } from '../../contracts/config-error';
import {
  BROKER_PORT,
  ZOOKEEPER_CLIENT_PORT,
  ZOOKEEPER_ELECTION_PORT,
  ZOOKEEPER_PEER_PORT,
} from '../../contracts/kafka-settings';
import { PREDICTOR_HTTP_PORT } from '../../contracts/predictor-env';

/** The ports the rules open; defaults from the contracts the workloads listen on. */
export interface NetworkPolicyPorts {
  readonly zookeeperClient: number;
  readonly zookeeperPeer: number;
  readonly zookeeperElection: number;
  /** The brokers' INTERNAL listener. */
  readonly broker: number;
}

export interface NetworkPoliciesProps {
  readonly namespace: string;
  /** ZooKeeperEnsemble.podLabels */
  readonly zookeeperPodLabels: Record<string, string>;
  /** KafkaCluster.podLabels */
  readonly brokerPodLabels: Record<string, string>;
  /** PredictionService.matchLabels */
  readonly predictorPodLabels: Record<string, string>;
  /** KafkaTopics.podLabels */
  readonly topicsJobPodLabels: Record<string, string>;
  /** KafkaAccess.podLabels: the Job that writes credentials and ACLs to ZooKeeper (client port only). */
  readonly accessJobPodLabels?: Record<string, string>;
  /** The brokers' mutual-TLS inter-broker listener (KafkaCluster.replicationPort): brokers only. */
  readonly replicationPort?: number;
  /** Namespace whose pods may scrape the predictors' /metrics (matched by its kubernetes.io/metadata.name label). */
  readonly monitoringNamespace: string;
  readonly ports?: Partial<NetworkPolicyPorts>;
  /** The predictors' metrics port(s). */
  readonly metricsPorts?: number[];
  /** The brokers' EXTERNAL listener (KafkaCluster.externalPort); undefined: no external rule. */
  readonly externalPort?: number;
  /** Where connections to the EXTERNAL listener come from, as the brokers see them. */
  readonly externalSourceCidrs?: string[];
}

/** Every default of the construct, in one place. */
export const NETWORK_POLICIES_DEFAULTS = {
  ports: {
    zookeeperClient: ZOOKEEPER_CLIENT_PORT,
    zookeeperPeer: ZOOKEEPER_PEER_PORT,
    zookeeperElection: ZOOKEEPER_ELECTION_PORT,
    broker: BROKER_PORT,
  } satisfies NetworkPolicyPorts,
  /** The predictor's HTTP port: /metrics (its /healthz and /readyz are probed by the kubelet, from the node). */
  metricsPorts: [PREDICTOR_HTTP_PORT] as readonly number[],
  /**
   * Any address, on the external port only. The external path (per-broker load balancers or node ports, both with
   * externalTrafficPolicy Cluster) SNATs to a node's address, so the brokers never see the client's: the load
   * balancer's source ranges and the nodes' security group restrict the clients, not this policy.
   */
  externalSourceCidrs: ['0.0.0.0/0'] as readonly string[],
  names: {
    defaultDeny: 'default-deny-ingress',
    zookeeper: 'allow-zookeeper',
    broker: 'allow-kafka-internal',
    external: 'allow-kafka-external',
    metrics: 'allow-metrics-scrape',
  },
} as const;

/** A peer a rule admits: pods of this namespace by labels, every pod of a namespace, or an address range. */
export type PolicyPeer =
  | { readonly podLabels: Record<string, string> }
  | { readonly namespaceName: string }
  | { readonly cidr: string };

/** One NetworkPolicy as plain data (what the construct turns into a resource). */
export interface PolicyRule {
  readonly name: string;
  /** Pods the policy selects; `{}` selects every pod of the namespace. */
  readonly podLabels: Record<string, string>;
  /** Each entry admits its peers on its TCP ports; none admits nothing (default deny). */
  readonly ingress: ReadonlyArray<{ readonly from: readonly PolicyPeer[]; readonly ports: readonly number[] }>;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** The rules for these props: ingress denied by default, then exactly the paths the stack uses. */
export function networkPolicyRules(props: NetworkPoliciesProps): PolicyRule[] {
  const d = NETWORK_POLICIES_DEFAULTS;
  validate(props);
  const ports = { ...d.ports, ...props.ports };
  const zookeeper = { podLabels: props.zookeeperPodLabels };
  const brokers = { podLabels: props.brokerPodLabels };
  const rules: PolicyRule[] = [
    // Pods no rule below names accept no connections (kubelet probes from the pod's own node stay allowed).
    { name: d.names.defaultDeny, podLabels: {}, ingress: [] },
    {
      name: d.names.zookeeper,
      podLabels: props.zookeeperPodLabels,
      ingress: [
        { from: [zookeeper, brokers], ports: [ports.zookeeperClient, ports.zookeeperPeer, ports.zookeeperElection] },
        ...(props.accessJobPodLabels ? [{ from: [{ podLabels: props.accessJobPodLabels }], ports: [ports.zookeeperClient] }] : []),
      ],
    },
    {
      name: d.names.broker,
      podLabels: props.brokerPodLabels,
      ingress: [
        { from: [brokers, { podLabels: props.predictorPodLabels }, { podLabels: props.topicsJobPodLabels }], ports: [ports.broker] },
        ...(props.replicationPort !== undefined ? [{ from: [brokers], ports: [props.replicationPort] }] : []),
      ],
    },
  ];
  if (props.externalPort !== undefined) {
    const cidrs = props.externalSourceCidrs ?? d.externalSourceCidrs;
    rules.push({ name: d.names.external, podLabels: props.brokerPodLabels, ingress: [{ from: cidrs.map((cidr) => ({ cidr })), ports: [props.externalPort] }] });
  }
  rules.push({
    name: d.names.metrics,
    podLabels: props.predictorPodLabels,
    ingress: [{ from: [{ namespaceName: props.monitoringNamespace }], ports: [...(props.metricsPorts ?? d.metricsPorts)] }],
  });
  return rules;
}

function validate(props: NetworkPoliciesProps): void {
  const selectors = {
    zookeeperPodLabels: props.zookeeperPodLabels,
    brokerPodLabels: props.brokerPodLabels,
    predictorPodLabels: props.predictorPodLabels,
    topicsJobPodLabels: props.topicsJobPodLabels,
    ...(props.accessJobPodLabels ? { accessJobPodLabels: props.accessJobPodLabels } : {}),
  };
  for (const [field, labels] of Object.entries(selectors)) {
    // An empty selector in a rule would admit every pod of the namespace.
    if (Object.keys(labels).length === 0) throw settingError(`NetworkPolicies.${field}`, 'is empty', 'pass the pod labels of the workload');
  }
  if (!DNS_LABEL.test(props.monitoringNamespace)) {
    throw settingError('NetworkPolicies.monitoringNamespace', `"${props.monitoringNamespace}" is not a DNS label`, 'use up to 63 lowercase letters, digits or dashes');
  }
  // A rule without ports admits every port.
  if (props.metricsPorts !== undefined && props.metricsPorts.length === 0) {
    throw settingError('NetworkPolicies.metricsPorts', 'is empty, which would open every port of the predictors', 'list the metrics port(s) or leave it unset');
  }
  const cidrs = props.externalSourceCidrs;
  if (cidrs !== undefined && (cidrs.length === 0 || cidrs.some((cidr) => !isCidr(parseCidr(cidr))))) {
    throw settingError('NetworkPolicies.externalSourceCidrs', `${JSON.stringify(cidrs)} is not a list of IPv4 CIDRs`, 'list at least one CIDR such as 10.0.0.0/16');
  }
}

function peerOf(peer: PolicyPeer) {
  if ('podLabels' in peer) return { podSelector: { matchLabels: { ...peer.podLabels } } };
  if ('namespaceName' in peer) return { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': peer.namespaceName } } };
  return { ipBlock: { cidr: peer.cidr } };
}

/**
 * NetworkPolicies of the streaming namespace. Ingress: denied for every pod unless a rule admits it; ZooKeeper's
 * client, peer and election ports from ZooKeeper and the brokers; the brokers' internal listener from the brokers,
 * the predictors and the topics Job; the EXTERNAL listener (when there is one) from `externalSourceCidrs`; the
 * predictors' metrics port from the monitoring namespace.
 *
 * Egress stays open: closing it needs DNS (kube-system, 53 UDP+TCP), the Kubernetes API for the brokers' rack init
 * container (whose address on EKS is the control plane's, outside any pod selector) and the pod-to-pod ports above,
 * and that set has not been verified against a real EKS cluster.
 */
export class NetworkPolicies extends Construct {
  /** The rules as plain data, in creation order. */
  readonly rules: readonly PolicyRule[];
  readonly policies: readonly NetworkPolicyV1[];
  readonly policyNames: readonly string[];
  readonly defaultDenyPolicyName: string;

  constructor(scope: Construct, id: string, props: NetworkPoliciesProps) {
    super(scope, id);
    this.rules = networkPolicyRules(props);
    const labels = { 'app.kubernetes.io/part-of': PROJECT, 'app.kubernetes.io/component': 'network-policy' };
    const [deny, ...allows] = this.rules;
    const resource = (rule: PolicyRule, dependsOn?: NetworkPolicyV1[]) =>
      new NetworkPolicyV1(this, rule.name, {
        dependsOn,
        metadata: { name: rule.name, namespace: props.namespace, labels },
        spec: {
          podSelector: Object.keys(rule.podLabels).length === 0 ? {} : { matchLabels: { ...rule.podLabels } },
          policyTypes: ['Ingress'],
          // No ingress block at all for the default deny, as the API itself stores it.
          ingress: rule.ingress.length === 0 ? undefined : rule.ingress.map((entry): NetworkPolicyV1SpecIngress => ({
            from: entry.from.map(peerOf),
            ports: entry.ports.map((port) => ({ port: String(port), protocol: 'TCP' })),
          })),
        },
      });
    const allowPolicies = allows.map((rule) => resource(rule));
    // The allows first: workloads starting meanwhile are never cut off from each other.
    this.policies = [resource(deny, allowPolicies), ...allowPolicies];
    this.policyNames = this.rules.map((rule) => rule.name);
    this.defaultDenyPolicyName = deny.name;
  }
}
