// The EKS add-ons the cluster runs: networking, DNS, Pod Identity agent and the EBS CSI driver (Kafka's volumes).
import { Construct } from 'constructs';
import type { ITerraformDependable } from 'cdktf';
import { EksAddon } from '@cdktf/provider-aws/lib/eks-addon';

export interface EksAddonsProps {
  readonly clusterName: string;
  /** Usually the node groups: coredns and the CSI controller need nodes to become ready. */
  readonly dependsOn?: ITerraformDependable[];
  /** Pinned versions by add-on name; unset means the cluster version's default. */
  readonly versions?: Partial<Record<EksAddonName, string>>;
}

export const EKS_ADDON_NAMES = ['vpc-cni', 'kube-proxy', 'coredns', 'eks-pod-identity-agent', 'aws-ebs-csi-driver'] as const;
export type EksAddonName = (typeof EKS_ADDON_NAMES)[number];

export class EksAddons extends Construct {
  readonly addonNames: EksAddonName[];

  constructor(scope: Construct, id: string, props: EksAddonsProps) {
    super(scope, id);
    const podIdentityAgent = new EksAddon(this, 'eks-pod-identity-agent', this.addonConfig(props, 'eks-pod-identity-agent', props.dependsOn));
    for (const name of EKS_ADDON_NAMES) {
      if (name === 'eks-pod-identity-agent') continue;
      // The CSI driver gets its AWS credentials through the Pod Identity agent.
      const dependsOn = name === 'aws-ebs-csi-driver' ? [...(props.dependsOn ?? []), podIdentityAgent] : props.dependsOn;
      new EksAddon(this, name, this.addonConfig(props, name, dependsOn));
    }
    this.addonNames = [...EKS_ADDON_NAMES];
  }

  private addonConfig(props: EksAddonsProps, addonName: EksAddonName, dependsOn?: ITerraformDependable[]) {
    return {
      clusterName: props.clusterName,
      addonName,
      addonVersion: props.versions?.[addonName],
      // Take over the self-managed copies EKS installs at creation.
      resolveConflictsOnCreate: 'OVERWRITE',
      resolveConflictsOnUpdate: 'OVERWRITE',
      dependsOn,
    };
  }
}
