/**
 * What happens to a StatefulSet's volumes when the StatefulSet (or its stack) is deleted: `retain` keeps them
 * (production data outlives a mistaken destroy; teardown deletes them only when told to), `delete` removes them with it.
 */
export type VolumeRetention = 'retain' | 'delete';

/** The StatefulSet's persistentVolumeClaimRetentionPolicy: claims are kept on scale-down either way (the member's data comes back with it). */
export function claimRetentionPolicy(retention: VolumeRetention): { whenDeleted: 'Retain' | 'Delete'; whenScaled: 'Retain' } {
  return { whenDeleted: retention === 'retain' ? 'Retain' : 'Delete', whenScaled: 'Retain' };
}

/** The reclaim policy of a StorageClass's volumes once their claim is gone. */
export function reclaimPolicy(retention: VolumeRetention): 'Retain' | 'Delete' {
  return retention === 'retain' ? 'Retain' : 'Delete';
}

/** The per-pod data volume of a StatefulSet: one ReadWriteOnce claim named `data` on the given StorageClass. */
export function dataVolumeClaimTemplate(labels: Record<string, string>, storageClassName: string | undefined, storageGiB: number) {
  return {
    metadata: { name: 'data', labels },
    spec: {
      accessModes: ['ReadWriteOnce'],
      storageClassName,
      resources: { requests: { storage: `${storageGiB}Gi` } },
    },
  };
}
