import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildSync, version as esbuildVersion } from 'esbuild';
import { AssetType, Fn, TerraformAsset } from 'cdktf';
import { Construct } from 'constructs';
import { ConfigMapV1 } from '@cdktf/provider-kubernetes/lib/config-map-v1';
import { DEFAULTS } from '../../config/schema';

/** Kubernetes refuses a ConfigMap whose data and binaryData together exceed 1 MiB. */
export const CONFIG_MAP_MAX_BYTES = 1024 * 1024;

/** The official Node image, pinned (config/schema.ts DEFAULTS): the bundle needs nothing but node itself. */
export const NODE_APP_IMAGE: string = DEFAULTS.streaming.nodeRuntimeImage;

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export interface NodeAppBundleProps {
  /** The TypeScript entry, absolute or relative to the repository root (e.g. 'services/topics/cli.ts'). */
  readonly entry: string;
  /** DNS label: the file is `<name>.js`, the ConfigMap `<name>-bundle`. */
  readonly name: string;
  readonly namespace: string;
  readonly image?: string;
  /** Where the bundle is mounted in the container. */
  readonly mountPath?: string;
  readonly labels?: Record<string, string>;
}

const BUNDLE_DEFAULTS = { image: NODE_APP_IMAGE, mountPath: '/app' } as const;

export interface BundledScript {
  /** Minified CommonJS, one self-contained file. */
  readonly code: string;
  readonly sizeBytes: number;
  /** sha256 of the code, 16 hex characters. */
  readonly contentHash: string;
  /** Where this result came from: a fresh esbuild run, the on-disk cache, or this process's memory. */
  readonly origin: 'build' | 'disk' | 'memory';
}

const BUILD_OPTIONS = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: true,
  legalComments: 'none',
  charset: 'ascii',
} as const;

// Many stacks bundle the same entries during one synth: build each entry once per process.
const bundleCache = new Map<string, BundledScript>();

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Across processes, bundles are kept under the build cache directory with the hash of every input file; a bundle is
 * reused only while all its inputs are unchanged. AIRLINE_BUNDLE_CACHE=off disables it.
 */
function cacheRoot(): string {
  return process.env.AIRLINE_CACHE_DIR || path.join(os.homedir(), '.cache', 'airline-streaming');
}

function diskCacheFile(absoluteEntry: string): string | undefined {
  if (process.env.AIRLINE_BUNDLE_CACHE === 'off') return undefined;
  const key = sha256(`${esbuildVersion}\n${JSON.stringify(BUILD_OPTIONS)}\n${absoluteEntry}`).slice(0, 32);
  return path.join(cacheRoot(), 'bundles', `${key}.json`);
}

interface DiskCacheRecord {
  /** Input path relative to the repository root -> sha256 of its content. */
  readonly inputs: Record<string, string>;
  readonly code: string;
}

function readDiskCache(file: string): string | undefined {
  try {
    const record = JSON.parse(readFileSync(file, 'utf8')) as DiskCacheRecord;
    for (const [input, hash] of Object.entries(record.inputs)) {
      if (sha256(readFileSync(path.resolve(REPO_ROOT, input))) !== hash) return undefined;
    }
    return typeof record.code === 'string' ? record.code : undefined;
  } catch {
    return undefined; // missing, unreadable or stale: build again
  }
}

