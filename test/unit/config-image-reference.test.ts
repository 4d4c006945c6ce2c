import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isImageReference, parseImageReference } from '../../config/image-reference';

const HEX = '0123456789abcdef'.repeat(4);

test('parseImageReference splits repository, tag and digest', () => {
  assert.deepEqual(parseImageReference('zookeeper:3.8.4'), { name: 'zookeeper', tag: '3.8.4' });
  assert.deepEqual(parseImageReference('apache/kafka'), { name: 'apache/kafka' });
  assert.deepEqual(parseImageReference(`apache/kafka@sha256:${HEX}`), { name: 'apache/kafka', digest: `sha256:${HEX}` });
  assert.deepEqual(parseImageReference(`apache/kafka:3.9.1@sha256:${HEX}`), { name: 'apache/kafka', tag: '3.9.1', digest: `sha256:${HEX}` });
  // A colon before the last slash is the registry's port, not a tag.
  assert.deepEqual(parseImageReference('registry.example.com:5000/team/kafka'), { name: 'registry.example.com:5000/team/kafka' });
  assert.deepEqual(parseImageReference('registry.example.com:5000/team/kafka:3.9.1'), { name: 'registry.example.com:5000/team/kafka', tag: '3.9.1' });
  assert.deepEqual(parseImageReference('public.ecr.aws/bitnami/kafka_broker__x:v1'), { name: 'public.ecr.aws/bitnami/kafka_broker__x', tag: 'v1' });
});

test('parseImageReference refuses what a registry would not accept', () => {
  for (const text of ['', 'Kafka', 'apache//kafka', 'apache/kafka:', `apache/kafka@sha256:${HEX.slice(1)}`, `apache/kafka@sha512:${HEX}${HEX}`, 'apache/kafka:-x', '/kafka', 'kafka-']) {
    assert.ok(!isImageReference(parseImageReference(text)), JSON.stringify(text));
  }
});
