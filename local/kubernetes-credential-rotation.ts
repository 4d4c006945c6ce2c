// Credential rotation on an environment that runs on Kubernetes (every environment but `local`).
import type { ClientRole } from '../contracts/kafka-security';

/** Replaces the SCRAM credential of `role` in `environment`'s cluster and the secret its clients read it from. */
export async function rotateKubernetesCredential(environment: string, role: ClientRole): Promise<void> {
  throw new Error('not built yet');
}
