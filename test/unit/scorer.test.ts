import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseFlightRecord, type FlightRecord } from '../../services/predictor/flight-record';
import { DEFAULT_MODEL_PATH, Scorer } from '../../services/predictor/scorer';
import { predictRaw } from '../../services/predictor/predict';
import { GOLDEN_PATH, loadGolden } from '../harness/golden';

const MODEL_DIR = resolve(__dirname, '..', '..', 'model');
// A made-up record (not a line of the data set, which is never committed).
const MADE_UP = '2003,6,9,1,1440,1435,1618,1610,WN,2417,N000XX,98,95,80,8,5,OAK,SAN,446,6,12,0,NA,0,NA,NA,NA,NA,NA,YES,YES';

// Golden rows refer to data-file lines; without the data file the tests that need them are reported as skipped.
const goldenFile = loadGolden();
const needsData = { skip: 'skip' in goldenFile ? goldenFile.skip : undefined };
const golden = 'skip' in goldenFile ? [] : goldenFile.rows;

const scorer = Scorer.load();

function parsed(line: string): FlightRecord {
  const result = parseFlightRecord(line);
  assert.ok(result.ok, `golden line rejected: ${line} (${result.ok ? '' : result.reason})`);
  return result.record;
}

test('the default model path is model/model.json in the repository', () => {
  assert.equal(DEFAULT_MODEL_PATH, join(MODEL_DIR, 'model.json'));
  assert.match(scorer.modelVersion, /^gbm-[0-9a-f]{12}$/);
});

test('golden file covers held-out rows, NA values and unseen codes, made by the committed model', needsData, () => {
  assert.ok(!('skip' in goldenFile));
  assert.equal(goldenFile.model, scorer.modelVersion);
  const kinds = new Map<string, number>();
  for (const row of golden) kinds.set(row.kind, (kinds.get(row.kind) ?? 0) + 1);
  assert.ok((kinds.get('validation') ?? 0) >= 200, 'at least 200 validation rows');
  for (const kind of ['na-one', 'na-all-optional', 'unseen-carrier', 'unseen-airports', 'unseen-and-na', 'impossible-date']) {
    assert.ok((kinds.get(kind) ?? 0) > 0, `golden rows of kind ${kind}`);
  }
});

test('golden rows hold no data lines, only line numbers and column edits', () => {
  const rows = readFileSync(GOLDEN_PATH, 'utf8').trim().split('\n').slice(1).map((line) => JSON.parse(line));
  assert.ok(rows.length >= 300);
  for (const row of rows) {
    assert.deepEqual(Object.keys(row).filter((key) => !['kind', 'sourceLine', 'edits', 'probability', 'prediction'].includes(key)), []);
    for (const value of Object.values(row.edits ?? {})) assert.ok(String(value).length <= 3, `edit value ${value}`);
  }
});

