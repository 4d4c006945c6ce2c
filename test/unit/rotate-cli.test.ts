// `npm run rotate -- <environment> <role>` refuses bad arguments before it touches any cluster: the usage, the valid
// roles, exit 2. (Rotating on the real cluster: test/integration/credential-rotation.test.ts.)
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { CLIENT_PRINCIPALS, CLIENT_ROLES } from '../../contracts/kafka-security';
import { parseRotationArguments, RotationUsageError } from '../../local/credential-rotation';

const ROOT = path.resolve(__dirname, '..', '..');
const ENVIRONMENTS = ['dev', 'staging', 'prod', 'local'];

describe('rotation arguments', () => {
  it('take an environment of the config and a role of CLIENT_PRINCIPALS', () => {
    assert.deepEqual(parseRotationArguments(['local', 'predictor'], ENVIRONMENTS), { environment: 'local', role: 'predictor' });
    assert.deepEqual(parseRotationArguments(['prod', 'demoCollector'], ENVIRONMENTS), { environment: 'prod', role: 'demoCollector' });
    assert.deepEqual(parseRotationArguments(['local', 'predictor', '--on', 'k8s'], ENVIRONMENTS), { environment: 'local', role: 'predictor', onKubernetes: true });
    assert.deepEqual(CLIENT_ROLES, Object.keys(CLIENT_PRINCIPALS));
  });

  it('refuse anything else with a usage error that names every valid role', () => {
    const cases: Array<[string[], RegExp]> = [
      [[], /expected 2 arguments, got 0/],
      [['local'], /expected 2 arguments, got 1/],
      [['local', 'predictor', 'extra'], /expected 2 arguments, got 3/],
      [['local', 'predictor', '--on', 'mars'], /expected 2 arguments, got 4/],
      [['local', 'airline-predictor'], /unknown role "airline-predictor"/],
      [['qa', 'predictor'], /unknown environment "qa" \(environments: dev, staging, prod, local\)/],
    ];
    for (const [args, problem] of cases) {
      assert.throws(
        () => parseRotationArguments(args, ENVIRONMENTS),
        (error: unknown) => error instanceof RotationUsageError && problem.test(error.message) && error.message.includes(`role: one of ${CLIENT_ROLES.join(', ')}`),
        args.join(' '),
      );
    }
  });
});

describe('npm run rotate with bad arguments', () => {
  it('prints the problem and the usage on stderr, nothing on stdout, and exits 2', () => {
    for (const args of [[], ['local', 'nobody'], ['nowhere', 'predictor']]) {
      const result = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'local', 'rotate-cli.ts'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
      assert.equal(result.status, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.equal(result.stdout, '');
      assert.match(result.stderr, /^rotate: .*\nusage: npm run rotate -- <environment> <role> \[--on k8s\]\n  role: one of predictor, topicsProvisioner, demoReplay, demoCollector\n  --on k8s: .*\n$/);
    }
  });
});
