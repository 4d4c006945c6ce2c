// The cluster CA and the brokers' certificates, made with WebCrypto (ECDSA P-256) and @peculiar/x509: the Node image
// has no openssl, and this keeps every key inside the cluster.
import 'reflect-metadata';
import { randomBytes, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

// Node's WebCrypto types and the DOM ones the library is typed with are the same objects under other names.
type DomCrypto = Parameters<typeof x509.cryptoProvider.set>[0];
type DomKeyPair = x509.X509CertificateCreateSelfSignedParams['keys'];
type DomKey = DomKeyPair['privateKey'];
x509.cryptoProvider.set(webcrypto as unknown as DomCrypto);

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 24 * 3600 * 1000;

export interface PemKeyPair {
  /** PKCS#8, unencrypted (Kafka's PEM key store reads it without a key password). */
  readonly keyPem: string;
  readonly certificatePem: string;
}

/** PEM text ending in a newline, so PEM blocks can be concatenated (key stores hold key, certificate and CA). */
const pemText = (certificate: x509.X509Certificate) => `${certificate.toString('pem').trimEnd()}\n`;

const serialNumber = () => {
  const bytes = randomBytes(16);
  bytes[0] &= 0x7f; // a positive integer
  return bytes.toString('hex');
};

async function pkcs8Pem(key: webcrypto.CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN PRIVATE KEY-----\n${lines.join('\n')}\n-----END PRIVATE KEY-----\n`;
}

async function importPkcs8(pem: string): Promise<webcrypto.CryptoKey> {
  const base64 = pem.replace(/-----(BEGIN|END) PRIVATE KEY-----/g, '').replace(/\s+/g, '');
  return webcrypto.subtle.importKey('pkcs8', Buffer.from(base64, 'base64'), ALGORITHM, false, ['sign']);
}

const newKeys = () => webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']) as Promise<webcrypto.CryptoKeyPair>;

/** A self-signed CA that may sign end-entity certificates only (path length 0). */
export async function createCertificateAuthority(commonName: string, validDays: number, now = new Date()): Promise<PemKeyPair> {
  const keys = await newKeys();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: `CN=${commonName}`,
    notBefore: now,
    notAfter: new Date(now.getTime() + validDays * DAY_MS),
    keys: keys as unknown as DomKeyPair,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey as unknown as DomKey),
    ],
  });
  return { keyPem: await pkcs8Pem(keys.privateKey), certificatePem: pemText(certificate) };
}

export interface SubjectAlternativeNames {
  readonly dns: readonly string[];
  readonly ips: readonly string[];
}

/** A certificate for `commonName`, valid as a TLS server and client for the given names, signed by the CA. */
export async function issueCertificate(
  ca: PemKeyPair,
  commonName: string,
  names: SubjectAlternativeNames,
  validDays: number,
  now = new Date(),
): Promise<PemKeyPair> {
  const caCertificate = new x509.X509Certificate(ca.certificatePem);
  const keys = await newKeys();
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: `CN=${commonName}`,
    issuer: caCertificate.subject,
    notBefore: new Date(now.getTime() - 5 * 60 * 1000), // clock skew between nodes
    notAfter: new Date(now.getTime() + validDays * DAY_MS),
    publicKey: keys.publicKey as unknown as DomKey,
    signingKey: (await importPkcs8(ca.keyPem)) as unknown as DomKey,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement, true),
      // Brokers serve clients and are clients of each other on the inter-broker listener.
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
      new x509.SubjectAlternativeNameExtension([
        ...[...new Set(names.dns)].map((value) => ({ type: 'dns' as const, value })),
        ...[...new Set(names.ips)].map((value) => ({ type: 'ip' as const, value })),
      ]),
      await x509.AuthorityKeyIdentifierExtension.create(caCertificate),
    ],
  });
  return { keyPem: await pkcs8Pem(keys.privateKey), certificatePem: pemText(certificate) };
}

/** Whether `certificatePem` is valid for at least `days` more days. */
export function validForDays(certificatePem: string, days: number, now = new Date()): boolean {
  return new x509.X509Certificate(certificatePem).notAfter.getTime() - now.getTime() >= days * DAY_MS;
}
