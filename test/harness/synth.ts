// Helpers for tests that inspect synthesized Terraform JSON (shared by the platform, Kafka and prediction tests).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { after } from 'node:test';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { App, type TerraformStack } from 'cdktf';
import { invokeAspects } from 'cdktf/lib/synthesize/synthesizer';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

/** A synthesized stack (cdk.tf.json). */
export interface StackJson {
  terraform?: Json;
  provider?: Record<string, Json[]>;
  resource?: Record<string, Record<string, Json>>;
  data?: Record<string, Record<string, Json>>;
  output?: Record<string, Json>;
  locals?: Json;
}

export interface SynthElement {
  /** Terraform type, e.g. `aws_subnet`. */
  type: string;
  /** Terraform name (cdktf's unique id). */
  name: string;
  /** Construct path, e.g. `platform-dev/network/public-0`. */
  path: string;
  config: Json;
}

export const REPO_ROOT = resolve(__dirname, '..', '..');

/**
 * Synthesizes one stack in memory, as cdk.tf.json would hold it (construct paths kept in `//` metadata, unlike
 * Testing.synth, so elements can be found by path).
 */
export function synthStack(stack: TerraformStack): StackJson {
  invokeAspects(stack);
  return JSON.parse(JSON.stringify(stack.toTerraform())) as StackJson;
}

/**
 * An app that synthesizes to a fresh temp directory. Provider validation is skipped: construct tests build bare stacks
 * without provider blocks (the stacks under stacks/ add them).
 */
export function diskApp(): App {
  return new App({ outdir: makeTempDir('cdktf-out'), skipValidation: true, stackTraces: false });
}

/**
 * Synthesizes the stack's app (made with diskApp) into its outdir as `cdktf synth` does (assets copied next to cdk.tf.json); returns the
 * stack JSON and the stack's directory, against which Terraform resolves relative file() paths.
 */
export function synthStackToDisk(stack: TerraformStack): { json: StackJson; stackDir: string } {
  const app = App.of(stack);
  app.synth();
  const stackDir = join(app.outdir, 'stacks', stack.node.id);
  return { json: JSON.parse(readFileSync(join(stackDir, 'cdk.tf.json'), 'utf8')) as StackJson, stackDir };
}

/** What Terraform reads for a `${file("assets/...")}` value: the file inside the stack directory it names. */
export function fileFunctionContent(stackDir: string, value: string): string {
  const match = /^\$\{file\("([^"\\]+)"\)\}$/.exec(value);
  if (!match) throw new Error(`expected a \${file("...")} reference, got ${JSON.stringify(value.slice(0, 80))}`);
  const file = resolve(stackDir, match[1]);
  const inside = relative(stackDir, file);
  if (isAbsolute(match[1]) || inside.startsWith('..')) throw new Error(`file() path ${match[1]} is outside the stack directory`);
  return readFileSync(file, 'utf8');
}

function elements(block: Record<string, Record<string, Json>> | undefined, type?: string): SynthElement[] {
  const found: SynthElement[] = [];
  for (const [elementType, byName] of Object.entries(block ?? {})) {
    if (type !== undefined && elementType !== type) continue;
    for (const [name, config] of Object.entries(byName)) {
      found.push({ type: elementType, name, path: config?.['//']?.metadata?.path ?? name, config });
    }
  }
  return found;
}

export function resourcesOfType(stack: StackJson, type: string): SynthElement[] {
  return elements(stack.resource, type);
}

export function allResources(stack: StackJson): SynthElement[] {
  return elements(stack.resource);
}

export function dataSourcesOfType(stack: StackJson, type: string): SynthElement[] {
  return elements(stack.data, type);
}

/** The one resource of a type whose construct path ends with `pathSuffix`; throws when not exactly one. */
export function resourceAt(stack: StackJson, type: string, pathSuffix: string): SynthElement {
  const matches = resourcesOfType(stack, type).filter((element) => element.path.endsWith(pathSuffix));
  if (matches.length !== 1) throw new Error(`expected one ${type} at *${pathSuffix}, found ${matches.length}`);
  return matches[0];
}

/** The Terraform expression that refers to an attribute of a synthesized element, e.g. `${aws_vpc.x.id}`. */
export function reference(element: SynthElement, attribute: string): string {
  return `\${${element.type}.${element.name}.${attribute}}`;
}

/** True when `value` (string or nested structure) mentions the element by its Terraform address. */
export function refersTo(value: unknown, element: SynthElement): boolean {
  return JSON.stringify(value ?? null).includes(`${element.type}.${element.name}`);
}

export function providerBlocks(stack: StackJson, provider: string): Json[] {
  return stack.provider?.[provider] ?? [];
}

export function outputValue(stack: StackJson, name: string): Json {
  const output = stack.output?.[name];
  if (!output) throw new Error(`no output ${name}`);
  return output.value;
}

/** Reads every stack cdktf wrote into `outdir` (cdktf.out layout), by stack name. */
export function readSynthesizedStacks(outdir: string): Record<string, StackJson> {
  const stacksDir = join(outdir, 'stacks');
  const stacks: Record<string, StackJson> = {};
  if (!existsSync(stacksDir)) return stacks;
  for (const name of readdirSync(stacksDir)) {
    const file = join(stacksDir, name, 'cdk.tf.json');
    if (existsSync(file)) stacks[name] = JSON.parse(readFileSync(file, 'utf8')) as StackJson;
  }
  return stacks;
}

const createdTempDirs: string[] = [];
// Registered once per test file that loads these helpers: its temp dirs go when the file's tests are done.
after(() => {
  for (const dir of createdTempDirs) rmSync(dir, { recursive: true, force: true });
});

/** A fresh temp dir, removed after the calling test file finishes. */
export function makeTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  createdTempDirs.push(dir);
  return dir;
}

export interface AppRun {
  status: number | null;
  stdout: string;
  stderr: string;
  outdir: string;
}

/**
 * Runs the real app entry (`node --import tsx main.ts`) in a fresh process with CDKTF_OUTDIR set, as `cdktf synth`
 * does. `env` is added to a copy of this process's environment (AIRLINE_* and AWS_EMULATOR_* are cleared first).
 */
export function runApp(env: Record<string, string>, outdir: string = makeTempDir('airline-synth')): AppRun {
  const base: Record<string, string | undefined> = { ...process.env };
  for (const key of Object.keys(base)) {
    if (key.startsWith('AIRLINE_') || key.startsWith('AWS_EMULATOR_')) delete base[key];
  }
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'main.ts'], {
    cwd: REPO_ROOT,
    env: { ...base, ...env, CDKTF_OUTDIR: outdir },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, outdir };
}
