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

export function restrictedContainerSecurityContext(options: { readOnlyRootFilesystem?: boolean } = {}) {
  return {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: options.readOnlyRootFilesystem ?? false,
    capabilities: { drop: ['ALL'] },
  };
}
