// The kubernetes provider this project builds (tools/terraform/build.sh) updates a StatefulSet in place and records
// it: an in-place update with wait_for_rollout (the default, as the streaming stack's ZooKeeper and brokers use it)
// used to end in "Missing Resource Identity After Update" (tools/terraform/patches/kubernetes.patch). A StatefulSet of
// its own, in a namespace of its own, applied, changed and applied again with OpenTofu and the built provider.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Kubectl, localKubernetes, type LocalKubernetes } from '../harness/kube';

const ROOT = path.resolve(__dirname, '../..');
let cluster: LocalKubernetes;
let kubectl: Kubectl;
let namespace: string;
let workDir: string;
let tofu: { bin: string; cliConfig: string };

/** The Terraform JSON of one StatefulSet whose pod template carries `revision`. */
function configuration(revision: number): string {
  return JSON.stringify({
    terraform: { required_providers: { kubernetes: { source: 'hashicorp/kubernetes', version: '3.2.2-dev' } } },
    provider: { kubernetes: { config_path: cluster.kubeconfig, config_context: cluster.context } },
    resource: {
      kubernetes_stateful_set_v1: {
        probe: {
          metadata: { name: 'update-probe', namespace },
          spec: {
            service_name: 'update-probe',
            replicas: '1',
            selector: { match_labels: { app: 'update-probe' } },
            template: {
              metadata: { labels: { app: 'update-probe' }, annotations: { 'airline.io/revision': String(revision) } },
              spec: {
                termination_grace_period_seconds: 1,
                container: [{ name: 'pause', image: cluster.images.pause, image_pull_policy: 'Never' }],
              },
            },
          },
        },
      },
    },
  });
}

function run(args: string[]): { status: number | null; output: string } {
  const result = spawnSync(tofu.bin, [...args, '-no-color', '-input=false'], {
    cwd: workDir,
    env: { ...process.env, TF_CLI_CONFIG_FILE: tofu.cliConfig, TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1' },
    encoding: 'utf8',
    timeout: 10 * 60_000,
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('an in-place StatefulSet update with the built kubernetes provider', () => {
  before(async () => {
    cluster = localKubernetes();
    kubectl = new Kubectl(cluster);
    namespace = await kubectl.createNamespace('sts-update');
    workDir = mkdtempSync(path.join(os.tmpdir(), 'sts-update-'));
    // Builds tofu and the providers if they are missing (a warm run only checks).
    execFileSync('bash', [path.join(ROOT, 'tools/terraform/build.sh'), '--only', 'kubernetes'], { stdio: 'ignore', timeout: 60 * 60_000 });
    const [bin, cliConfig] = execFileSync('bash', ['-c', `source "${ROOT}/tools/terraform/lib.sh"; echo "$TOFU_BIN|$TF_MIRROR_CLI_CONFIG"`], { encoding: 'utf8' }).trim().split('|');
    tofu = { bin, cliConfig };
  });
  after(async () => {
    if (workDir) run(['destroy', '-auto-approve']);
    await kubectl.deleteNamespace(namespace);
    rmSync(workDir, { recursive: true, force: true });
  });

  it('creates, updates the pod template in place, and a second plan shows no changes', () => {
    writeFileSync(path.join(workDir, 'main.tf.json'), configuration(1));
    const init = run(['init']);
    assert.equal(init.status, 0, init.output.slice(-3000));
    const created = run(['apply', '-auto-approve']);
    assert.equal(created.status, 0, created.output.slice(-3000));
    writeFileSync(path.join(workDir, 'main.tf.json'), configuration(2));
    const updated = run(['apply', '-auto-approve']);
    assert.doesNotMatch(updated.output, /Missing Resource Identity/);
    assert.equal(updated.status, 0, updated.output.slice(-3000));
    assert.match(updated.output, /1 changed, 0 destroyed/);
    const replan = run(['plan', '-detailed-exitcode']);
    assert.equal(replan.status, 0, replan.output.slice(-3000));
  });
});
