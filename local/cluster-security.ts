// The local cluster's secrets, made fresh for every cluster in its runtime dir: a CA and one certificate per broker
// (openssl), a random password per principal, the JAAS files of ZooKeeper and the brokers. The state file holds
// paths only, so attaching processes (tests, the demo) read the secrets from the files.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { BROKER_PRINCIPAL, CLIENT_PRINCIPALS, CLUSTER_RESOURCE_NAME, type AclEntry, type ClientRole, type KafkaSecuritySettings, zookeeperClientJaas, zookeeperServerJaas } from '../contracts/kafka-security';
import { loadScramSecurity, type KafkaSecurity } from '../services/common/kafka-client';

const run = promisify(execFile);

/**
 * A principal of the local cluster only: what the tests and the demo's clean-up need beyond the services' own
 * rights (topics of any name, deleting run topics, checking replicas). It has ACLs on everything but is not a super
 * user, and it does not exist outside the local cluster.
 */
export const LOCAL_OPERATOR_PRINCIPAL = 'airline-local-operator';
export type LocalPrincipalRole = ClientRole | 'localOperator';

/** The ACLs of the local operator (the services' ACLs come from contracts/kafka-security.ts). */
export const LOCAL_OPERATOR_ACLS: readonly AclEntry[] = (['TOPIC', 'GROUP', 'TRANSACTIONAL_ID'] as const)
  .map((resourceType): AclEntry => ({ principal: `User:${LOCAL_OPERATOR_PRINCIPAL}`, resourceType, patternType: 'LITERAL', name: '*', operation: 'ALL' }))
  .concat([{ principal: `User:${LOCAL_OPERATOR_PRINCIPAL}`, resourceType: 'CLUSTER', patternType: 'LITERAL', name: CLUSTER_RESOURCE_NAME, operation: 'ALL' }]);

/** Paths of the secrets, as the state file records them. */
export interface ClusterSecurityFiles {
  dir: string;
  caFile: string;
  /** Per broker id: PEM with the private key and the certificate chain (the broker's key store). */
  brokerKeyStores: Record<string, string>;
  /** Per broker id: its certificate and key apart (the brokers' identity for a client on the inter-broker listener). */
  brokerCertificates: Record<string, { cert: string; key: string }>;
  /** Per principal role: the SCRAM user name and its password file. */
  principals: Record<LocalPrincipalRole, { username: string; passwordFile: string }>;
  zookeeperJaasFile: string;
  brokerJaasFile: string;
}

const principalName = (role: LocalPrincipalRole): string =>
  role === 'localOperator' ? LOCAL_OPERATOR_PRINCIPAL : CLIENT_PRINCIPALS[role];

/** Writes a secret file readable by its owner only (an existing file is replaced, not rewritten in its own mode). */
export function writeSecret(file: string, text: string): void {
  fs.rmSync(file, { force: true });
  fs.writeFileSync(file, text, { mode: 0o600 });
}

/** A random password of 48 hex characters (192 bits). */
export const newPassword = () => randomBytes(24).toString('hex');

/**
 * Replaces a secret file atomically (a temporary file in the same directory, mode 0600, renamed over it): a reader
 * sees the old text or the new one, never a partial file.
 */
export function replaceSecretFile(file: string, text: string): void {
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    writeSecret(temporary, text);
    fs.renameSync(temporary, file);
  } finally {
    fs.rmSync(temporary, { force: true });
  }
}

/** openssl: a P-256 key and a certificate, self-signed or signed by the CA; keys unencrypted PKCS#8, mode 0600. */
async function certificate(dir: string, name: string, subject: string, extensions: string[], ca?: { cert: string; key: string }): Promise<{ cert: string; key: string }> {
  const key = path.join(dir, `${name}.key`);
  const cert = path.join(dir, `${name}.pem`);
  await run('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', key, '-out', cert, '-days', '7', '-subj', subject,
    ...extensions.flatMap((extension) => ['-addext', extension]),
    ...(ca ? ['-CA', ca.cert, '-CAkey', ca.key] : []),
  ]);
  fs.chmodSync(key, 0o600);
  return { cert, key };
}

