// A minimal client of the Kubernetes API for the in-cluster runtime programs: JSON requests with the pod's
// service account token, verified against the cluster CA.
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import { z } from 'zod';

/** The variables of a program that calls the API (in a pod, KUBERNETES_SERVICE_* are set by Kubernetes). */
export const KUBERNETES_API_ENV = {
  KUBERNETES_API_URL: z.string().url().optional(),
  KUBERNETES_SERVICE_HOST: z.string().optional(),
  KUBERNETES_SERVICE_PORT: z.string().optional(),
  SERVICE_ACCOUNT_DIR: z.string().default('/var/run/secrets/kubernetes.io/serviceaccount'),
  REQUEST_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
};
const apiEnvSchema = z.object(KUBERNETES_API_ENV);

/** The API client for a program's parsed variables. */
export function apiFromEnv(env: z.infer<typeof apiEnvSchema>): KubernetesApi {
  return inClusterApi({
    apiUrl: env.KUBERNETES_API_URL,
    serviceHost: env.KUBERNETES_SERVICE_HOST,
    servicePort: env.KUBERNETES_SERVICE_PORT,
    serviceAccountDir: env.SERVICE_ACCOUNT_DIR,
    timeoutMs: env.REQUEST_TIMEOUT_MS,
  });
}

export interface KubernetesApi {
  /** The parsed body, or undefined on 404. Other statuses than 2xx reject with the status and the body's start. */
  request<T>(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown): Promise<{ status: number; body: T | undefined }>;
}

export interface InClusterApiOptions {
  /** Overrides the in-cluster address (tests). */
  readonly apiUrl?: string;
  readonly serviceHost?: string;
  readonly servicePort?: string;
  readonly serviceAccountDir: string;
  readonly timeoutMs: number;
}

export function apiUrlOf(options: Pick<InClusterApiOptions, 'apiUrl' | 'serviceHost' | 'servicePort'>): string {
  if (options.apiUrl) return options.apiUrl.replace(/\/$/, '');
  if (!options.serviceHost) throw new Error('neither KUBERNETES_API_URL nor KUBERNETES_SERVICE_HOST is set');
  const host = options.serviceHost.includes(':') ? `[${options.serviceHost}]` : options.serviceHost;
  return `https://${host}:${options.servicePort ?? '443'}`;
}

export function inClusterApi(options: InClusterApiOptions): KubernetesApi {
  const apiUrl = apiUrlOf(options);
  const token = readFileSync(`${options.serviceAccountDir}/token`, 'utf8').trim();
  const ca = apiUrl.startsWith('https:') ? readFileSync(`${options.serviceAccountDir}/ca.crt`) : undefined;
  return {
    request<T>(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown) {
      const url = new URL(path, apiUrl);
      const client = url.protocol === 'https:' ? https : http;
      const payload = body === undefined ? undefined : JSON.stringify(body);
      return new Promise<{ status: number; body: T | undefined }>((resolve, reject) => {
        const request = client.request(
          url,
          {
            method,
            headers: {
              Authorization: `Bearer ${token}`,
              Accept: 'application/json',
              ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) } : {}),
            },
            ca,
            timeout: options.timeoutMs,
          },
          (response) => {
            const chunks: Buffer[] = [];
            response.on('data', (chunk: Buffer) => chunks.push(chunk));
            response.on('end', () => {
              const text = Buffer.concat(chunks).toString('utf8');
              const status = response.statusCode ?? 0;
              if (status === 404) return resolve({ status, body: undefined });
              if (status < 200 || status >= 300) {
                // A conflict is an answer (someone created it first), not a failure of the request.
                if (status === 409) return resolve({ status, body: undefined });
                return reject(new Error(`${method} ${url.pathname} returned ${status}: ${text.slice(0, 300)}`));
              }
              try {
                resolve({ status, body: JSON.parse(text) as T });
              } catch {
                reject(new Error(`${method} ${url.pathname} returned a body that is not JSON`));
              }
            });
          },
        );
        request.on('timeout', () => request.destroy(new Error(`${method} ${url.pathname} timed out after ${options.timeoutMs} ms`)));
        request.on('error', reject);
        request.end(payload);
      });
    },
  };
}
