import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError } from '../../contracts/config-error';
import { kafkaClientConfig, loadScramSecurity, securitySettingsFromEnv } from '../../services/common/kafka-client';
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
    const config = kafkaClientConfig({ brokers: ['b:9092'], security: { kind: 'scram', username: 'u', password: 'p', caPem: PEM } });
    assert.deepEqual(config.ssl, { ca: [PEM], rejectUnauthorized: true });
    assert.deepEqual(config.sasl, { mechanism: 'scram-sha-512', username: 'u', password: 'p' });
  });

  it('mutual TLS: presents the certificate, still verifies the brokers, no SASL', () => {
    const config = kafkaClientConfig({ brokers: ['b:9093'], security: { kind: 'mutual-tls', caPem: PEM, certificatePem: 'C', keyPem: 'K' } });
    assert.deepEqual(config.ssl, { ca: [PEM], cert: 'C', key: 'K', rejectUnauthorized: true });
    assert.equal(config.sasl, undefined);
  });

  it('reads the password (trimmed) and CA from files; a missing file names its variable', () => {
    const { passwordFile, caFile } = files();
    assert.deepEqual(loadScramSecurity({ username: 'u', passwordFile, caFile }), { kind: 'scram', username: 'u', password: 's3cret', caPem: PEM });
    assert.throws(() => loadScramSecurity({ username: 'u', passwordFile: '/nonexistent/pw', caFile }), /KAFKA_SASL_PASSWORD_FILE: cannot read \/nonexistent\/pw/);
    assert.throws(() => loadScramSecurity({ username: 'u', passwordFile, caFile: passwordFile }), /KAFKA_TLS_CA_FILE: .* holds no PEM certificate/);
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
