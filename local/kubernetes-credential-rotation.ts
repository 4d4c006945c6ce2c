// Credential rotation on an environment that runs on Kubernetes (every environment but `local`): a new password in
// the principal's Secret, the SCRAM credential in ZooKeeper replaced through a broker pod (it holds ZooKeeper's SASL
// login and Kafka's tools), then the principal's in-cluster clients restarted so they read the new password.
// Connections authenticated before stay open until they close; new ones with the old password are refused.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadEnvironment } from '../config';
import { CLIENT_PRINCIPALS, KAFKA_SASL_MECHANISM, KUBERNETES_SECRETS, kubernetesUserSecretName, type ClientRole } from '../contracts/kafka-security';
import { Kubectl, localKubernetes, type KubectlTarget } from './kubernetes';

/** In-cluster workloads that authenticate as a role and must restart to read a new password. */
const WORKLOADS_BY_ROLE: Partial<Record<ClientRole, readonly string[]>> = {
  predictor: ['deployment/airline-predictor'],
};

/** The broker pod that runs Kafka's ConfigCommand, and where its ZooKeeper login is (KafkaCluster). */
const BROKER_POD = 'kafka-0';
const BROKER_CONTAINER = 'kafka';

/** kubectl for the environment: the local cluster, or the context `KUBE_CONTEXT` (default: the EKS cluster's name). */
export function kubectlFor(environmentName: string): Kubectl {
  const environment = loadEnvironment(environmentName);
  if (environment.target === 'local') return new Kubectl(localKubernetes());
  const target: KubectlTarget = {
    kubectlPath: 'kubectl',
    kubeconfig: process.env.KUBECONFIG || path.join(os.homedir(), '.kube', 'config'),
    // `aws eks update-kubeconfig --name <cluster> --alias <cluster>` names the context after the cluster.
    context: process.env.KUBE_CONTEXT || environment.aws!.clusterName,
    kubectlCacheDir: path.join(os.homedir(), '.kube', 'cache'),
  };
  return new Kubectl(target);
}

/** The script run in the broker pod: the credential from stdin (never a command line), written to ZooKeeper. */
const WRITE_CREDENTIAL_SCRIPT = [
  'set -euo pipefail',
  'umask 077',
  'file="$(mktemp)"; trap \'rm -f "$file"\' EXIT',
  'cat > "$file"',
  'java -Xmx128m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Djava.security.auth.login.config=/var/run/airline/zookeeper-sasl/' +
    `${KUBERNETES_SECRETS.keys.zookeeperClientJaas} -cp "$KAFKA_HOME/libs/*" kafka.admin.ConfigCommand --zookeeper "$(sed -n 's/^zookeeper.connect=//p' /opt/airline/run/server.properties)" ` +
    '--alter --entity-type users --entity-name "$1" --add-config-file "$file" 2>&1 | grep -v "^Warning\\|^Use --bootstrap-server"',
].join('\n');

export interface KubernetesRotation {
  environment: string;
  namespace: string;
  principal: string;
  restarted: string[];
}

/** Replaces the SCRAM credential of `role` in `environment`'s cluster and the Secret its clients read it from. */
export async function rotateKubernetesCredential(environmentName: string, role: ClientRole, kubectl = kubectlFor(environmentName)): Promise<KubernetesRotation> {
  const environment = loadEnvironment(environmentName);
  const namespace = environment.streaming.namespace;
  const principal = CLIENT_PRINCIPALS[role];
  const secret = kubernetesUserSecretName(role);
  await kubectl.ok(['-n', namespace, 'get', 'secret', secret, '-o', 'name']);
  const password = randomBytes(24).toString('hex');
  // 1. The Secret (what restarted clients and later access Jobs read), through stdin.
  const patch = JSON.stringify({ data: { [KUBERNETES_SECRETS.keys.password]: Buffer.from(password).toString('base64') } });
  // kubectl reads a patch from a file only (its stdin is a socket here): a 0600 file in a 0700 directory, removed after.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'airline-rotate-'));
  try {
    const patchFile = path.join(dir, 'patch.json');
    fs.writeFileSync(patchFile, patch, { mode: 0o600 });
    await kubectl.ok(['-n', namespace, 'patch', 'secret', secret, '--type', 'merge', '--patch-file', patchFile]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  // 2. The credential the brokers check: from now on the old password is refused.
  await kubectl.ok(
    ['-n', namespace, 'exec', '-i', BROKER_POD, '-c', BROKER_CONTAINER, '--', 'bash', '-c', WRITE_CREDENTIAL_SCRIPT, 'write-credential', principal],
    { input: `${KAFKA_SASL_MECHANISM}=password=${password}\n`, timeoutMs: 180_000 },
  );
  // 3. Clients in the cluster restart one by one (surge first) and read the new password.
  const restarted = [...(WORKLOADS_BY_ROLE[role] ?? [])];
  for (const workload of restarted) {
    await kubectl.ok(['-n', namespace, 'rollout', 'restart', workload]);
    await kubectl.ok(['-n', namespace, 'rollout', 'status', workload, '--timeout=600s'], { timeoutMs: 620_000 });
  }
  return { environment: environmentName, namespace, principal, restarted };
}
