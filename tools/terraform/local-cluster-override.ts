// Writes the Terraform override that applies an AWS environment's streaming stack to the local cluster of
// `npm run k8s:up` (tools/terraform/rehearse-on-cluster.sh), the way the platform rehearsal points its stack at
// moto. The synthesized JSON is never edited: `*_override.tf.json` is Terraform's own merge mechanism, and every
// substitution is listed, with what it means that the substituted part is not exercised here.
//
// Usage: tsx tools/terraform/local-cluster-override.ts STACK_DIR --target ENV --images-from LOCAL_ENV
//          --state FILE --emulator URL --api-server URL --ca-file FILE --credential-file FILE
// Writes STACK_DIR/local_cluster_override.tf.json; prints the substitutions on stdout, one per line.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, loadEnvironment, type ResolvedEnvironment } from '../../config';
import { EKS_EXEC_API_VERSION } from '../../constructs/k8s/cluster-connection';

export const LOCAL_CLUSTER_OVERRIDE_FILE = 'local_cluster_override.tf.json';
/** The provisioner of the local cluster's default StorageClass (tools/k8s/addons.sh). */
export const LOCAL_PROVISIONER = 'rancher.io/local-path';
export const EBS_CSI_PROVISIONER = 'ebs.csi.aws.com';
/** The AWS services a streaming stack calls: the EKS cluster lookup and the external DNS zone. */
export const STREAMING_AWS_SERVICES = ['eks', 'route53', 'sts'] as const;
/** What moto 5.2.5 reports differently from what was applied to a private hosted zone (seen in a second plan). */
export const MOTO_IGNORED_ZONE_FIELDS = ['vpc'] as const;

export interface LocalClusterTarget {
  /** Local state for the rehearsal (an AWS environment's stack keeps its state in S3). */
  statePath: string;
  /** moto's URL: the AWS calls of the stack go there. */
  emulatorEndpoint: string;
  apiServer: string;
  caCertificatePem: string;
  /** A file holding an ExecCredential (client certificate) for the local cluster; the provider runs `cat` on it. */
  credentialFile: string;
  /** Image reference in the stack -> locally built image, by role. */
  imageStandIns: ImageStandIn[];
}

export interface ImageStandIn {
  role: string;
  reference: string;
  standIn: string;
}

export interface Substitution {
  /** `provider.kubernetes`, `kubernetes_storage_class_v1.<name>`, ... */
  address: string;
  change: string;
  /** What this leaves unchecked here. */
  notExercisedHere: string;
}

