// The one place a kafkajs client is built. With security, it verifies the brokers' certificates against the cluster's
// CA (never switched off) and authenticates with SCRAM-SHA-512, or with a client certificate on a mutual-TLS listener.
import * as fs from 'node:fs';
import { Kafka, type KafkaConfig, type SASLOptions } from 'kafkajs';
import { settingError } from '../../contracts/config-error';
import { KAFKA_SECURITY_VARIABLES, type KafkaSecuritySettings } from '../../contracts/kafka-security';

/** A SCRAM principal on the SASL_SSL client listener. */
export type ScramSecurity = {
  kind: 'scram';
  username: string;
  /** The cluster CA certificate (PEM) the brokers' certificates must chain to. */
  caPem: string;
} & (
  | {
    /** Read at every authentication (new connection or re-authentication), so a rotated password needs no restart. */
    passwordFile: string;
  }
  | {
    /** A password held in memory (clients on this machine that read it from a Kubernetes Secret). */
    password: string;
  }
);

/** A certificate principal on a mutual-TLS (SSL, client auth required) listener. */
export interface MutualTlsSecurity {
  kind: 'mutual-tls';
  caPem: string;
  certificatePem: string;
  keyPem: string;
}

export type KafkaSecurity = ScramSecurity | MutualTlsSecurity;

/** kafkajs options without the transport security, which only `security` sets. */
export type KafkaClientOptions = Omit<KafkaConfig, 'ssl' | 'sasl'> & {
  /** Undefined: plaintext (the Kubernetes stack is not secured yet). */
  security?: KafkaSecurity;
};

export function kafkaClientConfig(options: KafkaClientOptions): KafkaConfig {
  const { security, ...config } = options;
  if (security === undefined) return config;
  if (security.kind === 'mutual-tls') {
    return { ...config, ssl: { ca: [security.caPem], cert: security.certificatePem, key: security.keyPem, rejectUnauthorized: true } };
  }
  return {
    ...config,
    ssl: { ca: [security.caPem], rejectUnauthorized: true },
    sasl: 'passwordFile' in security
      ? scramOptions(security.username, security.passwordFile)
      : { mechanism: 'scram-sha-512', username: security.username, password: security.password },
  };
}

/**
 * How long after its password file changed a refused authentication counts as transient: a rotation replaces the
 * file moments before the brokers have the new credential (local/credential-rotation.ts).
 */
export const PASSWORD_CHANGE_GRACE_MS = 60_000;

/**
 * kafkajs keeps this object by reference down to each connection and reads `password` at every authentication
 * (new connection or KIP-368 re-authentication). A refusal is retried instead of failing the client when
 * `isRefusalTransient` says so (patches/kafkajs+2.2.4.patch): the file changed while this client ran, and only just.
 */
function scramOptions(username: string, passwordFile: string): SASLOptions & { isRefusalTransient(): boolean } {
  let changedBeforeFirstRead: number | undefined;
  return {
    mechanism: 'scram-sha-512',
    username,
    get password() {
      changedBeforeFirstRead ??= changedAt(passwordFile);
      return readPassword(passwordFile);
    },
    isRefusalTransient() {
      const changed = changedAt(passwordFile);
      return changedBeforeFirstRead !== undefined && changed > changedBeforeFirstRead && Date.now() - changed < PASSWORD_CHANGE_GRACE_MS;
    },
  };
}

/**
 * When the file last changed, in ms: its status change time, which a rename over it sets too (a moved-in file keeps
 * the modification time of when it was written). -Infinity when it cannot be read (never a change).
 */
function changedAt(file: string): number {
  try {
    return fs.statSync(file).ctimeMs;
  } catch {
    return -Infinity;
  }
}

export function createKafkaClient(options: KafkaClientOptions): Kafka {
  return new Kafka(kafkaClientConfig(options));
}

function readSecretFile(variable: string, file: string): string {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw settingError(variable, `cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? String(error)})`, `point ${variable} at a readable file`);
  }
  if (text.trim() === '') throw settingError(variable, `${file} is empty`, `write the value into ${file}`);
  return text;
}

function readPassword(file: string): string {
  return readSecretFile(KAFKA_SECURITY_VARIABLES.passwordFile, file).trim();
}

/**
 * Reads the CA file and checks the password file once (a bad file is a configuration error at start, not a Kafka
 * failure later); errors name the variable that points at the bad file. The password itself is read per
 * authentication.
 */
export function loadScramSecurity(settings: KafkaSecuritySettings): ScramSecurity {
  readPassword(settings.passwordFile);
  const caPem = readSecretFile(KAFKA_SECURITY_VARIABLES.caFile, settings.caFile);
  if (!caPem.includes('-----BEGIN CERTIFICATE-----')) {
    throw settingError(KAFKA_SECURITY_VARIABLES.caFile, `${settings.caFile} holds no PEM certificate`, 'point it at the cluster CA certificate (PEM)');
  }
  return { kind: 'scram', username: settings.username, passwordFile: settings.passwordFile, caPem };
}

/**
 * The security settings from the environment: none set means plaintext (undefined); a partial set is an error
 * naming the missing variable.
 */
export function securitySettingsFromEnv(env: NodeJS.ProcessEnv): KafkaSecuritySettings | undefined {
  const values = {
    username: env[KAFKA_SECURITY_VARIABLES.username] || undefined,
    passwordFile: env[KAFKA_SECURITY_VARIABLES.passwordFile] || undefined,
    caFile: env[KAFKA_SECURITY_VARIABLES.caFile] || undefined,
  };
  const keys = Object.keys(values) as Array<keyof typeof values>;
  const set = keys.filter((key) => values[key] !== undefined);
  if (set.length === 0) return undefined;
  const missing = keys.find((key) => values[key] === undefined);
  if (missing !== undefined) {
    const given = set.map((key) => KAFKA_SECURITY_VARIABLES[key]).join(', ');
    throw settingError(KAFKA_SECURITY_VARIABLES[missing], `is required when ${given} is set`, `set all of ${Object.values(KAFKA_SECURITY_VARIABLES).join(', ')} or none`);
  }
  return values as KafkaSecuritySettings;
}
