// The tools/terraform helpers that run without a Terraform CLI: provider version overrides for the mirror,
// checkov suppressions next to resources, and the scan verdict over a checkov report.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { App, TerraformStack } from 'cdktf';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { suppressCheckovCheck } from '../../constructs/checkov';
import { parseMirrorVersions, providerVersionOverride } from '../../tools/terraform/provider-override';
import { environmentShellInfo, toShellAssignments } from '../../tools/terraform/env-info';
import { loadEnvironment } from '../../config';
import { REPO_ROOT, synthStack } from '../harness/synth';

const stackRequiring = (providers: Record<string, { source: string; version?: string }>) => ({
  terraform: { required_providers: providers },
});

test('provider override replaces only versions that differ from the mirror', () => {
  const mirror = parseMirrorVersions(['aws=6.48.0-dev', 'kubernetes=2.38.0']);
  const { document, substitutions } = providerVersionOverride(
    stackRequiring({ aws: { source: 'aws', version: '6.25.0' }, kubernetes: { source: 'kubernetes', version: '2.38.0' } }),
    mirror,
  );
  assert.deepEqual(substitutions, [{ name: 'aws', pinned: '6.25.0', mirror: '6.48.0-dev' }]);
  assert.deepEqual(document, { terraform: { required_providers: { aws: { source: 'aws', version: '6.48.0-dev' } } } });
});

test('provider override writes nothing when every version already matches', () => {
  const { document, substitutions } = providerVersionOverride(
    stackRequiring({ aws: { source: 'aws', version: '6.48.0-dev' } }),
    parseMirrorVersions(['aws=6.48.0-dev']),
  );
  assert.equal(document, undefined);
  assert.equal(substitutions.length, 0);
});

test('provider override refuses a provider the mirror does not hold, naming it', () => {
  assert.throws(
    () => providerVersionOverride(stackRequiring({ helm: { source: 'hashicorp/helm', version: '3.0.0' } }), parseMirrorVersions(['aws=6.48.0-dev'])),
    /requires provider 'helm'.*TF_PROVIDERS/,
  );
});

test('mirror version arguments must be NAME=SEMVER', () => {
  assert.throws(() => parseMirrorVersions(['aws']), /bad mirror version 'aws'/);
  assert.throws(() => parseMirrorVersions(['aws=latest']), /bad mirror version 'aws=latest'/);
  assert.equal(parseMirrorVersions(['kubernetes=3.2.2-dev']).get('kubernetes'), '3.2.2-dev');
});

function logGroupStack(): { stack: TerraformStack; group: CloudwatchLogGroup } {
  const stack = new TerraformStack(new App({ outdir: mkdtempSync(join(tmpdir(), 'ckv-')) }), 'checkov-test');
  new AwsProvider(stack, 'aws', { region: 'us-east-1' });
  const group = new CloudwatchLogGroup(stack, 'logs', { name: 'demo', retentionInDays: 7 });
  return { stack, group };
}

test('a checkov suppression lands in the resource comment with its reason, next to the construct path', () => {
  const { stack, group } = logGroupStack();
  suppressCheckovCheck(group, 'CKV_AWS_338', 'demo logs are deleted with the environment');
  suppressCheckovCheck(group, 'CKV_AWS_158', 'encrypted with the AWS-owned key; no customer data');
  const comment = synthStack(stack).resource!.aws_cloudwatch_log_group!.logs['//'];
  assert.deepEqual(comment['checkov:skip'], {
    CKV_AWS_338: 'demo logs are deleted with the environment',
    CKV_AWS_158: 'encrypted with the AWS-owned key; no customer data',
  });
  assert.equal(comment.metadata.path, 'checkov-test/logs');
});

test('a checkov suppression needs a real check id and a reason', () => {
  const { group } = logGroupStack();
  assert.throws(() => suppressCheckovCheck(group, 'AWS_338', 'a perfectly good reason'), /not a checkov check id/);
  assert.throws(() => suppressCheckovCheck(group, 'CKV_AWS_338', '  '), /needs a reason/);
});

/** Writes a stack JSON as cdktf lays it out and a checkov report failing CKV_AWS_338 on both log groups. */
function scanFixture(suppressFirst: boolean): string {
  const dir = mkdtempSync(join(tmpdir(), 'scan-report-'));
  const comment = (path: string, skip?: Record<string, string>) => ({ ...(skip ? { 'checkov:skip': skip } : {}), metadata: { path } });
  const stack = {
    resource: {
      aws_cloudwatch_log_group: {
        first: { '//': comment('s/first', suppressFirst ? { CKV_AWS_338: 'short-lived demo logs' } : undefined), name: 'a' },
        second: { '//': comment('s/second'), name: 'b' },
      },
    },
  };
  const stackFile = join(dir, 'cdk.tf.json');
  const text = JSON.stringify(stack, null, 2);
  writeFileSync(stackFile, text);
  const lines = text.split('\n');
  const lineOf = (name: string) => lines.findIndex((line) => line.trim() === `"${name}": {`) + 1;
  const failed = (name: string) => ({
    check_id: 'CKV_AWS_338',
    check_name: 'Ensure CloudWatch log groups retains logs for at least 1 year',
    file_path: '/s/cdk.tf.json',
    file_abs_path: stackFile,
    file_line_range: [lineOf(name), lineOf(name) + 8],
    resource: `resource.${name}`,
  });
  const report = { check_type: 'terraform_json', results: { passed_checks: [{ check_id: 'CKV_AWS_66' }], failed_checks: [failed('first'), failed('second')] } };
  writeFileSync(join(dir, 'report.json'), JSON.stringify(report));
  return join(dir, 'report.json');
}

