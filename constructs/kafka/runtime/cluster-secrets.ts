// Job program: creates the Kafka deployment's Secrets in its namespace when they do not exist yet (the cluster CA,
// the CA certificate alone, ZooKeeper's JAAS files, one SCRAM password per client principal). Existing Secrets are
// never changed, so re-running it (every apply that replaces the Job) keeps the credentials; rotation replaces them
// on purpose (npm run rotate). Nothing of it passes through Terraform.
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { KUBERNETES_SECRETS, zookeeperClientJaas, zookeeperServerJaas } from '../../../contracts/kafka-security';
import { createCertificateAuthority } from './certificates';
import { KUBERNETES_API_ENV, apiFromEnv, type KubernetesApi } from './kubernetes-api';
import { parseProgramEnv, runInClusterProgram } from './program';

const EnvSchema = z.object({
  NAMESPACE: z.string().min(1, 'NAMESPACE is required (downward API metadata.namespace)'),
  /** Comma-separated SCRAM principals that get a password Secret. */
  PRINCIPALS: z.string().min(1, 'PRINCIPALS is required (comma-separated user names)'),
  CA_COMMON_NAME: z.string().min(1),
  CA_VALID_DAYS: z.coerce.number().int().positive(),
  /** JSON object of labels for the Secrets. */
  SECRET_LABELS: z.string().default('{}'),
  ...KUBERNETES_API_ENV,
});
export type ClusterSecretsEnv = z.infer<typeof EnvSchema>;

export function parseClusterSecretsEnv(env: NodeJS.ProcessEnv): ClusterSecretsEnv {
  return parseProgramEnv(EnvSchema, env);
}

const newPassword = () => randomBytes(24).toString('hex');

interface SecretData { [key: string]: string }

/** The Secrets to have, by name; each made only if missing (values are computed lazily, the CA only when needed). */
export function desiredSecrets(env: ClusterSecretsEnv): Array<{ name: string; data: () => Promise<SecretData> }> {
  const k = KUBERNETES_SECRETS.keys;
  let ca: Promise<{ keyPem: string; certificatePem: string }> | undefined;
  const caPair = () => (ca ??= createCertificateAuthority(env.CA_COMMON_NAME, env.CA_VALID_DAYS));
  const zookeeperPassword = newPassword();
  return [
    { name: KUBERNETES_SECRETS.clusterCa, data: async () => ({ [k.caCertificate]: (await caPair()).certificatePem, [k.caKey]: (await caPair()).keyPem }) },
    {
      name: KUBERNETES_SECRETS.zookeeperSasl,
      data: async () => ({ [k.zookeeperServerJaas]: zookeeperServerJaas(zookeeperPassword), [k.zookeeperClientJaas]: zookeeperClientJaas(zookeeperPassword) }),
    },
    ...env.PRINCIPALS.split(',').map((principal) => principal.trim()).filter(Boolean).map((principal) => ({
      name: `${KUBERNETES_SECRETS.userPrefix}${principal}`,
      data: async () => ({ [k.username]: principal, [k.password]: newPassword() }),
    })),
  ];
}

const base64 = (data: SecretData) => Object.fromEntries(Object.entries(data).map(([key, value]) => [key, Buffer.from(value).toString('base64')]));

async function readSecret(api: KubernetesApi, namespace: string, name: string): Promise<SecretData | undefined> {
  const { body } = await api.request<{ data?: Record<string, string> }>('GET', `/api/v1/namespaces/${namespace}/secrets/${name}`);
  if (!body) return undefined;
  return Object.fromEntries(Object.entries(body.data ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64').toString('utf8')]));
}

async function createSecret(api: KubernetesApi, namespace: string, name: string, labels: Record<string, string>, data: SecretData): Promise<boolean> {
  const { status } = await api.request('POST', `/api/v1/namespaces/${namespace}/secrets`, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace, labels },
    type: 'Opaque',
    data: base64(data),
  });
  return status !== 409;
}

export interface EnsureResult {
  created: string[];
  kept: string[];
}

export async function ensureClusterSecrets(api: KubernetesApi, env: ClusterSecretsEnv): Promise<EnsureResult> {
  const labels = JSON.parse(env.SECRET_LABELS) as Record<string, string>;
  const result: EnsureResult = { created: [], kept: [] };
  for (const secret of desiredSecrets(env)) {
    if (await readSecret(api, env.NAMESPACE, secret.name)) {
      result.kept.push(secret.name);
      continue;
    }
    (await createSecret(api, env.NAMESPACE, secret.name, labels, await secret.data()) ? result.created : result.kept).push(secret.name);
  }
  // The CA certificate alone, for clients: always the one in the CA Secret (also after the CA was kept).
  const ca = await readSecret(api, env.NAMESPACE, KUBERNETES_SECRETS.clusterCa);
  const caCertificate = ca?.[KUBERNETES_SECRETS.keys.caCertificate];
  if (!caCertificate) throw new Error(`Secret ${KUBERNETES_SECRETS.clusterCa} has no ${KUBERNETES_SECRETS.keys.caCertificate}`);
  const existing = await readSecret(api, env.NAMESPACE, KUBERNETES_SECRETS.clusterCaCertificate);
  if (existing === undefined) {
    await createSecret(api, env.NAMESPACE, KUBERNETES_SECRETS.clusterCaCertificate, labels, { [KUBERNETES_SECRETS.keys.caCertificate]: caCertificate });
    result.created.push(KUBERNETES_SECRETS.clusterCaCertificate);
  } else if (existing[KUBERNETES_SECRETS.keys.caCertificate] !== caCertificate) {
    throw new Error(`Secret ${KUBERNETES_SECRETS.clusterCaCertificate} does not hold the CA of ${KUBERNETES_SECRETS.clusterCa}; delete it and run again`);
  } else {
    result.kept.push(KUBERNETES_SECRETS.clusterCaCertificate);
  }
  return result;
}

if (require.main === module) {
  void runInClusterProgram('cluster-secrets', parseClusterSecretsEnv, async (env, log) => {
    const api = apiFromEnv(env);
    log.info({ namespace: env.NAMESPACE, ...(await ensureClusterSecrets(api, env)) }, 'cluster secrets ready');
  });
}
