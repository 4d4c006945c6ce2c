/**
 * A short-lived service-account token and the cluster CA as one projected volume, for the one container of a pod that
 * calls the Kubernetes API (the others get no token: automountServiceAccountToken stays false).
 */
export function apiTokenVolume(name: string) {
  return {
    name,
    projected: [
      {
        defaultMode: '0444',
        sources: [
          { serviceAccountToken: { path: 'token', expirationSeconds: 3600 } },
          // `optional: false` spelled out: the provider reads it back after an update, and a plan would show drift.
          { configMap: [{ name: 'kube-root-ca.crt', optional: false, items: [{ key: 'ca.crt', path: 'ca.crt' }] }] },
        ],
      },
    ],
  };
}
