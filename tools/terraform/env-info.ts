// Prints, as shell assignments, what the teardown and rehearsal scripts need to know about one environment,
// taken from the validated config (never parsed out of synthesized JSON).
// Usage: tsx tools/terraform/env-info.ts ENV   ->   ENV_TARGET=aws ENV_REGION=us-east-1 ...
import { ConfigError, loadEnvironment } from '../../config';
import type { ResolvedEnvironment } from '../../config';

export function environmentShellInfo(environment: ResolvedEnvironment): Record<string, string> {
  return {
    ENV_NAME: environment.name,
    ENV_TARGET: environment.target,
    // Production keeps its Kafka/ZooKeeper volumes: teardown deletes them only with --delete-retained-volumes.
    ENV_PRODUCTION: String(environment.production),
    ENV_REGION: environment.aws?.region ?? '',
    ENV_CLUSTER: environment.aws?.clusterName ?? '',
    ENV_NAMESPACE: environment.streaming.namespace,
    ENV_KUBE_CONTEXT: environment.local?.kubeconfigContext ?? '',
    ENV_KUBECONFIG: environment.local?.kubeconfigPath ?? '',
    ENV_STATE_BACKEND: environment.stateBackend.kind,
  };
}

/** Single-quoted for `eval` in bash; config values never hold quotes, but quote them safely anyway. */
export function toShellAssignments(values: Record<string, string>): string {
  return Object.entries(values)
    .map(([key, value]) => `${key}='${value.replace(/'/g, `'\\''`)}'`)
    .join('\n');
}

if (require.main === module) {
  const name = process.argv[2];
  try {
    if (!name) throw new Error('usage: env-info.ts ENV');
    process.stdout.write(`${toShellAssignments(environmentShellInfo(loadEnvironment(name)))}\n`);
  } catch (error) {
    process.stderr.write(`${error instanceof ConfigError ? error.message : (error as Error).message}\n`);
    process.exit(2);
  }
}
