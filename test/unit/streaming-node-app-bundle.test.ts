// NodeAppBundle: code shipped as a ConfigMap (via a stack asset read with file()) must arrive byte-for-byte, stay under the ConfigMap limit, be built once
// per entry and roll pods when it changes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TerraformStack, Testing } from 'cdktf';
import { JobV1 } from '@cdktf/provider-kubernetes/lib/job-v1';
import {
  NodeAppBundle,
  bundleNodeEntry,
  clearBundleCache,
  writeBundleFile,
  CONFIG_MAP_MAX_BYTES,
  NODE_APP_IMAGE,
} from '../../constructs/k8s/node-app-bundle';
import { escapeTerraformTemplate, unescapeTerraformTemplate } from '../../constructs/k8s/terraform-escape';
import { diskApp, fileFunctionContent, makeTempDir, reference, resourcesOfType, synthStack, synthStackToDisk } from '../harness/synth';

// Throw-away entries must not leave records in the shared build cache.
const CACHE_DIR = makeTempDir('bundle-cache');
process.env.AIRLINE_CACHE_DIR = CACHE_DIR;

function entryFile(source: string): string {
  const file = join(makeTempDir('bundle-entry'), 'entry.ts');
  writeFileSync(file, source);
  return file;
}

test('Terraform escaping: ${ and %{ become $${ and %%{, and the inverse restores the text', () => {
  const text = 'const a = `${x}`; const b = "%{y}"; const c = "$${z}"; const d = "$ {"';
  const escaped = escapeTerraformTemplate(text);
  // No interpolation or directive start is left unescaped.
  assert.doesNotMatch(escaped.replace(/\$\$\{/g, '').replace(/%%\{/g, ''), /\$\{|%\{/);
  assert.match(escaped, /`\$\$\{x\}`/);
  assert.match(escaped, /"%%\{y\}"/);
  assert.equal(unescapeTerraformTemplate(escaped), text);
});

test('the bundle lands in a ConfigMap unchanged (Terraform reads the stack asset with file()) and runs with node', () => {
  const entry = entryFile('const who: string = process.env.WHO ?? "nobody";\nconsole.log(`hello ${who} %{x}`);\n');
  const stack = new TerraformStack(diskApp(), 'test');
  const bundle = new NodeAppBundle(stack, 'greeter', { entry, name: 'greeter', namespace: 'apps' });
  const { json, stackDir } = synthStackToDisk(stack);
  const configMap = resourcesOfType(json, 'kubernetes_config_map_v1')[0].config;
  assert.equal(configMap.metadata.name, bundle.configMapName);
  assert.equal(configMap.metadata.namespace, 'apps');
  // The code is not in the stack JSON; file() content is not a template, so it needs no escaping.
  assert.doesNotMatch(JSON.stringify(json), /hello/);
  const shipped = fileFunctionContent(stackDir, configMap.data['greeter.js']);
  assert.equal(shipped, bundleNodeEntry(entry).code);
  const dir = makeTempDir('bundle-run');
  writeFileSync(join(dir, 'greeter.js'), shipped);
  const run = spawnSync(process.execPath, [join(dir, 'greeter.js')], { env: { WHO: 'kafka' }, encoding: 'utf8' });
  assert.equal(run.stdout, 'hello kafka %{x}\n');
});

test('bundle files are content-addressed under the build cache (system temp when the cache is off) and repaired', () => {
  const code = 'console.log("content-addressed");\n';
  const digest = createHash('sha256').update(code).digest('hex');
  const cached = writeBundleFile(code, 'demo.js');
  assert.equal(cached, join(CACHE_DIR, 'bundles', digest, 'demo.js'));
  assert.equal(readFileSync(cached, 'utf8'), code);
  // A damaged file at the content address is rewritten, not shipped.
  writeFileSync(cached, 'truncated');
  clearBundleCache();
  assert.equal(writeBundleFile(code, 'demo.js'), cached);
  assert.equal(readFileSync(cached, 'utf8'), code);
  process.env.AIRLINE_BUNDLE_CACHE = 'off';
  try {
    const temporary = writeBundleFile(code, 'demo.js');
    assert.ok(temporary.startsWith(tmpdir()) && !temporary.startsWith(CACHE_DIR), temporary);
    assert.ok(temporary.endsWith(join(digest, 'demo.js')), temporary);
    assert.equal(readFileSync(temporary, 'utf8'), code);
  } finally {
    delete process.env.AIRLINE_BUNDLE_CACHE;
  }
});

test('volume, mount, command and image fit together; the volume makes pods wait for the ConfigMap', () => {
  const entry = entryFile('console.log(1);\n');
  const stack = new TerraformStack(Testing.app(), 'test');
  const bundle = new NodeAppBundle(stack, 'b', { entry, name: 'svc', namespace: 'apps', mountPath: '/opt/svc' });
  new JobV1(stack, 'job', {
    metadata: { name: 'svc', namespace: 'apps' },
    spec: {
      template: {
        metadata: {},
        spec: {
          container: [{ name: 'svc', image: bundle.image, command: bundle.command, volumeMount: [bundle.volumeMount] }],
          volume: [bundle.volume],
        },
      },
    },
  });
  const synthesized = synthStack(stack);
  const [configMap] = resourcesOfType(synthesized, 'kubernetes_config_map_v1');
  const [job] = resourcesOfType(synthesized, 'kubernetes_job_v1');
  assert.equal(configMap.config.metadata.name, bundle.configMapName);
  const pod = job.config.spec.template.spec;
  assert.equal(pod.volume[0].config_map.name, reference(configMap, 'metadata[0].name'));
  assert.equal(pod.container[0].volume_mount[0].name, pod.volume[0].name);
  assert.equal(pod.container[0].volume_mount[0].mount_path, '/opt/svc');
  assert.equal(pod.container[0].volume_mount[0].read_only, true);
  assert.deepEqual(pod.container[0].command, ['node', '/opt/svc/svc.js']);
  assert.equal(pod.container[0].image, NODE_APP_IMAGE);
  assert.deepEqual(bundle.podAnnotations, { 'airline.io/bundle-svc': bundle.contentHash });
});

test('bundles are built once per process; the disk cache is reused only while every input file is unchanged', () => {
  const dir = makeTempDir('bundle-src');
  const entry = join(dir, 'entry.ts');
  const dependency = join(dir, 'greeting.ts');
  writeFileSync(dependency, 'export const greeting = "v1";\n');
  writeFileSync(entry, 'import { greeting } from "./greeting";\nconsole.log(greeting);\n');

  const first = bundleNodeEntry(entry);
  assert.equal(first.origin, 'build');
  const again = bundleNodeEntry(entry);
  assert.equal(again.origin, 'memory');
  assert.equal(again.code, first.code);

  clearBundleCache();
  const fromDisk = bundleNodeEntry(entry);
  assert.equal(fromDisk.origin, 'disk');
  assert.equal(fromDisk.contentHash, first.contentHash);

  // A change in an imported file (not the entry) invalidates the disk record.
  writeFileSync(dependency, 'export const greeting = "v2";\n');
  clearBundleCache();
  const rebuilt = bundleNodeEntry(entry);
  assert.equal(rebuilt.origin, 'build');
  assert.notEqual(rebuilt.contentHash, first.contentHash);
  assert.match(rebuilt.code, /v2/);
});

test('a bundle over the ConfigMap limit is refused with its size; a bad name is refused', () => {
  const big = entryFile(`console.log(${JSON.stringify('x'.repeat(CONFIG_MAP_MAX_BYTES + 10))});\n`);
  assert.throws(
    () => new NodeAppBundle(new TerraformStack(Testing.app(), 'test'), 'b', { entry: big, name: 'big', namespace: 'apps' }),
    /is \d+ bytes; a ConfigMap holds less than 1048576 bytes/,
  );
  const small = entryFile('console.log(1);\n');
  assert.throws(
    () => new NodeAppBundle(new TerraformStack(Testing.app(), 'test'), 'b', { entry: small, name: 'Bad_Name', namespace: 'apps' }),
    /must be a DNS label/,
  );
});

test('an entry that does not compile fails synth with the entry named', () => {
  const broken = entryFile('import { nothing } from "./does-not-exist";\nconsole.log(nothing);\n');
  assert.throws(() => bundleNodeEntry(broken), /cannot bundle .*entry\.ts/);
});

test('the real provisioner and node-zone entries bundle well under the ConfigMap limit', () => {
  for (const entry of ['services/topics/cli.ts', 'constructs/kafka/runtime/node-zone.ts']) {
    const { sizeBytes } = bundleNodeEntry(entry);
    assert.ok(sizeBytes > 1000 && sizeBytes < CONFIG_MAP_MAX_BYTES * 0.8, `${entry}: ${sizeBytes} bytes`);
  }
});
