import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError } from '../../contracts/config-error';
import { PASSWORD_CHANGE_GRACE_MS, kafkaClientConfig, loadScramSecurity, securitySettingsFromEnv } from '../../services/common/kafka-client';
import { loadServiceConfig } from '../../services/predictor/config';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

function files(): { passwordFile: string; caFile: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kafka-client-test-'));
  const passwordFile = path.join(dir, 'password');
  const caFile = path.join(dir, 'ca.pem');
  fs.writeFileSync(passwordFile, 's3cret\n', { mode: 0o600 });
  fs.writeFileSync(caFile, PEM);
  return { passwordFile, caFile };
}

describe('kafka client factory', () => {
  it('without security the client stays plaintext', () => {
    const config = kafkaClientConfig({ clientId: 'x', brokers: ['127.0.0.10:9092'] });
    assert.equal(config.ssl, undefined);
    assert.equal(config.sasl, undefined);
  });

  it('SCRAM: verifies the brokers against the CA and authenticates with scram-sha-512', () => {
    const { passwordFile } = files();
    const config = kafkaClientConfig({ brokers: ['b:9092'], security: { kind: 'scram', username: 'u', passwordFile, caPem: PEM } });
    assert.deepEqual(config.ssl, { ca: [PEM], rejectUnauthorized: true });
    const sasl = config.sasl as { mechanism: string; username: string; password: string };
    assert.deepEqual([sasl.mechanism, sasl.username, sasl.password], ['scram-sha-512', 'u', 's3cret']);
  });

  it('SCRAM: the password is read from its file at each authentication, so a rotated one is used without a restart', () => {
    const { passwordFile } = files();
    const { sasl } = kafkaClientConfig({ brokers: ['b:9092'], security: { kind: 'scram', username: 'u', passwordFile, caPem: PEM } });
    assert.equal((sasl as { password: string }).password, 's3cret');
    fs.writeFileSync(passwordFile, 'rotated\n');
    assert.equal((sasl as { password: string }).password, 'rotated');
  });

  it('SCRAM: a refusal is transient only when the password file changed after this client first read it, less than a minute ago', async (t) => {
    const { passwordFile } = files();
    const sasl = kafkaClientConfig({ brokers: ['b:9092'], security: { kind: 'scram', username: 'u', passwordFile, caPem: PEM } }).sasl as unknown as {
      password: string;
      isRefusalTransient(): boolean;
    };
    assert.equal(sasl.isRefusalTransient(), false, 'never read: a wrong password from the start fails at once');
    void sasl.password;
    assert.equal(sasl.isRefusalTransient(), false, 'unchanged since read');
    await new Promise((resolve) => setTimeout(resolve, 10));
    // A rotation moves a file written earlier over it: the move is the change.
    const moved = `${passwordFile}.new`;
    fs.writeFileSync(moved, 'rotated\n', { mode: 0o600 });
    fs.utimesSync(moved, new Date(Date.now() - 3_600_000), new Date(Date.now() - 3_600_000));
    fs.renameSync(moved, passwordFile);
    assert.equal(sasl.isRefusalTransient(), true, 'moved in just now');
    t.mock.timers.enable({ apis: ['Date'], now: Date.now() + PASSWORD_CHANGE_GRACE_MS + 1000 });
    assert.equal(sasl.isRefusalTransient(), false, 'changed longer ago than PASSWORD_CHANGE_GRACE_MS');
  });

  it('mutual TLS: presents the certificate, still verifies the brokers, no SASL', () => {
    const config = kafkaClientConfig({ brokers: ['b:9093'], security: { kind: 'mutual-tls', caPem: PEM, certificatePem: 'C', keyPem: 'K' } });
    assert.deepEqual(config.ssl, { ca: [PEM], cert: 'C', key: 'K', rejectUnauthorized: true });
    assert.equal(config.sasl, undefined);
  });

  it('checks the password file (readable, not empty) and reads the CA; a bad file names its variable', () => {
    const { passwordFile, caFile } = files();
    assert.deepEqual(loadScramSecurity({ username: 'u', passwordFile, caFile }), { kind: 'scram', username: 'u', passwordFile, caPem: PEM });
    assert.throws(() => loadScramSecurity({ username: 'u', passwordFile: '/nonexistent/pw', caFile }), /KAFKA_SASL_PASSWORD_FILE: cannot read \/nonexistent\/pw/);
    assert.throws(() => loadScramSecurity({ username: 'u', passwordFile, caFile: passwordFile }), /KAFKA_TLS_CA_FILE: .* holds no PEM certificate/);
    fs.writeFileSync(passwordFile, '\n');
    assert.throws(() => loadScramSecurity({ username: 'u', passwordFile, caFile }), /KAFKA_SASL_PASSWORD_FILE: .* is empty/);
  });

  it('security variables: none is plaintext, all is security, a partial set names the missing variable', () => {
    assert.equal(securitySettingsFromEnv({}), undefined);
    assert.deepEqual(securitySettingsFromEnv({ KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD_FILE: '/p', KAFKA_TLS_CA_FILE: '/c' }), { username: 'u', passwordFile: '/p', caFile: '/c' });
    assert.throws(
      () => securitySettingsFromEnv({ KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD_FILE: '/p' }),
      (error: unknown) => error instanceof ConfigError && /field KAFKA_TLS_CA_FILE: is required when KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD_FILE is set/.test(error.message),
    );
  });
});

describe('prediction service security variables', () => {
  const base = { KAFKA_BOOTSTRAP: '127.0.0.10:9092' };

  it('are optional: none set keeps the service on plaintext', () => {
    assert.equal(loadServiceConfig(base).security, undefined);
  });

  it('all three set give the credential file paths', () => {
    const config = loadServiceConfig({ ...base, KAFKA_SASL_USERNAME: 'airline-predictor', KAFKA_SASL_PASSWORD_FILE: '/run/pw', KAFKA_TLS_CA_FILE: '/run/ca.pem' });
    assert.deepEqual(config.security, { username: 'airline-predictor', passwordFile: '/run/pw', caFile: '/run/ca.pem' });
  });

  it('a partial set is a config error naming each missing variable', () => {
    assert.throws(
      () => loadServiceConfig({ ...base, KAFKA_SASL_USERNAME: 'airline-predictor' }),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.issues.map((issue) => issue.field).sort().join(',') === 'KAFKA_SASL_PASSWORD_FILE,KAFKA_TLS_CA_FILE' &&
        /is required when KAFKA_SASL_USERNAME is set/.test(error.message),
    );
  });
});