test('a data file other than the one the golden file was made from is refused with a clear message', () => {
  const dir = mkdtempSync(join(tmpdir(), 'golden-test-'));
  try {
    const other = join(dir, 'other.csv');
    writeFileSync(other, `${MADE_UP}\n`);
    assert.throws(() => loadGolden(other), /other\.csv has SHA-256 [0-9a-f]{64}, but model\/golden\.jsonl was made from .* retrain/);
    assert.match(JSON.stringify(loadGolden(join(dir, 'absent.csv'))), /data file not found/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('every golden row matches the trainer probability within 1e-6 and the same decision', needsData, () => {
  let worst = 0;
  for (const row of golden) {
    const result = scorer.score(parsed(row.line));
    const diff = Math.abs(result.probability - row.probability);
    worst = Math.max(worst, diff);
    assert.ok(diff <= 1e-6, `${row.kind}: ${result.probability} vs trainer ${row.probability} for ${row.line}`);
    assert.equal(result.prediction, row.prediction, `${row.kind}: decision for ${row.line}`);
  }
  // Scores must actually vary across flights (a constant model would be useless).
  const distinct = new Set(golden.map((row) => scorer.score(parsed(row.line)).probability.toFixed(6)));
  assert.ok(distinct.size > golden.length / 2, `only ${distinct.size} distinct scores`);
  assert.ok(worst <= 1e-6);
});

test('a record with every optional field missing still scores', () => {
  const record: FlightRecord = {
    year: 2001,
    month: 2,
    dayOfMonth: 30, // impossible date: the derived date feature is missing as well
    dayOfWeek: null,
    crsDepTime: null,
    crsArrTime: null,
    uniqueCarrier: null,
    flightNum: null,
    crsElapsedTime: null,
    origin: null,
    dest: null,
    distance: null,
    actualDepDelayed: null,
  };
  const result = scorer.score(record);
  assert.ok(Number.isFinite(result.probability) && result.probability > 0 && result.probability < 1);
  assert.equal(result.prediction, result.probability >= scorer.threshold ? 'YES' : 'NO');
  const encoded = scorer.encode(record);
  const missing = [...encoded].filter(Number.isNaN).length;
  assert.equal(missing, encoded.length - 3, 'only Year, Month, DayofMonth are present');
});

test('unseen carriers and airports score like missing ones and never throw', () => {
  const base = parsed(MADE_UP);
  const unseen = { ...base, uniqueCarrier: 'Q9', origin: 'ZZZ', dest: 'YYY' };
  const missing = { ...base, uniqueCarrier: null, origin: null, dest: null };
  const a = scorer.score(unseen);
  assert.ok(Number.isFinite(a.probability));
  assert.equal(a.probability, scorer.score(missing).probability);
});

test('the scorer gives the same answer when called repeatedly (no state leaks between records)', needsData, () => {
  const records = golden.slice(0, 50).map((row) => parsed(row.line));
  const first = records.map((r) => scorer.score(r).probability);
  const second = records.reverse().map((r) => scorer.score(r).probability).reverse();
  assert.deepEqual(second, first);
});

test('predictRaw returns the flight identity with the prediction, and reasons for bad input', () => {
  const outcome = predictRaw(scorer, Buffer.from(MADE_UP));
  assert.ok(outcome.ok);
  assert.equal(outcome.probability, scorer.score(parsed(MADE_UP)).probability);
  assert.deepEqual(outcome.flight, { carrier: 'WN', flightNum: 2417, origin: 'OAK', dest: 'SAN', date: '2003-06-09' });
  assert.deepEqual(predictRaw(scorer, 'a,b'), { ok: false, reason: 'expected 31 columns, got 2' });
});

test('the model file fits in a ConfigMap (<= 1 MiB)', () => {
  const bytes = statSync(join(MODEL_DIR, 'model.json')).size;
  assert.ok(bytes <= 1024 * 1024, `model.json is ${bytes} bytes`);
});

test('a broken model file is refused with a clear error', () => {
  const dir = mkdtempSync(join(tmpdir(), 'scorer-test-'));
  try {
    const model = JSON.parse(readFileSync(DEFAULT_MODEL_PATH, 'utf8'));
    const write = (name: string, content: string): string => {
      const path = join(dir, name);
      writeFileSync(path, content);
      return path;
    };
    assert.throws(() => Scorer.load(join(dir, 'absent.json')), /cannot read model file .*absent\.json/);
    assert.throws(() => Scorer.load(write('text.json', 'not json')), /not JSON/);
    assert.throws(() => Scorer.load(write('format.json', JSON.stringify({ ...model, format: 'other' }))), /format is "other"/);
    const unknownFeature = { ...model, features: [{ name: 'Weather', type: 'numeric' }, ...model.features.slice(1)] };
    assert.throws(() => Scorer.load(write('feature.json', JSON.stringify(unknownFeature))), /unknown numeric feature "Weather"/);
    const shortTree = { ...model, trees: [{ ...model.trees[0], left: [0] }] };
    assert.throws(() => Scorer.load(write('short.json', JSON.stringify(shortTree))), /tree 0: malformed arrays/);
    const left = model.trees[0].left.map((child: number, i: number) => (i === 0 ? 99999 : child));
    const badChild = { ...model, trees: [{ ...model.trees[0], left }] };
    assert.throws(() => Scorer.load(write('child.json', JSON.stringify(badChild))), /tree 0 node 0: child 99999 out of range/);
    // A child pointing back up would make the walk loop forever.
    const loop = { ...model, trees: [{ ...model.trees[0], left: model.trees[0].left.map((c: number, i: number) => (i === 1 ? 0 : c)) }] };
    assert.throws(() => Scorer.load(write('loop.json', JSON.stringify(loop))), /tree 0 node 1: child 0 out of range/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
