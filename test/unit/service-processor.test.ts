import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Partitioners, type Message } from 'kafkajs';
import { PartitionedSender } from '../../services/common/partitioned-send';
import { parseFlightRecord } from '../../services/predictor/flight-record';
import { processBatch, type InputRecord, type PredictionMessage } from '../../services/predictor/processor';
import { Scorer } from '../../services/predictor/scorer';

// A made-up record (the data set is never copied into the repository).
const GOOD = '2003,6,9,1,1440,1435,1618,1610,WN,2417,N000XX,98,95,80,8,5,OAK,SAN,446,6,12,0,NA,0,NA,NA,NA,NA,NA,YES,YES';
const context = { topic: 'in', partition: 4, instanceId: 'p-9' };
const record = (value: Buffer | string | null, offset: number, key: string | null = `k${offset}`): InputRecord => ({
  key: key === null ? null : Buffer.from(key),
  value: typeof value === 'string' ? Buffer.from(value) : value,
  offset: String(offset),
  timestamp: String(1_700_000_000_000 + offset),
});

describe('processBatch (the pure batch transform)', () => {
  const scorer = Scorer.load();

  it('turns each input into exactly one prediction or dead letter, keys kept', () => {
    const inputs = [record(GOOD, 10), record('a,b,c', 11), record(null, 12), record(Buffer.from([0x31, 0xff, 0x2c]), 13), record(GOOD, 14, null)];
    const { predictions, deadLetters } = processBatch(scorer, inputs, context);
    assert.equal(predictions.length + deadLetters.length, inputs.length);
    assert.deepEqual(predictions.map((p) => p.key?.toString() ?? null), ['k10', null]);
    assert.deepEqual(deadLetters.map((d) => d.key?.toString()), ['k11', 'k12', 'k13']);
  });

  it('writes the prediction JSON with model version, flight identity and source position', () => {
    const { predictions } = processBatch(scorer, [record(GOOD, 10)], context);
    const message = JSON.parse(predictions[0].value!.toString()) as PredictionMessage;
    const parsed = parseFlightRecord(GOOD);
    assert.ok(parsed.ok);
    const direct = scorer.score(parsed.record);
    assert.equal(message.prediction, direct.prediction);
    assert.equal(message.probability, direct.probability);
    assert.equal(message.modelVersion, scorer.modelVersion);
    assert.deepEqual(message.flight, { carrier: 'WN', flightNum: 2417, origin: 'OAK', dest: 'SAN', date: '2003-06-09' });
    assert.deepEqual(message.source, { topic: 'in', partition: 4, offset: '10', timestamp: 1_700_000_000_010 });
    assert.equal(message.instanceId, 'p-9');
  });

  it('dead-letters with the original bytes, the reason and the source position in headers', () => {
    const latin1 = Buffer.from('2003,6,9,1,1440,1435,1618,1610,WN,2417,N\u00e9,98', 'latin1');
    const { deadLetters } = processBatch(
      scorer,
      [record(latin1, 7), record('x,y', 8), record(null, 9), record(GOOD.replace(',446,', ',-446,'), 10)],
      context,
    );
    assert.ok(deadLetters[0].value!.equals(latin1));
    assert.equal(deadLetters[0].kind, 'malformed');
    assert.equal(deadLetters[0].reason, 'expected 31 columns, got 12');
    assert.match(deadLetters[1].reason, /expected 31 columns, got 2/);
    assert.equal(deadLetters[2].kind, 'empty');
    assert.equal(deadLetters[3].reason, 'Distance out of range: -446 (accepted: 1..12500 miles)');
    assert.deepEqual(deadLetters[0].headers, {
      reason: deadLetters[0].reason,
      'source-topic': 'in',
      'source-partition': '4',
      'source-offset': '7',
      'source-timestamp': '1700000000007',
      'instance-id': 'p-9',
    });
  });

  it('scores a record whose TailNum holds Latin-1 bytes (not UTF-8) like the same record without them', () => {
    const latin1 = Buffer.from(GOOD.replace('N000XX', 'N7\u00e9\u00e8'), 'latin1');
    const { predictions, deadLetters } = processBatch(scorer, [record(latin1, 5), record(GOOD, 6)], context);
    assert.equal(deadLetters.length, 0);
    const [fromLatin1, fromPlain] = predictions.map((p) => JSON.parse(p.value!.toString()) as PredictionMessage);
    assert.equal(fromLatin1.probability, fromPlain.probability);
    assert.deepEqual(fromLatin1.flight, fromPlain.flight);
  });

  it('dead-letters a record the scorer throws on, and carries on with the batch', () => {
    const throwing = Object.create(scorer) as Scorer;
    let calls = 0;
    throwing.score = (parsed) => {
      calls += 1;
      if (calls === 1) throw new Error('boom');
      return scorer.score(parsed);
    };
    const { predictions, deadLetters } = processBatch(throwing, [record(GOOD, 1), record(GOOD, 2)], context);
    assert.equal(deadLetters.length, 1);
    assert.equal(deadLetters[0].kind, 'internal');
    assert.match(deadLetters[0].reason, /internal error: boom/);
    assert.equal(predictions.length, 1);
  });
});

describe('PartitionedSender (one request per partition)', () => {
  const counts = new Map([['out', 10]]);

  it('routes keys as kafkajs\' Java-compatible partitioner does', () => {
    const sender = new PartitionedSender(counts);
    const reference = Partitioners.DefaultPartitioner();
    const metadata = Array.from({ length: 10 }, (_, partitionId) => ({ partitionErrorCode: 0, partitionId, leader: 1, replicas: [1], isr: [1] }));
    for (let i = 0; i < 200; i += 1) {
      const message = { key: `key-${i}`, value: 'v' };
      assert.equal(sender.partitionFor('out', message), reference({ topic: 'out', partitionMetadata: metadata, message }));
    }
  });

  it('sends every message once, each request to a single partition', async () => {
    const sender = new PartitionedSender(counts);
    const requests: Array<{ topic: string; messages: Message[] }> = [];
    const messages = Array.from({ length: 300 }, (_, i) => ({ key: i % 7 === 0 ? null : `k${i}`, value: `v${i}` }));
    await sender.send({ send: async (r) => void requests.push(r) }, 'out', messages);
    assert.equal(requests.reduce((n, r) => n + r.messages.length, 0), messages.length);
    assert.deepEqual(new Set(requests.flatMap((r) => r.messages.map((m) => m.value))).size, messages.length);
    for (const request of requests) {
      assert.equal(new Set(request.messages.map((m) => m.partition)).size, 1, 'one partition per request');
    }
    assert.equal(new Set(requests.map((r) => r.messages[0].partition)).size, requests.length);
  });

  it('sends one request at a time when asked (transactions)', async () => {
    const sender = new PartitionedSender(counts);
    let inFlight = 0;
    let maxInFlight = 0;
    const slow = {
      send: async () => {
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 5));
        inFlight -= 1;
      },
    };
    const messages = Array.from({ length: 50 }, (_, i) => ({ key: `k${i}`, value: 'v' }));
    await sender.send(slow, 'out', messages, true);
    assert.equal(maxInFlight, 1);
    await sender.send(slow, 'out', messages);
    assert.ok(maxInFlight > 1, 'parallel otherwise');
  });

  it('refuses a topic whose partition count it does not know', () => {
    assert.throws(() => new PartitionedSender(counts).partitionFor('other', { key: 'k', value: 'v' }), /no partition count known for topic other/);
  });
});
