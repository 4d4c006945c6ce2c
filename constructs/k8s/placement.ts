// Pod placement shared by the Kafka, ZooKeeper and prediction workloads: replicas on different nodes and spread over
// zones. Plain objects that fit the pod specs of StatefulSet, Deployment and Job resources.

export const HOSTNAME_TOPOLOGY_KEY = 'kubernetes.io/hostname';
export const ZONE_TOPOLOGY_KEY = 'topology.kubernetes.io/zone';

export interface PlacementOptions {
  /** Labels that select the workload's pods. */
  readonly matchLabels: Record<string, string>;
  /**
   * Strict: at most one pod per node (required anti-affinity) and zones balanced within 1 (DoNotSchedule).
   * Relaxed (single-node dev clusters): the same wishes as preferences, so pods still schedule.
   */
  readonly strict: boolean;
}

export interface PodPlacement {
  readonly affinity: {
    readonly podAntiAffinity: {
      readonly requiredDuringSchedulingIgnoredDuringExecution?: Array<{
        readonly topologyKey: string;
        readonly labelSelector: Array<{ readonly matchLabels: Record<string, string> }>;
      }>;
      readonly preferredDuringSchedulingIgnoredDuringExecution?: Array<{
        readonly weight: number;
        readonly podAffinityTerm: {
          readonly topologyKey: string;
          readonly labelSelector: Array<{ readonly matchLabels: Record<string, string> }>;
        };
      }>;
    };
  };
  readonly topologySpreadConstraint: Array<{
    readonly maxSkew: number;
    readonly topologyKey: string;
    readonly whenUnsatisfiable: 'DoNotSchedule' | 'ScheduleAnyway';
    readonly labelSelector: Array<{ readonly matchLabels: Record<string, string> }>;
  }>;
}

export function podPlacement(options: PlacementOptions): PodPlacement {
  const labelSelector = [{ matchLabels: { ...options.matchLabels } }];
  const nodeTerm = { topologyKey: HOSTNAME_TOPOLOGY_KEY, labelSelector };
  return {
    affinity: {
      podAntiAffinity: options.strict
        ? { requiredDuringSchedulingIgnoredDuringExecution: [nodeTerm] }
        : { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: nodeTerm }] },
    },
    topologySpreadConstraint: [
      {
        maxSkew: 1,
        topologyKey: ZONE_TOPOLOGY_KEY,
        whenUnsatisfiable: options.strict ? 'DoNotSchedule' : 'ScheduleAnyway',
        labelSelector,
      },
    ],
  };
}
