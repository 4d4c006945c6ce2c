// The project's kafkajs patch (patches/kafkajs+2.2.4.patch), against the real brokers, beside the unpatched release
// (installed as `kafkajs-unpatched`). An idempotent producer's send whose acknowledgement is lost (the broker stored
// the batch, the connection dropped before the answer came back) must not let a concurrent send to the same
// partition reuse its sequence numbers: the broker would acknowledge that second batch as a duplicate of the first
// and drop it. Unpatched, that second send resolves and its records are gone.
import assert from 'node:assert/strict';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { describe, it } from 'node:test';
import * as patched from 'kafkajs';
import * as unpatched from 'kafkajs-unpatched';
import { kafkaClientConfig } from '../../services/common/kafka-client';
import { kafkaClient, testCluster } from '../harness/cluster';
import { kafkaBootstrap, storedKeys } from '../harness/service-pipeline';

type KafkaModule = typeof patched;

const PRODUCE_API_KEY = 0;

/** Drops the answer to the next Produce request once armed: the socket closes as the answer arrives. */
class LostAcknowledgement {
  armed = false;
  dropped = 0;

  socketFactory(): patched.ISocketFactory {
    // As kafkajs's own factory: TLS when configured (writes and 'data' events below are the cleartext side).
    return ({ host, port, ssl, onConnect }) => {
      const socket = ssl
        ? tls.connect({ host, port, ...(net.isIP(host) ? {} : { servername: host }), ...ssl }, onConnect)
        : net.connect({ host, port }, onConnect);
      let droppedCorrelationId: number | undefined;
      const write = socket.write.bind(socket) as (chunk: unknown, ...rest: unknown[]) => boolean;
      socket.write = ((chunk: unknown, ...rest: unknown[]) => {
        // A request is one buffer: size (4), api key (2), api version (2), correlation id (4), ...
        if (this.armed && Buffer.isBuffer(chunk) && chunk.length >= 12 && chunk.readInt16BE(4) === PRODUCE_API_KEY) {
          this.armed = false;
          droppedCorrelationId = chunk.readInt32BE(8);
        }
        return write(chunk, ...rest);
      }) as typeof socket.write;
      const emit = socket.emit.bind(socket) as (event: string | symbol, ...args: unknown[]) => boolean;
      socket.emit = ((event: string | symbol, ...args: unknown[]) => {
        const data = args[0];
        // An answer starts with size (4), correlation id (4).
        if (event === 'data' && droppedCorrelationId !== undefined && Buffer.isBuffer(data) && data.length >= 8 && data.readInt32BE(4) === droppedCorrelationId) {
          droppedCorrelationId = undefined;
          this.dropped += 1;
          socket.destroy(new Error('connection dropped before the Produce answer (test fault)'));
          return true;
        }
        return emit(event, ...args);
      }) as typeof socket.emit;
      return socket;
    };
  }
}

async function createTopic(kafka: patched.Kafka, topic: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

/**
 * Send A (5 records) loses its acknowledgement after the broker stored it; while A waits to retry, send B (5 other
 * records) goes to the same partition. Returns how often each key is stored.
 */
async function lostAcknowledgementThenConcurrentSend(kafkajs: KafkaModule, label: string) {
  const bootstrap = kafkaBootstrap();
  const fault = new LostAcknowledgement();
  const topic = `kafkajs-${label}-${Date.now().toString(36)}`;
  // The factory's config (SCRAM over TLS as the local operator), given to the kafkajs build under test.
  const kafka = new kafkajs.Kafka({
    ...kafkaClientConfig({ security: testCluster().clientSecurity('localOperator'), brokers: [bootstrap] }),
    clientId: `kafkajs-${label}`,
    brokers: [bootstrap],
    logLevel: process.env.KJS_DEBUG ? kafkajs.logLevel.DEBUG : kafkajs.logLevel.NOTHING,
    socketFactory: fault.socketFactory(),
    // A long first back-off leaves send B a clear window before send A's retry.
    retry: { initialRetryTime: 2000, maxRetryTime: 5000, retries: 5 },
  });
  const plain = kafkaClient(`kafkajs-${label}-admin`, bootstrap);
  await createTopic(plain, topic);
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: kafkajs.Partitioners.DefaultPartitioner });
  await producer.connect();
  const keys = (prefix: string) => Array.from({ length: 5 }, (_, i) => `${prefix}-${i}`);
  const records = (prefix: string) => keys(prefix).map((key) => ({ key, value: key, partition: 0 }));
  try {
    await producer.send({ topic, messages: records('warm-up') });
    fault.armed = true;
    const sendA = producer.send({ topic, messages: records('a') });
    const deadline = Date.now() + 10000;
    while (fault.dropped === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(fault.dropped, 1, `${label}: the acknowledgement of send A was dropped`);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const sendB = producer.send({ topic, messages: records('b') });
    const [a, b] = await Promise.allSettled([sendA, sendB]);
    const stored = await storedKeys(plain, topic, `${topic}-verify`, 15);
    return { a: a.status, b: b.status, stored, keysA: keys('a'), keysB: keys('b') };
  } finally {
    await producer.disconnect();
    const admin = plain.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  }
}

function describeRun(run: Awaited<ReturnType<typeof lostAcknowledgementThenConcurrentSend>>): string {
  const copies = (keys: string[]) => keys.map((key) => run.stored.get(key) ?? 0).join(',');
  return `send A ${run.a}, stored copies [${copies(run.keysA)}]; send B ${run.b}, stored copies [${copies(run.keysB)}]`;
}

describe('kafkajs producer patch, against the real brokers', () => {
  it('unpatched 2.2.4: a send to the same partition as a send with a lost acknowledgement resolves but is not stored', async (t) => {
    const run = await lostAcknowledgementThenConcurrentSend(unpatched as unknown as KafkaModule, 'unpatched');
    t.diagnostic(describeRun(run));
    assert.equal(run.b, 'fulfilled', 'send B reports success');
    const lostB = run.keysB.filter((key) => !run.stored.has(key));
    assert.deepEqual(lostB, run.keysB, `every record of send B is missing (stored: ${JSON.stringify([...run.stored])})`);
  });

  it('patched: both sends resolve and every record is stored exactly once', async (t) => {
    const run = await lostAcknowledgementThenConcurrentSend(patched, 'patched');
    t.diagnostic(describeRun(run));
    assert.deepEqual([run.a, run.b], ['fulfilled', 'fulfilled']);
    for (const key of [...run.keysA, ...run.keysB]) assert.equal(run.stored.get(key), 1, `${key} stored once`);
  });
});
