// Credential rotation on the secured local cluster (`npm run rotate -- local <role>`, local/credential-rotation.ts):
// the predictor's password is replaced, again and again, while records flow through three predictor processes.
// The old password is refused, the new one works, the predictors keep running without a restart and every record
// has exactly one prediction. A connection authenticated with the old password before the rotation is cut at its next
// re-authentication (connections.max.reauth.ms of the local brokers).
// Rounds of the streaming test: CREDENTIAL_ROTATION_ROUNDS (default 1).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { logLevel, type Kafka } from 'kafkajs';
import { CLIENT_PRINCIPALS, type ClientRole } from '../../contracts/kafka-security';
import { LOCAL_SCRAM_SESSION_MS } from '../../local/broker-config';
import { rotateCredential } from '../../local/credential-rotation';
import { createKafkaClient } from '../../services/common/kafka-client';
import { quietLogger, testBootstrap, testCluster } from '../harness/cluster';
import { dataFilePath, metricValue, readFlightLines, replay, sleep } from '../harness/demo';
import { Pipeline, waitFor } from '../harness/service-pipeline';

const ROOT = path.resolve(__dirname, '..', '..');
const cluster = testCluster();
const PAUSE_BETWEEN_ROTATIONS_MS = 10_000;

function rotationRounds(): number {
  const raw = process.env.CREDENTIAL_ROTATION_ROUNDS ?? '1';
  const rounds = Number(raw);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`CREDENTIAL_ROTATION_ROUNDS must be a whole number >= 1, got "${raw}"`);
  return rounds;
}

/** A copy of `role`'s current password file: a client that keeps the password it had before a rotation. */
function copyOfPasswordFile(role: ClientRole): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'airline-old-password-'));
  const copy = path.join(dir, 'password');
  fs.copyFileSync(cluster.securitySettings(role).passwordFile, copy);
  return copy;
}

/** A client as `role` whose password comes from `passwordFile`; no retries, so a refusal shows at once. */
function clientWithPasswordFile(role: ClientRole, passwordFile: string, clientId: string): Kafka {
  const { username, caFile } = cluster.securitySettings(role);
  return createKafkaClient({
    security: { kind: 'scram', username, passwordFile, caPem: fs.readFileSync(caFile, 'utf8') },
    clientId,
    brokers: [testBootstrap()],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 5000,
    retry: { retries: 0 },
  });
}

/** What connecting a fresh admin and reading the cluster throws, or null when it works. */
async function connectError(client: Kafka): Promise<Error | null> {
  const admin = client.admin();
  try {
    await admin.connect();
    await admin.describeCluster();
    return null;
  } catch (error) {
    return error as Error;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** The error itself or the one kafkajs wrapped in it on giving up. */
function rootError(error: Error | null | undefined): Error | null {
  const cause = (error as { cause?: Error } | null | undefined)?.cause;
  return cause instanceof Error ? cause : (error ?? null);
}

function assertRefused(error: Error | null): void {
  error = rootError(error);
  assert.equal(error?.name, 'KafkaJSSASLAuthenticationError', String(error));
  assert.match(error!.message, /invalid credentials with SASL mechanism SCRAM-SHA-512/);
}

/** Log lines of a predictor that report a refused authentication (a rotation seen by the service). */
function refusalsLogged(logFile: string): number {
  return fs.readFileSync(logFile, 'utf8').split('\n').filter((line) => /SASL SCRAM SHA512 authentication failed/.test(line)).length;
}

describe('npm run rotate -- local <role>', () => {
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'local', 'rotate-cli.ts'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });

  it('prints one line naming the principal, never the password; replaces the file (mode 0600); old refused, new accepted', async (t) => {
    const { passwordFile } = cluster.securitySettings('demoReplay');
    const oldCopy = copyOfPasswordFile('demoReplay');
    t.after(() => fs.rmSync(path.dirname(oldCopy), { recursive: true, force: true }));
    const result = cli('local', 'demoReplay');
    assert.equal(result.status, 0, result.stderr);
    const newPassword = fs.readFileSync(passwordFile, 'utf8').trim();
    const oldPassword = fs.readFileSync(oldCopy, 'utf8').trim();
    assert.notEqual(newPassword, oldPassword);
    assert.match(newPassword, /^[0-9a-f]{48}$/);
    assert.equal(fs.statSync(passwordFile).mode & 0o777, 0o600);
    const lines = result.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 1, result.stdout);
    assert.match(lines[0], new RegExp(`^rotated the SCRAM credential of ${CLIENT_PRINCIPALS.demoReplay} \\(role demoReplay\\) on the local cluster `));
    for (const output of [result.stdout, result.stderr]) {
      assert.ok(!output.includes(newPassword) && !output.includes(oldPassword), 'no password in the output');
    }
    // No temporary or staged password file left behind (their names start with a dot).
    assert.deepEqual(fs.readdirSync(path.dirname(passwordFile)).filter((name) => name.startsWith('.')), []);
    assertRefused(await connectError(clientWithPasswordFile('demoReplay', oldCopy, 'old-password')));
    assert.equal(await connectError(clientWithPasswordFile('demoReplay', passwordFile, 'new-password')), null);
  });
});

