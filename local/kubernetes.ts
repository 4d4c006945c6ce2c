// The way from this machine to the local Kubernetes (tools/k8s): where it is, kubectl, and waiting on objects.
// Used by the Kubernetes tests and by `npm run demo -- --on k8s`.
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { CLIENT_PRINCIPALS, KUBERNETES_SECRETS, kubernetesUserSecretName, type ClientRole } from '../contracts/kafka-security';
import type { ScramSecurity } from '../services/common/kafka-client';

const ROOT = path.resolve(__dirname, '..');

export interface LocalKubernetes {
  readonly kubeconfig: string;
  readonly context: string;
  readonly kubectlPath: string;
  /** kubectl's discovery cache, inside the cluster's state directory (k8s:down removes it). */
  readonly kubectlCacheDir: string;
  readonly nodes: string[];
  readonly zones: string[];
  readonly images: Record<'debian' | 'jre' | 'kafka' | 'zookeeper' | 'node' | 'pause', string>;
  readonly kafkaVersion: string;
  readonly zookeeperVersion: string;
}

/** What tools/k8s/info.sh prints, parsed. */
export function localKubernetes(): LocalKubernetes {
  const text = execFileSync('bash', [path.join(ROOT, 'tools/k8s/info.sh')], { encoding: 'utf8' });
  const values = new Map(
    text
      .trim()
      .split('\n')
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)] as const),
  );
  const get = (key: string) => {
    const value = values.get(key);
    if (value === undefined) throw new Error(`tools/k8s/info.sh printed no ${key}`);
    return value;
  };
  return {
    kubeconfig: get('kubeconfig'),
    context: get('context'),
    kubectlPath: get('kubectl'),
    kubectlCacheDir: get('kubectl.cache'),
    nodes: get('nodes').split(' '),
    zones: get('zones').split(' '),
    images: {
      debian: get('image.debian'),
      jre: get('image.jre'),
      kafka: get('image.kafka'),
      zookeeper: get('image.zookeeper'),
      node: get('image.node'),
      pause: get('image.pause'),
    },
    kafkaVersion: get('kafka.version'),
    zookeeperVersion: get('zookeeper.version'),
  };
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** What kubectl needs to reach a cluster (the local one, or an EKS context of the user's kubeconfig). */
export type KubectlTarget = Pick<LocalKubernetes, 'kubeconfig' | 'context' | 'kubectlPath' | 'kubectlCacheDir'>;

export class Kubectl {
  constructor(private readonly cluster: KubectlTarget) {}

  /** Runs kubectl; resolves with the exit code and output (never rejects on a non-zero exit). */
  run(args: string[], options: { input?: string; timeoutMs?: number } = {}): Promise<KubectlResult> {
    return new Promise((resolve) => {
      const child = execFile(
        this.cluster.kubectlPath,
        ['--kubeconfig', this.cluster.kubeconfig, '--context', this.cluster.context, '--cache-dir', this.cluster.kubectlCacheDir, ...args],
        { timeout: options.timeoutMs ?? 120_000, maxBuffer: 32 * 1024 * 1024 },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
          resolve({ code, stdout: String(stdout), stderr: String(stderr) });
        },
      );
      if (options.input !== undefined) child.stdin?.end(options.input);
    });
  }

  /** Runs kubectl and returns stdout; throws with stderr on a non-zero exit. */
  async ok(args: string[], options: { input?: string; timeoutMs?: number } = {}): Promise<string> {
    const result = await this.run(args, options);
    if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${result.code}: ${result.stderr.trim()}`);
    return result.stdout;
  }

  async json<T = any>(args: string[]): Promise<T> {
    return JSON.parse(await this.ok([...args, '-o', 'json'])) as T;
  }

  apply(manifest: string): Promise<string> {
    return this.ok(['apply', '-f', '-'], { input: manifest });
  }

  /** A namespace of its own for one test; delete it with deleteNamespace. */
  async createNamespace(prefix: string): Promise<string> {
    const name = `${prefix}-${randomBytes(3).toString('hex')}`;
    await this.ok(['create', 'namespace', name]);
    return name;
  }

  async deleteNamespace(name: string): Promise<void> {
    await this.run(['delete', 'namespace', name, '--wait=false', '--ignore-not-found']);
  }

  /** Waits for a pod to end Succeeded and returns its log; throws with its description if it fails or times out. */
  async podOutput(namespace: string, pod: string, timeoutSeconds = 120): Promise<string> {
    const waited = await this.run(
      ['-n', namespace, 'wait', `pod/${pod}`, '--for=jsonpath={.status.phase}=Succeeded', `--timeout=${timeoutSeconds}s`],
      { timeoutMs: (timeoutSeconds + 10) * 1000 },
    );
    const logs = await this.run(['-n', namespace, 'logs', pod]);
    if (waited.code !== 0) {
      const described = await this.run(['-n', namespace, 'describe', 'pod', pod]);
      throw new Error(`pod ${namespace}/${pod} did not succeed:\n${logs.stdout}${logs.stderr}\n${described.stdout}`);
    }
    return logs.stdout;
  }
}

/** Polls until check returns a value (not undefined) or the time is up. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 120_000, everyMs = 1_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/**
 * A client role's credentials on a deployed streaming stack, read from the Secrets the stack made in the cluster
 * (KafkaClusterCredentials): for clients on this machine (the demo, the tests), kept in memory only.
 */
export async function kubernetesClientSecurity(kubectl: Kubectl, namespace: string, role: ClientRole): Promise<ScramSecurity> {
  const secretValue = async (secret: string, key: string) => {
    const encoded = await kubectl.ok(['-n', namespace, 'get', 'secret', secret, '-o', `jsonpath={.data.${key.replace(/\./g, '\\.')}}`]);
    if (!encoded.trim()) throw new Error(`Secret ${secret} in namespace ${namespace} has no ${key}: is the streaming stack deployed?`);
    return Buffer.from(encoded.trim(), 'base64').toString('utf8');
  };
  const k = KUBERNETES_SECRETS.keys;
  return {
    kind: 'scram',
    username: CLIENT_PRINCIPALS[role],
    password: (await secretValue(kubernetesUserSecretName(role), k.password)).trim(),
    caPem: await secretValue(KUBERNETES_SECRETS.clusterCaCertificate, k.caCertificate),
  };
}
