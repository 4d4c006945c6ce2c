// Init-container program: looks up the zone label of the node this pod runs on and writes it to a file the broker's
// start script turns into `broker.rack`. Pods cannot read node labels through the downward API, so it asks the
// Kubernetes API with the pod's (node-read-only) service account token.
import { writeFileSync } from 'node:fs';
import { z } from 'zod';
import { KUBERNETES_API_ENV, apiFromEnv, type KubernetesApi } from './kubernetes-api';
import { parseProgramEnv, runInClusterProgram } from './program';

const EnvSchema = z.object({
  NODE_NAME: z.string().min(1, 'NODE_NAME is required (downward API spec.nodeName)'),
  RACK_FILE: z.string().min(1, 'RACK_FILE is required (where to write the rack)'),
  ZONE_LABEL: z.string().min(1).default('topology.kubernetes.io/zone'),
  FALLBACK_RACK: z.string().min(1).default('no-zone'),
  ...KUBERNETES_API_ENV,
});
export type NodeZoneEnv = z.infer<typeof EnvSchema>;

export function parseNodeZoneEnv(env: NodeJS.ProcessEnv): NodeZoneEnv {
  return parseProgramEnv(EnvSchema, env);
}

/** The node's labels from GET /api/v1/nodes/<name>. */
export async function fetchNodeLabels(api: KubernetesApi, nodeName: string): Promise<Record<string, string>> {
  const path = `/api/v1/nodes/${encodeURIComponent(nodeName)}`;
  const { status, body } = await api.request<{ metadata?: { labels?: Record<string, string> } }>('GET', path);
  if (!body) throw new Error(`GET ${path} returned ${status}`);
  return body.metadata?.labels ?? {};
}

/** A rack id Kafka accepts, from a zone label value (or the fallback when the node has no zone). */
export function rackFromLabels(labels: Record<string, string>, zoneLabel: string, fallback: string): string {
  const zone = labels[zoneLabel]?.trim();
  return zone && /^[A-Za-z0-9._-]+$/.test(zone) ? zone : fallback;
}

export async function writeNodeRack(env: NodeZoneEnv): Promise<string> {
  const api = apiFromEnv(env);
  const labels = await fetchNodeLabels(api, env.NODE_NAME);
  const rack = rackFromLabels(labels, env.ZONE_LABEL, env.FALLBACK_RACK);
  writeFileSync(env.RACK_FILE, `${rack}\n`);
  return rack;
}

if (require.main === module) {
  void runInClusterProgram('node-zone', parseNodeZoneEnv, async (env, log) => {
    const rack = await writeNodeRack(env);
    log.info({ node: env.NODE_NAME, rack, fromLabel: rack !== env.FALLBACK_RACK, file: env.RACK_FILE }, 'rack written');
  });
}