export interface LocalClusterOverride {
  document: Record<string, unknown>;
  substitutions: Substitution[];
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type StackJson = { resource?: Record<string, Record<string, Record<string, Json>>>; provider?: Record<string, unknown> };

/** Pairs the images of an AWS environment with the images the local environment names, role by role. */
export function imageStandIns(target: ResolvedEnvironment, local: ResolvedEnvironment): ImageStandIn[] {
  const pairs: ImageStandIn[] = [
    { role: 'kafka', reference: target.streaming.kafka.image, standIn: local.streaming.kafka.image },
    { role: 'zookeeper', reference: target.streaming.zookeeper.image, standIn: local.streaming.zookeeper.image },
    { role: 'node runtime', reference: target.streaming.nodeRuntimeImage, standIn: local.streaming.nodeRuntimeImage },
  ];
  if (target.streaming.prediction.image !== undefined) {
    pairs.push({
      role: 'prediction',
      reference: target.streaming.prediction.image,
      standIn: local.streaming.prediction.image ?? local.streaming.nodeRuntimeImage,
    });
  }
  return pairs;
}

/** `value` with every `image` field found in `standIns` replaced; `undefined` when nothing changed. */
function withImagesReplaced(value: Json, standIns: Map<string, string>): Json | undefined {
  if (Array.isArray(value)) {
    let changed = false;
    const items = value.map((item) => {
      const replaced = withImagesReplaced(item, standIns);
      if (replaced === undefined) return item;
      changed = true;
      return replaced;
    });
    return changed ? items : undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  let changed = false;
  const copy: Record<string, Json> = {};
  for (const [key, field] of Object.entries(value)) {
    const standIn = key === 'image' && typeof field === 'string' ? standIns.get(field) : undefined;
    const replaced = standIn ?? withImagesReplaced(field, standIns);
    copy[key] = replaced ?? field;
    if (replaced !== undefined) changed = true;
  }
  return changed ? copy : undefined;
}

export function localClusterOverride(stackJson: StackJson, target: LocalClusterTarget): LocalClusterOverride {
  const providers = stackJson.provider ?? {};
  if (!('kubernetes' in providers)) throw new Error('the stack has no kubernetes provider: not a streaming stack');
  const substitutions: Substitution[] = [];
  const provider: Record<string, unknown[]> = {
    kubernetes: [
      {
        host: target.apiServer,
        cluster_ca_certificate: target.caCertificatePem,
        exec: [{ api_version: EKS_EXEC_API_VERSION, command: 'cat', args: [target.credentialFile] }],
      },
    ],
  };
  substitutions.push({
    address: 'provider.kubernetes',
    change: `EKS endpoint and \`aws eks get-token\` -> ${target.apiServer} with a client certificate`,
    notExercisedHere: 'EKS authentication (IAM token, access entries)',
  });
  if ('aws' in providers) {
    const endpoints: Record<string, string> = {};
    for (const service of STREAMING_AWS_SERVICES) endpoints[service] = target.emulatorEndpoint;
    provider.aws = [
      {
        access_key: 'test',
        secret_key: 'test',
        skip_credentials_validation: true,
        skip_requesting_account_id: true,
        skip_metadata_api_check: 'true',
        endpoints: [endpoints],
      },
    ];
    substitutions.push({
      address: 'provider.aws',
      change: `${STREAMING_AWS_SERVICES.join(', ')} -> ${target.emulatorEndpoint} (moto)`,
      notExercisedHere: 'the EKS cluster lookup and the Route 53 zone and records run against moto, not AWS',
    });
  }

  const resources: Record<string, Record<string, Record<string, Json>>> = {};
  const put = (type: string, name: string, fields: Record<string, Json>) => {
    resources[type] ??= {};
    resources[type][name] = { ...(resources[type][name] ?? {}), ...fields };
  };
  const standIns = new Map(target.imageStandIns.map((pair) => [pair.reference, pair.standIn]));
  for (const [type, byName] of Object.entries(stackJson.resource ?? {})) {
    for (const [name, resource] of Object.entries(byName)) {
      if (type === 'kubernetes_storage_class_v1' && resource.storage_provisioner === EBS_CSI_PROVISIONER) {
        put(type, name, { storage_provisioner: LOCAL_PROVISIONER });
        substitutions.push({
          address: `${type}.${name}`,
          change: `provisioner ${EBS_CSI_PROVISIONER} -> ${LOCAL_PROVISIONER}; its other fields as synthesized`,
          notExercisedHere: 'EBS gp3 volumes: encryption, xfs, volume tags, size (local-path does not enforce it)',
        });
      }
      if (type === 'aws_route53_zone') {
        put(type, name, { lifecycle: { ignore_changes: [...MOTO_IGNORED_ZONE_FIELDS] } });
        substitutions.push({
          address: `${type}.${name}`,
          change: `lifecycle ignore_changes ${MOTO_IGNORED_ZONE_FIELDS.join(', ')}: after apply against moto the state holds no VPC association (vpc = []), so a second plan would add it again`,
          notExercisedHere: 'Route 53 private-zone VPC association as AWS reports it',
        });
      }
      if (!type.startsWith('kubernetes_')) continue;
      // Terraform replaces a nested block as a whole, so the override carries each changed top-level block whole.
      for (const [field, value] of Object.entries(resource)) {
        if (field === '//') continue;
        const replaced = withImagesReplaced(value, standIns);
        if (replaced !== undefined) put(type, name, { [field]: replaced });
      }
    }
  }
  for (const pair of target.imageStandIns) {
    if (pair.reference === pair.standIn) continue;
    substitutions.push({
      address: `image (${pair.role})`,
      change: `${pair.reference} -> ${pair.standIn}`,
      notExercisedHere: `the ${pair.reference} image itself (no registry here; the local build runs the same commands)`,
    });
  }
  const loadBalancers = Object.entries(stackJson.resource?.kubernetes_service_v1 ?? {}).filter(([, service]) =>
    JSON.stringify(service.spec ?? '').includes('"LoadBalancer"'),
  );
  if (loadBalancers.length > 0) {
    substitutions.push({
      address: `kubernetes_service_v1 (${loadBalancers.length} of type LoadBalancer)`,
      change: 'unchanged; the rehearsal writes a placeholder hostname into their status, as a cloud controller would',
      notExercisedHere: 'NLBs: no load balancer is made and no traffic goes through one',
    });
  }
  const document: Record<string, unknown> = {
    terraform: { backend: { local: { path: target.statePath } } },
    provider,
  };
  if (Object.keys(resources).length > 0) document.resource = resources;
  return { document, substitutions };
}

function main(argv: string[]): void {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      target: { type: 'string' },
      'images-from': { type: 'string' },
      state: { type: 'string' },
      emulator: { type: 'string' },
      'api-server': { type: 'string' },
      'ca-file': { type: 'string' },
      'credential-file': { type: 'string' },
    },
  });
  const stackDir = positionals[0];
  const missing = ['target', 'images-from', 'state', 'emulator', 'api-server', 'ca-file', 'credential-file'].filter(
    (name) => values[name as keyof typeof values] === undefined,
  );
  if (!stackDir || positionals.length !== 1 || missing.length > 0) {
    throw new Error(`usage: local-cluster-override.ts STACK_DIR --target ENV --images-from LOCAL_ENV --state FILE --emulator URL --api-server URL --ca-file FILE --credential-file FILE (missing: ${missing.join(', ') || 'STACK_DIR'})`);
  }
  const target = loadEnvironment(values.target!);
  const local = loadEnvironment(values['images-from']!);
  if (target.target !== 'aws') throw new Error(`environment ${target.name} has target ${target.target}: deploy it with npm run deploy`);
  if (local.target !== 'local') throw new Error(`--images-from ${local.name}: its target is ${local.target}, not local`);
  const stackJson = JSON.parse(readFileSync(join(stackDir, 'cdk.tf.json'), 'utf8')) as StackJson;
  const { document, substitutions } = localClusterOverride(stackJson, {
    statePath: values.state!,
    emulatorEndpoint: values.emulator!,
    apiServer: values['api-server']!,
    caCertificatePem: readFileSync(values['ca-file']!, 'utf8'),
    credentialFile: values['credential-file']!,
    imageStandIns: imageStandIns(target, local),
  });
  writeFileSync(join(stackDir, LOCAL_CLUSTER_OVERRIDE_FILE), `${JSON.stringify(document, null, 2)}\n`);
  for (const s of substitutions) process.stdout.write(`substituted ${s.address}: ${s.change}; not exercised here: ${s.notExercisedHere}\n`);
}

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`local-cluster-override: ${error instanceof ConfigError ? error.message : (error as Error).message}\n`);
    process.exit(2);
  }
}
