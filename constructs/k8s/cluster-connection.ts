import { Construct } from 'constructs';
import { Fn } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { DataAwsEksCluster } from '@cdktf/provider-aws/lib/data-aws-eks-cluster';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';

export interface EksConnection {
  readonly kind: 'eks';
  readonly clusterName: string;
  readonly region: string;
  /** Default tags for the AWS resources this stack creates (DNS zone, records). */
  readonly tags: Record<string, string>;
}

export interface KubeconfigConnection {
  readonly kind: 'kubeconfig';
  readonly configPath: string;
  readonly context: string;
}

export type ClusterConnectionProps = EksConnection | KubeconfigConnection;

/** Token API version `aws eks get-token` prints. */
export const EKS_EXEC_API_VERSION = 'client.authentication.k8s.io/v1beta1';

/**
 * How a stack reaches its Kubernetes cluster.
 * EKS: the cluster is looked up by name (no cross-stack reference to the platform stack) and the provider runs
 * `aws eks get-token` at every plan/apply, so no token is ever written to state.
 * Kubeconfig: a local cluster's context; no AWS provider at all.
 */
export class ClusterConnection extends Construct {
  readonly kubernetesProvider: KubernetesProvider;
  /** Only for EKS connections. */
  readonly awsProvider?: AwsProvider;
  readonly eksCluster?: DataAwsEksCluster;
  /** The cluster's VPC id (EKS only). */
  readonly vpcId?: string;

  constructor(scope: Construct, id: string, props: ClusterConnectionProps) {
    super(scope, id);
    if (props.kind === 'kubeconfig') {
      this.kubernetesProvider = new KubernetesProvider(this, 'kubernetes', {
        configPath: props.configPath,
        configContext: props.context,
      });
      return;
    }
    this.awsProvider = new AwsProvider(this, 'aws', {
      region: props.region,
      defaultTags: [{ tags: props.tags }],
    });
    this.eksCluster = new DataAwsEksCluster(this, 'eks-cluster', { name: props.clusterName });
    this.vpcId = this.eksCluster.vpcConfig.get(0).vpcId;
    this.kubernetesProvider = new KubernetesProvider(this, 'kubernetes', {
      host: this.eksCluster.endpoint,
      clusterCaCertificate: Fn.base64decode(this.eksCluster.certificateAuthority.get(0).data),
      exec: [
        {
          apiVersion: EKS_EXEC_API_VERSION,
          command: 'aws',
          args: ['eks', 'get-token', '--cluster-name', props.clusterName, '--region', props.region, '--output', 'json'],
        },
      ],
    });
  }
}