function runScanReport(reportPath: string) {
  return spawnSync('python3', [join(REPO_ROOT, 'tools/terraform/scan_report.py'), reportPath], { encoding: 'utf8' });
}

test('scan verdict: an unsuppressed failed check fails the scan and names the resource', () => {
  const result = runScanReport(scanFixture(true));
  assert.equal(result.status, 1, result.stderr);
  assert.match(result.stdout, /SUPPRESSED CKV_AWS_338 \/s\/cdk\.tf\.json aws_cloudwatch_log_group\.first \(s\/first\): short-lived demo logs/);
  assert.match(result.stdout, /FAILED {5}CKV_AWS_338 \/s\/cdk\.tf\.json aws_cloudwatch_log_group\.second \(s\/second\)/);
  assert.match(result.stdout, /^scan: 1 passed, 1 failed, 1 skipped$/m);
});

test('scan verdict: an unreadable report is an error of its own, not a pass', () => {
  const result = runScanReport('/nonexistent/report.json');
  assert.equal(result.status, 2);
  assert.match(result.stderr, /cannot read the checkov report/);
});

test('env-info exports the names teardown needs, quoted for the shell', () => {
  const info = environmentShellInfo(loadEnvironment('dev', {}));
  assert.equal(info.ENV_TARGET, 'aws');
  assert.equal(info.ENV_CLUSTER, 'airline-streaming-dev');
  assert.equal(info.ENV_PRODUCTION, 'false');
  assert.equal(environmentShellInfo(loadEnvironment('prod', {})).ENV_PRODUCTION, 'true');
  assert.match(toShellAssignments({ A: "it's" }), /^A='it'\\''s'$/);
});

test('emulator drift ignores are added only under the emulator profile, to exactly the listed resource types', async () => {
  const { PlatformStack } = await import('../../stacks/platform-stack');
  const { createEmulatorProfile } = await import('../../config/emulator');
  const { EMULATOR_IGNORED_CHANGES } = await import('../../constructs/aws/emulator-profile');
  const { resourcesOfType, allResources } = await import('../harness/synth');
  const environment = loadEnvironment('dev', {});
  const synth = (emulated: boolean) =>
    synthStack(new PlatformStack(new App({ outdir: mkdtempSync(join(tmpdir(), 'emu-')) }), 'platform-dev', {
      environment,
      emulator: emulated ? createEmulatorProfile('http://127.0.0.1:5000') : undefined,
    }));
  const emulated = synth(true);
  for (const [type, attributes] of Object.entries(EMULATOR_IGNORED_CHANGES)) {
    const resources = resourcesOfType(emulated, type);
    assert.ok(resources.length > 0, `no ${type} in the emulated platform stack`);
    for (const resource of resources) assert.deepEqual(resource.config.lifecycle?.ignore_changes, attributes, resource.path);
  }
  const others = allResources(emulated).filter((r) => !(r.type in EMULATOR_IGNORED_CHANGES));
  assert.ok(others.every((r) => r.config.lifecycle?.ignore_changes === undefined), 'ignore_changes leaked to other resource types');
  assert.ok(allResources(synth(false)).every((r) => r.config.lifecycle?.ignore_changes === undefined), 'ignore_changes present on AWS');
});

test('build.sh --check builds nothing and names what is missing; with everything present it says built', () => {
  const cache = mkdtempSync(join(tmpdir(), 'tf-check-'));
  const check = (...args: string[]) =>
    spawnSync('bash', ['tools/terraform/build.sh', '--check', ...args], { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, AIRLINE_CACHE_DIR: cache } });
  const empty = check();
  assert.equal(empty.status, 1, empty.stderr);
  assert.match(empty.stdout, /^not built: tofu v[\d.]+ provider aws provider kubernetes /);
  // A stand-in tofu that reports the pinned version, and a stamped kubernetes provider: --only kubernetes passes.
  const lib = spawnSync('bash', ['-c', 'source tools/terraform/lib.sh; echo "$TOFU_BIN|$OPENTOFU_VERSION|$(provider_binary_path kubernetes 3.2.2-dev registry.opentofu.org)|$TF_MIRROR_CLI_CONFIG"; printf "%s\\n" "${TF_PROVIDERS[@]}"; IFS="|" read -r _ m v _ _ <<<"$(printf "%s\\n" "${TF_PROVIDERS[@]}" | grep ^kubernetes)"; echo "source-id|$(provider_source_id kubernetes "$m" "$v")"'], {
    cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, AIRLINE_CACHE_DIR: cache },
  }).stdout.trim().split('\n');
  const [tofu, version, provider, cliConfig] = lib[0].split('|');
  // The stamp names the module version and the patch build.sh applies (tools/terraform/patches/kubernetes.patch).
  const sourceId = lib.find((line) => line.startsWith('source-id|'))!.slice('source-id|'.length);
  assert.match(sourceId, /^github\.com\/hashicorp\/terraform-provider-kubernetes@v[^+]+\+patch-[0-9a-f]{12}$/);
  const write = (path: string, text: string, mode = 0o644) => {
    spawnSync('mkdir', ['-p', join(path, '..')]);
    writeFileSync(path, text, { mode });
  };
  write(tofu, `#!/bin/sh\necho "OpenTofu v${version}"\necho "on linux_amd64"\n`, 0o755);
  write(provider, '#!/bin/sh\n', 0o755);
  write(`${provider}.source`, `${sourceId}\n`);
  write(cliConfig, '# test\n');
  assert.equal(check('--only', 'tofu').status, 0);
  const kubernetes = check('--only', 'kubernetes');
  assert.equal(kubernetes.status, 0, kubernetes.stdout);
  assert.match(kubernetes.stdout, /^built: kubernetes$/m);
  const all = check();
  assert.equal(all.status, 1);
  assert.match(all.stdout, /^not built: provider aws /);
});
