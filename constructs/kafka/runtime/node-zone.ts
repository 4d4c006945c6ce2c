// Init-container program: looks up the zone label of the node this pod runs on and writes it to a file the broker's
// start script turns into `broker.rack`. Pods cannot read node labels through the downward API, so it asks the
// Kubernetes API with the pod's (node-read-only) service account token.
import { readFileSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import { z } from 'zod';
import { createLogger } from '../../../contracts/logging';

const EnvSchema = z.object({
  NODE_NAME: z.string().min(1, 'NODE_NAME is required (downward API spec.nodeName)'),
  RACK_FILE: z.string().min(1, 'RACK_FILE is required (where to write the rack)'),
  ZONE_LABEL: z.string().min(1).default('topology.kubernetes.io/zone'),
  FALLBACK_RACK: z.string().min(1).default('no-zone'),
  KUBERNETES_API_URL: z.string().url().optional(),
  KUBERNETES_SERVICE_HOST: z.string().optional(),
  KUBERNETES_SERVICE_PORT: z.string().optional(),
  SERVICE_ACCOUNT_DIR: z.string().default('/var/run/secrets/kubernetes.io/serviceaccount'),
  REQUEST_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
});
export type NodeZoneEnv = z.infer<typeof EnvSchema>;

export function parseNodeZoneEnv(env: NodeJS.ProcessEnv): NodeZoneEnv {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    throw new Error(`invalid environment: ${problems}`);
  }
  return parsed.data;
}

export function apiBaseUrl(env: NodeZoneEnv): string {
  if (env.KUBERNETES_API_URL) return env.KUBERNETES_API_URL.replace(/\/$/, '');
  if (!env.KUBERNETES_SERVICE_HOST) throw new Error('neither KUBERNETES_API_URL nor KUBERNETES_SERVICE_HOST is set');
  const host = env.KUBERNETES_SERVICE_HOST.includes(':') ? `[${env.KUBERNETES_SERVICE_HOST}]` : env.KUBERNETES_SERVICE_HOST;
  return `https://${host}:${env.KUBERNETES_SERVICE_PORT ?? '443'}`;
}

interface NodeLookup {
  readonly apiUrl: string;
  readonly nodeName: string;
  readonly token: string;
  /** CA bundle for https API URLs. */
  readonly ca?: Buffer;
  readonly timeoutMs: number;
}

/** The node's labels from GET /api/v1/nodes/<name>. */
export function fetchNodeLabels(lookup: NodeLookup): Promise<Record<string, string>> {
  const url = new URL(`/api/v1/nodes/${encodeURIComponent(lookup.nodeName)}`, lookup.apiUrl);
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.request(
      url,
      {
        method: 'GET',
        headers: { Authorization: `Bearer ${lookup.token}`, Accept: 'application/json' },
        ca: lookup.ca,
        timeout: lookup.timeoutMs,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          if (response.statusCode !== 200) {
            reject(new Error(`GET ${url.pathname} returned ${response.statusCode}: ${body.slice(0, 300)}`));
            return;
          }
          try {
            const node = JSON.parse(body) as { metadata?: { labels?: Record<string, string> } };
            resolve(node.metadata?.labels ?? {});
          } catch {
            reject(new Error(`GET ${url.pathname} returned a body that is not JSON`));
          }
        });
      },
    );
    request.on('timeout', () => request.destroy(new Error(`GET ${url.pathname} timed out after ${lookup.timeoutMs} ms`)));
    request.on('error', reject);
    request.end();
  });
}

/** A rack id Kafka accepts, from a zone label value (or the fallback when the node has no zone). */
export function rackFromLabels(labels: Record<string, string>, zoneLabel: string, fallback: string): string {
  const zone = labels[zoneLabel]?.trim();
  return zone && /^[A-Za-z0-9._-]+$/.test(zone) ? zone : fallback;
}

export async function writeNodeRack(env: NodeZoneEnv): Promise<string> {
  const apiUrl = apiBaseUrl(env);
  const token = readFileSync(`${env.SERVICE_ACCOUNT_DIR}/token`, 'utf8').trim();
  const ca = apiUrl.startsWith('https:') ? readFileSync(`${env.SERVICE_ACCOUNT_DIR}/ca.crt`) : undefined;
  const labels = await fetchNodeLabels({ apiUrl, nodeName: env.NODE_NAME, token, ca, timeoutMs: env.REQUEST_TIMEOUT_MS });
  const rack = rackFromLabels(labels, env.ZONE_LABEL, env.FALLBACK_RACK);
  writeFileSync(env.RACK_FILE, `${rack}\n`);
  return rack;
}

async function main(): Promise<void> {
  const log = createLogger('node-zone');
  let env: NodeZoneEnv;
  try {
    env = parseNodeZoneEnv(process.env);
  } catch (error) {
    log.error({ err: error }, 'bad configuration');
    process.exitCode = 2;
    return;
  }
  try {
    const rack = await writeNodeRack(env);
    const fromLabel = rack !== env.FALLBACK_RACK;
    log.info({ node: env.NODE_NAME, rack, fromLabel, file: env.RACK_FILE }, 'rack written');
  } catch (error) {
    log.error({ err: error, node: env.NODE_NAME }, 'node zone lookup failed');
    process.exitCode = 1;
  }
}

if (require.main === module) void main();