describe('rotating the predictor credential while records flow (exactly-once, 3 instances)', () => {
  for (let round = 1; round <= rotationRounds(); round += 1) {
    it(`round ${round}: old password refused, new accepted, no instance restarted, every record predicted exactly once`, async (t) => {
      const pipeline = await Pipeline.create({ name: 'svc-rotate', mode: 'exactly-once' });
      const oldCopy = copyOfPasswordFile('predictor');
      try {
        const instances = await pipeline.spawnGroup(3);
        // Records for a whole session: every connection of the predictors re-authenticates while they flow.
        const ratePerSecond = 100;
        const records = readFlightLines(dataFilePath(), (ratePerSecond * LOCAL_SCRAM_SESSION_MS) / 1000, `rot${round}-`);
        const streaming = replay(pipeline.producer, records, { topic: pipeline.topics.input, ratePerSecond });
        let streamed = false;
        void streaming.finally(() => (streamed = true)).catch(() => undefined);
        await pipeline.collector.waitForKeys(300, 30000);

        t.diagnostic(await rotateCredential({ environment: 'local', role: 'predictor' }, { logger: quietLogger('rotate') }));
        assertRefused(await connectError(clientWithPasswordFile('predictor', oldCopy, 'old-password')));
        assert.equal(await connectError(clientWithPasswordFile('predictor', cluster.securitySettings('predictor').passwordFile, 'new-password')), null);
        // Again and again until the records are all sent: each rotation's moment between the file and the brokers is a
        // chance for a predictor's (re-)authentication to be refused and retried. The pause keeps those moments apart,
        // as rotations are (a retry that lands in the next one would be refused again).
        let rotations = 1;
        while (!streamed) {
          await sleep(PAUSE_BETWEEN_ROTATIONS_MS);
          if (streamed) break;
          await rotateCredential({ environment: 'local', role: 'predictor' }, { logger: quietLogger('rotate') });
          rotations += 1;
        }

        assert.equal(await streaming, records.length);
        assert.ok(await pipeline.collector.waitForKeys(records.length, 90000), `all ${records.length} records come out`);
        await sleep(2000); // late duplicates, if any
        const refusals = instances.map((instance) => refusalsLogged(instance.logFile));
        const consumerRestarts = await Promise.all(instances.map(async (instance) => metricValue(await instance.metrics(), 'predictor_consumer_restarts_total')));
        t.diagnostic(`${rotations} rotations; refused (and retried) authentications per instance [${refusals.join(', ')}], consumers replaced [${consumerRestarts.join(', ')}]`);
        assert.deepEqual(pipeline.collector.missingKeys(records.map((r) => r.key)), []);
        assert.deepEqual(pipeline.collector.duplicateKeys(), []);
        assert.deepEqual(instances.map((instance) => instance.running), [true, true, true], 'no predictor exited');
        // A consumer the stall watchdog replaced rejoins within a session or two.
        await waitFor('every instance ready', 30000, async () => (await Promise.all(instances.map((i) => i.probe('/readyz')))).every((status) => status === 200));
      } finally {
        fs.rmSync(path.dirname(oldCopy), { recursive: true, force: true });
        await pipeline.teardown();
      }
    });
  }
});

describe('a connection authenticated before a rotation', () => {
  it(`is refused at its next re-authentication, within connections.max.reauth.ms (${LOCAL_SCRAM_SESSION_MS} ms)`, async (t) => {
    const oldCopy = copyOfPasswordFile('demoCollector');
    const admin = clientWithPasswordFile('demoCollector', oldCopy, 'authenticated-before').admin();
    try {
      await admin.connect();
      await admin.describeCluster();
      await rotateCredential({ environment: 'local', role: 'demoCollector' }, { logger: quietLogger('rotate') });
      const rotatedAt = Date.now();
      // New connections of this client are refused at once; its open ones only when their session ends.
      let refusal: Error | undefined;
      while (!refusal && Date.now() - rotatedAt < LOCAL_SCRAM_SESSION_MS + 15_000) {
        await admin.describeCluster().catch((error: Error) => {
          if (/during re-authentication/.test(error.message)) refusal = error;
        });
        await sleep(1000);
      }
      const ms = Date.now() - rotatedAt;
      t.diagnostic(`re-authentication refused ${ms} ms after the rotation`);
      assert.ok(refusal, `no re-authentication was refused within ${ms} ms`);
      assert.equal(rootError(refusal)?.name, 'KafkaJSSASLAuthenticationError');
    } finally {
      await admin.disconnect().catch(() => undefined);
      fs.rmSync(path.dirname(oldCopy), { recursive: true, force: true });
    }
  });
});
