// `npm run rotate -- <environment> <role>` (local/rotate-cli.ts): a client role's SCRAM credential replaced by a new
// random password. `local` is the running local cluster (`npm run local:up`, or the tests' cluster through
// KAFKA_CLUSTER_STATE); every other environment is left to local/kubernetes-credential-rotation.ts.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { logLevel } from 'kafkajs';
import { loadEnvironments } from '../config';
import { CLIENT_PRINCIPALS, CLIENT_ROLES, type ClientRole } from '../contracts/kafka-security';
import { createLogger, type Logger } from '../contracts/logging';
import { createKafkaClient, loadScramSecurity } from '../services/common/kafka-client';
import { attachLocalCluster, defaultStatePath, type LocalCluster } from './cluster';
import { newPassword, replaceSecretFile, writeSecret } from './cluster-security';
import { rotateKubernetesCredential } from './kubernetes-credential-rotation';

export const LOCAL_ENVIRONMENT = 'local';
export const ROTATE_USAGE =
  `usage: npm run rotate -- <environment> <role> [--on k8s]\n  role: one of ${CLIENT_ROLES.join(', ')}\n` +
  '  --on k8s: for `local`, the stack on the local Kubernetes instead of the local process cluster (other environments always run on Kubernetes)';

/** Arguments the command refuses; the CLI prints the message with the usage and exits 2. */
export class RotationUsageError extends Error {
  constructor(problem: string) {
    super(`${problem}\n${ROTATE_USAGE}`);
    this.name = 'RotationUsageError';
  }
}

export interface RotationRequest {
  environment: string;
  role: ClientRole;
  /** `local` only: the streaming stack on the local Kubernetes rather than the process cluster of `npm run local:up`. */
  onKubernetes?: boolean;
}

/** Checks `<environment> <role>`: the environment must be a configured one, the role a key of CLIENT_PRINCIPALS. */
export function parseRotationArguments(args: readonly string[], environments: readonly string[]): RotationRequest {
  const onKubernetes = args.length === 4 && args[2] === '--on' && args[3] === 'k8s';
  const positional = onKubernetes ? args.slice(0, 2) : args;
  if (positional.length !== 2) throw new RotationUsageError(`expected 2 arguments, got ${args.length}`);
  const [environment, role] = positional;
  if (!environments.includes(environment)) {
    throw new RotationUsageError(`unknown environment "${environment}" (environments: ${environments.join(', ')})`);
  }
  if (!(CLIENT_ROLES as readonly string[]).includes(role)) {
    throw new RotationUsageError(`unknown role "${role}"`);
  }
  return onKubernetes ? { environment, role: role as ClientRole, onKubernetes } : { environment, role: role as ClientRole };
}

/** The environment names the command accepts: those of the config. */
export function configuredEnvironments(): string[] {
  return loadEnvironments({ ...process.env, AIRLINE_ENVIRONMENTS: undefined }).map((environment) => environment.name);
}

export interface LocalRotation {
  username: string;
  passwordFile: string;
  bootstrap: string;
  /** From the start until every broker accepted the new password. */
  ms: number;
  /** At most this long, clients read a password the brokers did not accept yet (from the move to the last broker). */
  fileAheadOfBrokersMs: number;
}

/**
 * Rotates `role`'s credential on a running local cluster: a new random password is staged next to the password file
 * (mode 0600); the SCRAM tool's JVM, once warm, moves it over the file (atomic rename) and writes the credential to
 * ZooKeeper; then this waits until every broker accepts it. The file changes first because a running client
 * (services/common/kafka-client.ts) reads it at each authentication and retries a refusal that follows a change of
 * the file; in the other order it would hold a password the brokers no longer take, with nothing saying a retry could
 * help. If the credential cannot be written, the old password goes back into the file.
 */
export async function rotateLocalCredential(cluster: LocalCluster, role: ClientRole, logger: Logger, timeoutMs = 60_000): Promise<LocalRotation> {
  const started = Date.now();
  const { username, passwordFile } = cluster.securitySettings(role);
  const previous = fs.readFileSync(passwordFile, 'utf8');
  const staged = path.join(path.dirname(passwordFile), `.${path.basename(passwordFile)}.${process.pid}.new`);
  writeSecret(staged, newPassword());
  try {
    await cluster.replaceScramCredential(role, staged, timeoutMs);
  } catch (error) {
    if (fs.readFileSync(passwordFile, 'utf8') !== previous) replaceSecretFile(passwordFile, previous);
    throw error;
  } finally {
    fs.rmSync(staged, { force: true });
  }
  const movedAt = fs.statSync(passwordFile).ctimeMs;
  await waitUntilEveryBrokerAccepts(cluster, role, Math.max(1000, timeoutMs - (Date.now() - started)));
  const rotation = { username, passwordFile, bootstrap: cluster.bootstrap, ms: Date.now() - started, fileAheadOfBrokersMs: Math.round(Date.now() - movedAt) };
  logger.info({ username, ms: rotation.ms, fileAheadOfBrokersMs: rotation.fileAheadOfBrokersMs }, 'credential rotated');
  return rotation;
}

/** Each broker applies a credential change when ZooKeeper notifies it: authenticate at each one directly. */
async function waitUntilEveryBrokerAccepts(cluster: LocalCluster, role: ClientRole, timeoutMs: number): Promise<void> {
  const security = loadScramSecurity(cluster.securitySettings(role));
  const deadline = Date.now() + timeoutMs;
  for (const broker of cluster.brokers) {
    for (;;) {
      const admin = createKafkaClient({
        security,
        clientId: 'credential-rotation-check',
        brokers: [`${broker.host}:${broker.port}`],
        logLevel: logLevel.NOTHING,
        connectionTimeout: 3000,
        retry: { retries: 0 },
      }).admin();
      try {
        await admin.connect();
        break;
      } catch (error) {
        if (Date.now() > deadline) {
          throw new Error(`broker ${broker.id} still refuses the new password of ${CLIENT_PRINCIPALS[role]} after ${timeoutMs} ms: ${(error as Error).message}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
    }
  }
}

export interface RotationOptions {
  /** The local cluster's state file (default: KAFKA_CLUSTER_STATE, else the `npm run local:up` one). */
  statePath?: string;
  logger?: Logger;
}

/** Rotates the credential and returns the one line the command prints (never the password). */
export async function rotateCredential(request: RotationRequest, options: RotationOptions = {}): Promise<string> {
  const { environment, role } = request;
  const logger = options.logger ?? createLogger('rotate', { environment, role });
  if (environment !== LOCAL_ENVIRONMENT || request.onKubernetes) {
    const rotated = await rotateKubernetesCredential(environment, role);
    const restarted = rotated.restarted.length > 0 ? `; restarted ${rotated.restarted.join(', ')}` : '; no workload in the cluster uses it';
    return `rotated the SCRAM credential of ${rotated.principal} (role ${role}) in environment ${environment}, namespace ${rotated.namespace}: new password in its Secret and in ZooKeeper${restarted}`;
  }
  const cluster = attachLocalCluster(options.statePath ?? defaultStatePath(), logger);
  const rotated = await rotateLocalCredential(cluster, role, logger);
  return (
    `rotated the SCRAM credential of ${rotated.username} (role ${role}) on the local cluster ${rotated.bootstrap}: new password in ` +
    `${rotated.passwordFile}, accepted by every broker ${rotated.fileAheadOfBrokersMs} ms after the file changed (${rotated.ms} ms in all)`
  );
}
