import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { metricValue, type ServiceInstance } from '../harness/demo';
import { Pipeline, waitFor } from '../harness/service-pipeline';

const GOOD = '2001,1,17,3,1806,1810,1931,1934,US,375,N700,85,84,60,-3,-4,BWI,CLT,361,5,20,0,NA,0,NA,NA,NA,NA,NA,NO,NO';
const fields = GOOD.split(',');
const withField = (index: number, value: string) => fields.map((f, i) => (i === index ? value : f)).join(',');

/** Inputs the design dead-letters, with the reason each must carry. */
const REJECTED: Array<{ key: string; value: Buffer | string | null; reason: RegExp }> = [
  { key: 'too-few-columns', value: fields.slice(0, 12).join(','), reason: /expected 31 columns, got 12/ },
  { key: 'too-many-columns', value: `${GOOD},extra`, reason: /expected 31 columns, got 32/ },
  { key: 'empty-value', value: '', reason: /empty/ },
  { key: 'null-value', value: null, reason: /empty/ },
  { key: 'blank-line', value: '   ', reason: /empty line/ },
  { key: 'very-long-line', value: `${GOOD}${'x'.repeat(5000)}`, reason: /too long/ },
  { key: 'header-line', value: 'Year,Month,DayofMonth,DayOfWeek,DepTime,CRSDepTime,ArrTime,CRSArrTime,UniqueCarrier,FlightNum,TailNum,ActualElapsedTime,CRSElapsedTime,AirTime,ArrDelay,DepDelay,Origin,Dest,Distance,TaxiIn,TaxiOut,Cancelled,CancellationCode,Diverted,CarrierDelay,WeatherDelay,NASDelay,SecurityDelay,LateAircraftDelay,IsArrDelayed,IsDepDelayed', reason: /header/ },
  { key: 'na-everywhere', value: Array(31).fill('NA').join(','), reason: /Year is missing/ },
  { key: 'month-not-a-number', value: withField(1, 'x'), reason: /Month/ },
  { key: 'negative-distance', value: withField(18, '-361'), reason: /^Distance out of range: -361 \(accepted: 1\.\.12500 miles\)$/ },
  { key: 'huge-flightnum', value: withField(9, '1e308'), reason: /^FlightNum out of range: 1e308 \(accepted: integer 1\.\.9999\)$/ },
  { key: 'negative-elapsed', value: withField(12, '-84'), reason: /^CRSElapsedTime out of range: -84 / },
  { key: 'departure-2399', value: withField(5, '2399'), reason: /^CRSDepTime out of range: 2399 \(accepted: hhmm 0000\.\.2400, minutes 00\.\.59\)$/ },
];

/** Inputs the scorer handles (Latin-1 bytes, missing values, unseen categories): they get a prediction. */
const SCORED: Array<{ key: string; value: Buffer | string }> = [
  { key: 'good', value: GOOD },
  { key: 'na-except-date', value: [...fields.slice(0, 3), ...Array(28).fill('NA')].join(',') },
  { key: 'unknown-carrier', value: withField(8, 'ZZ') },
  { key: 'unknown-airports', value: withField(17, 'XYZ').replace(',BWI,', ',QQQ,') },
  // The data set is Latin-1: a TailNum with bytes that are not UTF-8 is data, not an error.
  { key: 'latin1-bytes', value: Buffer.from(withField(10, 'N700\u00e9\u00e8'), 'latin1') },
  { key: 'na-distance-and-elapsed', value: withField(18, 'NA').replace(',85,84,', ',85,NA,') },
];

describe('prediction service: a bad-input corpus', () => {
  let pipeline: Pipeline;
  let instance: ServiceInstance;
  before(async () => {
    pipeline = await Pipeline.create({ name: 'predict-bad', partitions: 3 });
    [instance] = await pipeline.spawnGroup(1);
    await pipeline.send([...REJECTED, ...SCORED].map(({ key, value }) => ({ key, value })));
    assert.ok(await pipeline.collector.waitForKeys(REJECTED.length + SCORED.length, 60000), 'every input comes out');
  });
  after(async () => {
    await pipeline?.teardown();
  });

  // A doubled output can come from the input (the producer stored a record twice) or from the service (a record
  // processed twice). These tests tell the two apart: the input is counted here, outputs per source record below.
  it('stores each input record once (the idempotent producer of the harness)', async () => {
    const stored = await pipeline.storedInputKeys(REJECTED.length + SCORED.length);
    for (const { key } of [...REJECTED, ...SCORED]) assert.equal(stored.get(key), 1, `${key}: stored once in the input topic`);
  });

  it('dead-letters each malformed record once, with its reason, original bytes and source position', () => {
    for (const { key, value, reason } of REJECTED) {
      const letters = pipeline.collector.deadLetters.get(key);
      assert.equal(letters?.length, 1, `${key}: one dead letter`);
      assert.ok(!pipeline.collector.predictions.has(key), `${key}: no prediction`);
      const [letter] = letters!;
      assert.match(letter.reason, reason, key);
      const original = value === null ? null : Buffer.isBuffer(value) ? value : Buffer.from(value);
      if (original === null || original.length === 0) assert.ok(letter.value === null || letter.value.length === 0, key);
      else assert.ok(letter.value?.equals(original), `${key}: value is the original bytes`);
      assert.equal(letter.headers['source-topic'], pipeline.topics.input);
      assert.match(letter.headers['source-partition'], /^[0-2]$/);
      assert.match(letter.headers['source-offset'], /^\d+$/);
    }
  });

  it('scores records with missing values and unseen carriers or airports', () => {
    for (const { key } of SCORED) {
      const outputs = pipeline.collector.predictions.get(key);
      assert.equal(outputs?.length, 1, `${key}: one prediction`);
      const { message } = outputs![0];
      assert.ok(message.prediction === 'YES' || message.prediction === 'NO', key);
      assert.ok(message.probability >= 0 && message.probability <= 1, key);
      assert.ok(!pipeline.collector.deadLetters.has(key), `${key}: not dead-lettered`);
    }
    assert.equal(pipeline.collector.predictions.get('unknown-carrier')![0].message.flight.carrier, 'ZZ');
    // Same flight, same features: the Latin-1 TailNum changes nothing but the bytes kept in the input record.
    const good = pipeline.collector.predictions.get('good')![0].message;
    const latin1 = pipeline.collector.predictions.get('latin1-bytes')![0].message;
    assert.equal(latin1.probability, good.probability);
    assert.deepEqual(latin1.flight, good.flight);
  });

  it('stays healthy and counts in = out + dead-lettered', async () => {
    assert.equal(await instance.probe('/healthz'), 200);
    assert.equal(await instance.probe('/readyz'), 200);
    assert.ok(instance.running);
    const total = REJECTED.length + SCORED.length;
    // The counters move once a batch's offsets are committed, a moment after its outputs are readable.
    await waitFor('the counters to include every committed record', 10000, async () =>
      metricValue(await instance.metrics(), 'predictor_records_in_total') >= total,
    );
    const metrics = await instance.metrics();
    assert.equal(metricValue(metrics, 'predictor_records_in_total'), total);
    assert.equal(metricValue(metrics, 'predictor_records_out_total'), SCORED.length);
    assert.equal(metricValue(metrics, 'predictor_records_dead_lettered_total'), REJECTED.length);
  });
});
