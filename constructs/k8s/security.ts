// Security contexts shared by the streaming workloads: non-root, no privilege escalation, no capabilities.

/** Pod-level context; fsGroup makes persistent volumes writable by the image's user. */
export function nonRootPodSecurityContext(uid: number) {
  return {
    runAsNonRoot: true,
    runAsUser: String(uid),
    runAsGroup: String(uid),
    fsGroup: String(uid),
    fsGroupChangePolicy: 'OnRootMismatch',
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/**
 * Container-level context meeting the `restricted` Pod Security level. runAsNonRoot is repeated here because the
 * kubernetes provider sends `run_as_non_root = false` for a container context that leaves it unset, which would
 * override the pod's `true`. Root filesystems are read-only: writable paths are volumes (WRITABLE_TMP).
 */
export function restrictedContainerSecurityContext() {
  return {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    capabilities: { drop: ['ALL'] },
  };
}

/** /tmp as a small emptyDir, for JVMs (hsperfdata) and scripts on a read-only root filesystem. */
export const WRITABLE_TMP = {
  volume: { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } },
  volumeMount: { name: 'tmp', mountPath: '/tmp' },
} as const;