/** A CA unrelated to any cluster's (tests prove a certificate from it is refused). */
export async function createCertificateAuthority(dir: string, name: string): Promise<{ cert: string; key: string }> {
  return certificate(dir, name, `/CN=${name}`, ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign,cRLSign']);
}

/** A certificate with the broker principal as CN for the given addresses, signed by `ca`. */
export async function createBrokerCertificate(dir: string, name: string, ips: string[], ca: { cert: string; key: string }): Promise<{ cert: string; key: string }> {
  return certificate(
    dir,
    name,
    `/CN=${BROKER_PRINCIPAL}`,
    [
      'basicConstraints=critical,CA:FALSE',
      `subjectAltName=${ips.map((ip) => `IP:${ip}`).join(',')}`,
      // Brokers are servers on both listeners and clients of each other on the inter-broker one.
      'extendedKeyUsage=serverAuth,clientAuth',
    ],
    ca,
  );
}

/**
 * Writes every secret of a new cluster under `<runtimeDir>/security` (mode 0700). Each broker certificate names
 * the broker's address and the bootstrap address: clients reach a broker through the bootstrap VIP first.
 */
export async function createClusterSecurity(
  runtimeDir: string,
  subnet: number,
  bootstrapHost: string,
  brokers: ReadonlyArray<{ id: number; host: string }>,
): Promise<ClusterSecurityFiles> {
  const dir = path.join(runtimeDir, 'security');
  fs.mkdirSync(dir, { mode: 0o700 });
  const ca = await createCertificateAuthority(dir, `airline-local-ca-127.0.${subnet}`);
  const brokerKeyStores: Record<string, string> = {};
  const brokerCertificates: Record<string, { cert: string; key: string }> = {};
  await Promise.all(
    brokers.map(async (broker) => {
      const issued = await createBrokerCertificate(dir, `broker-${broker.id}`, [broker.host, bootstrapHost], ca);
      const keyStore = path.join(dir, `broker-${broker.id}-keystore.pem`);
      writeSecret(keyStore, fs.readFileSync(issued.key, 'utf8') + fs.readFileSync(issued.cert, 'utf8') + fs.readFileSync(ca.cert, 'utf8'));
      brokerKeyStores[String(broker.id)] = keyStore;
      brokerCertificates[String(broker.id)] = issued;
    }),
  );

  const roles: LocalPrincipalRole[] = [...(Object.keys(CLIENT_PRINCIPALS) as ClientRole[]), 'localOperator'];
  const principals = Object.fromEntries(
    roles.map((role) => {
      const passwordFile = path.join(dir, `${principalName(role)}.password`);
      writeSecret(passwordFile, newPassword());
      return [role, { username: principalName(role), passwordFile }];
    }),
  ) as ClusterSecurityFiles['principals'];

  const zookeeperPassword = newPassword();
  const zookeeperJaasFile = path.join(dir, 'zookeeper-jaas.conf');
  writeSecret(zookeeperJaasFile, zookeeperServerJaas(zookeeperPassword));
  const brokerJaasFile = path.join(dir, 'broker-jaas.conf');
  writeSecret(brokerJaasFile, zookeeperClientJaas(zookeeperPassword));
  return { dir, caFile: ca.cert, brokerKeyStores, brokerCertificates, principals, zookeeperJaasFile, brokerJaasFile };
}

/** Where a role's credentials are, as the service environment variables take them. */
export function securitySettingsOf(files: ClusterSecurityFiles, role: LocalPrincipalRole): KafkaSecuritySettings {
  const { username, passwordFile } = files.principals[role];
  return { username, passwordFile, caFile: files.caFile };
}

/** A role's loaded credentials, for a client built in this process. */
export function clientSecurityOf(files: ClusterSecurityFiles, role: LocalPrincipalRole): KafkaSecurity {
  return loadScramSecurity(securitySettingsOf(files, role));
}

/** The brokers' own identity (the broker certificate), for the mutual-TLS inter-broker listener. */
export function brokerSecurityOf(files: ClusterSecurityFiles, brokerId: number): KafkaSecurity {
  const { cert, key } = files.brokerCertificates[String(brokerId)];
  return { kind: 'mutual-tls', caPem: fs.readFileSync(files.caFile, 'utf8'), certificatePem: fs.readFileSync(cert, 'utf8'), keyPem: fs.readFileSync(key, 'utf8') };
}
