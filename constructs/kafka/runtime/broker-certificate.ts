// Init-container program: issues this broker's certificate from the cluster CA at every pod start (so certificates
// follow the pod's names and addresses, and a restart renews them), and writes the broker's PEM key store and trust
// store into a memory volume the broker container reads.
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { BROKER_PRINCIPAL, KUBERNETES_SECRETS } from '../../../contracts/kafka-security';
import { issueCertificate, type SubjectAlternativeNames } from './certificates';
import { KUBERNETES_API_ENV, apiFromEnv } from './kubernetes-api';
import { parseProgramEnv, runInClusterProgram } from './program';

const list = (value: string | undefined) => (value ?? '').split(',').map((item) => item.trim()).filter(Boolean);

const EnvSchema = z.object({
  POD_NAME: z.string().min(1, 'POD_NAME is required (downward API metadata.name)'),
  /** `<headless service>.<namespace>.svc.<domain>`: the pod's name is `<pod>.<this>`. */
  HEADLESS_DOMAIN: z.string().min(1),
  /** Comma-separated extra DNS names (the bootstrap Service's names, the external host template with {id}). */
  EXTRA_DNS_NAMES: z.string().default(''),
  /** Comma-separated extra IP addresses (the node's address for node-port access). */
  EXTRA_IPS: z.string().default(''),
  /** `true`: add every node's addresses (clients reaching the brokers through any node's NodePort). */
  INCLUDE_NODE_ADDRESSES: z.enum(['true', 'false']).default('false'),
  CA_DIR: z.string().min(1),
  OUTPUT_DIR: z.string().min(1),
  VALID_DAYS: z.coerce.number().int().positive(),
  ...KUBERNETES_API_ENV,
});
export type BrokerCertificateEnv = z.infer<typeof EnvSchema>;

export function parseBrokerCertificateEnv(env: NodeJS.ProcessEnv): BrokerCertificateEnv {
  return parseProgramEnv(EnvSchema, env);
}

/** The names this broker answers to; `{id}` in a name is the pod's ordinal. */
export function brokerNames(env: BrokerCertificateEnv, nodeAddresses: readonly string[] = []): SubjectAlternativeNames {
  const ordinal = /-(\d+)$/.exec(env.POD_NAME)?.[1];
  if (ordinal === undefined) throw new Error(`POD_NAME "${env.POD_NAME}" has no ordinal (a StatefulSet pod name ends in -<n>)`);
  return {
    dns: [`${env.POD_NAME}.${env.HEADLESS_DOMAIN}`, ...list(env.EXTRA_DNS_NAMES).map((name) => name.replace(/\{id\}/g, ordinal))],
    ips: [...list(env.EXTRA_IPS), ...nodeAddresses],
  };
}

async function nodeAddresses(env: BrokerCertificateEnv): Promise<string[]> {
  const api = apiFromEnv(env);
  const { body } = await api.request<{ items: Array<{ status?: { addresses?: Array<{ type: string; address: string }> } }> }>('GET', '/api/v1/nodes');
  return (body?.items ?? []).flatMap((node) => node.status?.addresses ?? [])
    .filter((address) => address.type === 'InternalIP' || address.type === 'ExternalIP')
    .map((address) => address.address);
}

export async function writeBrokerStores(env: BrokerCertificateEnv): Promise<SubjectAlternativeNames> {
  const k = KUBERNETES_SECRETS.keys;
  const ca = {
    certificatePem: readFileSync(path.join(env.CA_DIR, k.caCertificate), 'utf8'),
    keyPem: readFileSync(path.join(env.CA_DIR, k.caKey), 'utf8'),
  };
  const names = brokerNames(env, env.INCLUDE_NODE_ADDRESSES === 'true' ? await nodeAddresses(env) : []);
  const issued = await issueCertificate(ca, BROKER_PRINCIPAL, names, env.VALID_DAYS);
  writeFileSync(path.join(env.OUTPUT_DIR, 'keystore.pem'), issued.keyPem + issued.certificatePem + ca.certificatePem, { mode: 0o400 });
  writeFileSync(path.join(env.OUTPUT_DIR, 'truststore.pem'), ca.certificatePem, { mode: 0o444 });
  return names;
}

if (require.main === module) {
  void runInClusterProgram('broker-certificate', parseBrokerCertificateEnv, async (env, log) => {
    const names = await writeBrokerStores(env);
    log.info({ pod: env.POD_NAME, ...names, validDays: env.VALID_DAYS }, 'broker certificate issued');
  });
}