function writeDiskCache(file: string, inputs: string[], code: string): void {
  try {
    const record: DiskCacheRecord = {
      inputs: Object.fromEntries(inputs.map((input) => [input, sha256(readFileSync(path.resolve(REPO_ROOT, input)))])),
      code,
    };
    mkdirSync(path.dirname(file), { recursive: true });
    // Write then rename: concurrent synths never read a half-written record.
    const temporary = `${file}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(record));
    renameSync(temporary, file);
  } catch {
    // The cache is an optimisation; a read-only home must not fail synth.
  }
}

/** Bundles a TypeScript entry for node 20 with esbuild; cached per absolute entry path (memory, then disk). */
export function bundleNodeEntry(entry: string): BundledScript {
  const absoluteEntry = path.resolve(REPO_ROOT, entry);
  const cached = bundleCache.get(absoluteEntry);
  if (cached) return { ...cached, origin: 'memory' };
  const cacheFile = diskCacheFile(absoluteEntry);
  let code = cacheFile ? readDiskCache(cacheFile) : undefined;
  const origin = code === undefined ? 'build' : 'disk';
  if (code === undefined) {
    try {
      const result = buildSync({
        ...BUILD_OPTIONS,
        entryPoints: [absoluteEntry],
        absWorkingDir: REPO_ROOT,
        write: false,
        outfile: 'bundle.js',
        metafile: true,
        logLevel: 'silent',
      });
      code = result.outputFiles[0].text;
      if (cacheFile) writeDiskCache(cacheFile, Object.keys(result.metafile.inputs), code);
    } catch (error) {
      throw new Error(`NodeAppBundle: cannot bundle ${entry}: ${(error as Error).message}`);
    }
  }
  const bundled: BundledScript = {
    code,
    sizeBytes: Buffer.byteLength(code, 'utf8'),
    contentHash: sha256(code).slice(0, 16),
    origin,
  };
  bundleCache.set(absoluteEntry, bundled);
  return bundled;
}

/** Forgets the bundles built in this process (the on-disk cache stays). */
export function clearBundleCache(): void {
  bundleCache.clear();
  bundleFiles.clear();
}

// Bundle files already written or checked in this process: content-addressed path -> true.
const bundleFiles = new Set<string>();

function writeFileAtomically(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  // Write then rename: a concurrent synth never copies a half-written file.
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, text);
  renameSync(temporary, file);
}

/**
 * Writes the bundled code to a content-addressed file (`bundles/<sha256>/<fileName>` under the build cache, or under
 * the system temp directory when the cache is off or not writable) and returns its path: the source of the asset that
 * synth copies next to the stack.
 */
export function writeBundleFile(code: string, fileName: string): string {
  const digest = sha256(code);
  const roots = process.env.AIRLINE_BUNDLE_CACHE === 'off' ? [] : [path.join(cacheRoot(), 'bundles')];
  roots.push(path.join(os.tmpdir(), `airline-streaming-bundles-${os.userInfo().uid}`));
  const failures: string[] = [];
  for (const root of roots) {
    const file = path.join(root, digest, fileName);
    if (bundleFiles.has(file)) return file;
    try {
      let current: string | undefined;
      try {
        current = readFileSync(file, 'utf8');
      } catch {
        current = undefined;
      }
      if (current !== code) writeFileAtomically(file, code);
      bundleFiles.add(file);
      return file;
    } catch (error) {
      failures.push(`${file}: ${(error as Error).message}`);
    }
  }
  throw new Error(`NodeAppBundle: cannot write the bundle file ${fileName}: ${failures.join('; ')}`);
}

/** A pod volume that mounts a ConfigMap; structurally fits Deployment, StatefulSet and Job pod specs. */
export interface ConfigMapVolume {
  readonly name: string;
  readonly configMap: { readonly name: string; readonly defaultMode: string };
}

export interface ReadOnlyVolumeMount {
  readonly name: string;
  readonly mountPath: string;
  readonly readOnly: boolean;
}

/**
 * Ships a TypeScript program into the cluster without building an image: the entry is bundled at synth time into a
 * ConfigMap that pods mount at /app and run with `node /app/<name>.js` on the official Node image. The code travels
 * as a stack asset that Terraform reads with file(), so the stack JSON stays small and the code needs no escaping.
 */
export class NodeAppBundle extends Construct {
  /** The ConfigMap's name (plain text; `volume` refers to the resource itself). */
  readonly configMapName: string;
  readonly fileName: string;
  readonly image: string;
  readonly volume: ConfigMapVolume;
  readonly volumeMount: ReadOnlyVolumeMount;
  readonly command: string[];
  /** Changes whenever the bundled code changes; put it in pod annotations to roll pods on code changes. */
  readonly contentHash: string;
  /** `{ 'airline.io/bundle-<name>': contentHash }` for pod template annotations. */
  readonly podAnnotations: Record<string, string>;
  readonly sizeBytes: number;
  readonly configMap: ConfigMapV1;
  /** The bundled code, copied into the stack's output directory at synth. */
  readonly asset: TerraformAsset;

  constructor(scope: Construct, id: string, props: NodeAppBundleProps) {
    super(scope, id);
    if (!DNS_LABEL.test(props.name) || props.name.length > 56) {
      throw new Error(`NodeAppBundle: name "${props.name}" must be a DNS label of at most 56 characters`);
    }
    const mountPath = props.mountPath ?? BUNDLE_DEFAULTS.mountPath;
    const bundled = bundleNodeEntry(props.entry);
    this.fileName = `${props.name}.js`;
    const dataBytes = bundled.sizeBytes + Buffer.byteLength(this.fileName);
    if (dataBytes >= CONFIG_MAP_MAX_BYTES) {
      throw new Error(
        `NodeAppBundle: bundle of ${props.entry} is ${dataBytes} bytes; a ConfigMap holds less than ` +
          `${CONFIG_MAP_MAX_BYTES} bytes. Trim dependencies or ship an image instead.`,
      );
    }
    this.sizeBytes = bundled.sizeBytes;
    this.contentHash = bundled.contentHash;
    this.configMapName = `${props.name}-bundle`;
    this.image = props.image ?? BUNDLE_DEFAULTS.image;
    this.command = ['node', path.posix.join(mountPath, this.fileName)];
    this.podAnnotations = { [`airline.io/bundle-${props.name}`]: bundled.contentHash };
    this.asset = new TerraformAsset(this, 'code', {
      path: writeBundleFile(bundled.code, this.fileName),
      type: AssetType.FILE,
      assetHash: bundled.contentHash,
    });
    this.configMap = new ConfigMapV1(this, 'config-map', {
      metadata: {
        name: this.configMapName,
        namespace: props.namespace,
        labels: { ...props.labels, 'app.kubernetes.io/component': 'bundle' },
        annotations: { 'airline.io/content-hash': bundled.contentHash, 'airline.io/entry': props.entry },
      },
      // file() content is not a template: the minified code's `${` reaches the ConfigMap as written.
      data: { [this.fileName]: Fn.file(this.asset.path) },
    });
    // The volume refers to the ConfigMap resource, so pods are created only after their code exists.
    this.volume = { name: this.configMapName, configMap: { name: this.configMap.metadata.name, defaultMode: '0444' } };
    this.volumeMount = { name: this.configMapName, mountPath, readOnly: true };
  }
}
