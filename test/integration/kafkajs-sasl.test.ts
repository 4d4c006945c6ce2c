// The project's kafkajs patch (patches/kafkajs+2.2.4.patch), its SASL part, against the real brokers beside the
// unpatched release (`kafkajs-unpatched`). A rotation replaces a client's password file moments before the brokers
// have the new credential (local/credential-rotation.ts), so an authentication in between is refused. Unpatched,
// that refusal is permanent (not retriable): the operation fails at once, and in a service a consumer crashes without
// a restart. Patched, the client factory's `isRefusalTransient` (services/common/kafka-client.ts) makes it retriable,
// and the client gets in once the brokers have the credential.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import * as patched from 'kafkajs';
import * as unpatched from 'kafkajs-unpatched';
import { newPassword, replaceSecretFile, writeSecret } from '../../local/cluster-security';
import { kafkaClientConfig } from '../../services/common/kafka-client';
import { testBootstrap, testCluster } from '../harness/cluster';
import { sleep } from '../harness/demo';

type KafkaModule = typeof patched;

const cluster = testCluster();
const ROLE = 'demoCollector';
/** The brokers get the new credential this long after the file changed, plus the SCRAM tool's JVM start. */
const BROKERS_BEHIND_MS = 1500;

/**
 * Connects an admin once (its client has read the password file), replaces the file, then connects anew while the
 * brokers still have the old credential; they get the new one BROKERS_BEHIND_MS later. Returns how that connect ended.
 */
async function connectWhileBrokersAreBehind(kafkajs: KafkaModule, label: string) {
  const { passwordFile } = cluster.securitySettings(ROLE);
  const kafka = new kafkajs.Kafka({
    ...kafkaClientConfig({ security: cluster.clientSecurity(ROLE), brokers: [testBootstrap()] }),
    clientId: `kafkajs-sasl-${label}`,
    logLevel: kafkajs.logLevel.NOTHING,
    retry: { initialRetryTime: 300, maxRetryTime: 2000, retries: 20 },
  });
  const admin = kafka.admin();
  await admin.connect();
  await admin.describeCluster();
  await admin.disconnect();

  const password = newPassword();
  replaceSecretFile(passwordFile, password);
  const staged = path.join(path.dirname(passwordFile), `.kafkajs-sasl-${label}.new`);
  const brokersCatchUp = sleep(BROKERS_BEHIND_MS).then(async () => {
    writeSecret(staged, password);
    await cluster.replaceScramCredential(ROLE, staged);
  });
  const started = Date.now();
  try {
    const outcome = await admin.connect().then(
      () => ({ connected: true as const, ms: Date.now() - started }),
      (error: Error & { retriable?: boolean }) => ({ connected: false as const, ms: Date.now() - started, error }),
    );
    if (outcome.connected) await admin.describeCluster();
    return outcome;
  } finally {
    // The file and ZooKeeper agree again before the next test, whatever happened.
    await brokersCatchUp;
    fs.rmSync(staged, { force: true });
    await admin.disconnect().catch(() => undefined);
  }
}

describe('kafkajs SASL patch: a refusal right after the password file changed', () => {
  it('unpatched 2.2.4: is permanent, the connect fails at once although the brokers accept the password a moment later', async (t) => {
    const outcome = await connectWhileBrokersAreBehind(unpatched as unknown as KafkaModule, 'unpatched');
    t.diagnostic(JSON.stringify({ connected: outcome.connected, ms: outcome.ms, error: outcome.connected ? undefined : outcome.error.name }));
    assert.equal(outcome.connected, false);
    if (outcome.connected) return;
    assert.equal(outcome.error.name, 'KafkaJSSASLAuthenticationError');
    assert.equal(outcome.error.retriable, false);
  });

  it('patched: is retried, the connect succeeds once the brokers have the new credential', async (t) => {
    const outcome = await connectWhileBrokersAreBehind(patched, 'patched');
    t.diagnostic(JSON.stringify({ connected: outcome.connected, ms: outcome.ms }));
    assert.equal(outcome.connected, true, outcome.connected ? '' : String(outcome.error));
    assert.ok(outcome.ms >= BROKERS_BEHIND_MS, `connected after ${outcome.ms} ms: the first attempts were refused and retried`);
  });
});
