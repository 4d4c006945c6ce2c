// The Kubernetes tests' way to the local cluster: local/kubernetes.ts, plus manifests only tests use.
export { Kubectl, eventually, kubernetesClientSecurity, localKubernetes, type KubectlResult, type LocalKubernetes } from '../../local/kubernetes';

/** A pod that runs one command to completion (no restarts), YAML. */
export function commandPod(options: {
  name: string;
  namespace: string;
  image: string;
  command: string[];
  labels?: Record<string, string>;
  extraSpec?: string;
  /** Meets the `restricted` Pod Security level (namespaces that enforce it refuse other pods): runs as this uid. */
  restrictedAsUid?: number;
}): string {
  const labels = Object.entries(options.labels ?? {}).map(([k, v]) => `    ${k}: "${v}"`).join('\n');
  const uid = options.restrictedAsUid;
  const podContext =
    uid === undefined ? '' : `  securityContext: { runAsNonRoot: true, runAsUser: ${uid}, runAsGroup: ${uid}, seccompProfile: { type: RuntimeDefault } }\n`;
  const containerContext =
    uid === undefined ? '' : '      securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: [ALL] } }\n';
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${options.name}
  namespace: ${options.namespace}
${labels ? `  labels:\n${labels}\n` : ''}spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
${podContext}  containers:
    - name: main
      image: ${options.image}
      imagePullPolicy: Never
      command: ${JSON.stringify(options.command)}
${containerContext}${options.extraSpec ?? ''}`;
}
