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
