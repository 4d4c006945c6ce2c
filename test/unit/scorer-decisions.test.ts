// LightGBM's decision rules, checked on a hand-written model: the compiled, padded, branch-free walk in
// Scorer must send each value where LightGBM would (ties, missing values, missing-as-zero, negative
// thresholds, single-leaf trees, tree counts that are not a multiple of the interleave).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FlightRecord } from '../../services/predictor/flight-record';
import { MAX_TREE_DEPTH, MODEL_FORMAT, Scorer } from '../../services/predictor/scorer';

const BASE: FlightRecord = {
  year: 2005,
  month: 1,
  dayOfMonth: 10,
  dayOfWeek: 1,
  crsDepTime: 900,
  crsArrTime: 1100,
  uniqueCarrier: 'UA',
  flightNum: 100,
  crsElapsedTime: 120,
  origin: 'DEN',
  dest: 'PHX',
  distance: 600,
  actualDepDelayed: null,
};

// Feature indices: 0 Distance, 1 CRSElapsedTime, 2 Origin (codes: DEN 0, ORD 1, SFO 2).
const FEATURES = [
  { name: 'Distance', type: 'numeric' },
  { name: 'CRSElapsedTime', type: 'numeric' },
  { name: 'Origin', type: 'categorical', categories: ['DEN', 'ORD', 'SFO'] },
];

const leaf = (value: number) => ({ feature: [], threshold: [], missing: [], defaultLeft: [], left: [], right: [], leaves: [value] });

const TREES = [
  // Distance <= 500 (missing: default right) ? 1 : (Origin <= 0.5 (missing counts as 0) ? 2 : 4)
  { feature: [0, 2], threshold: [500, 0.5], missing: [2, 0], defaultLeft: [0, 1], left: [-1, -2], right: [1, -3], leaves: [1, 2, 4] },
  leaf(8),
  // CRSElapsedTime <= -5 (missing counts as 0, so it goes right) ? 16 : 32
  { feature: [1], threshold: [-5], missing: [0], defaultLeft: [1], left: [-1], right: [-2], leaves: [16, 32] },
  // A deeper left spine, so the shallow trees above are padded: CRSElapsedTime <= 100 (missing left)
  // ? (CRSElapsedTime <= 50 ? 64 : 128) : 256
  { feature: [1, 1], threshold: [100, 50], missing: [2, 2], defaultLeft: [1, 1], left: [1, -1], right: [-3, -2], leaves: [64, 128, 256] },
  leaf(512),
];

const model = (trees: unknown[] = TREES, features: unknown[] = FEATURES) => ({
  format: MODEL_FORMAT,
  modelVersion: 'gbm-test',
  threshold: 0.5,
  sigmoid: 1,
  features,
  trees,
});

// Leaf values are powers of two scaled down, so the margin names exactly which leaves were reached.
const UNIT = 1 / 1024;
const scaled = (trees: typeof TREES) => trees.map((t) => ({ ...t, leaves: t.leaves.map((v) => v * UNIT) }));
const scorer = new Scorer(model(scaled(TREES)));
const marginOf = (record: Partial<FlightRecord>): number => {
  const p = scorer.probability({ ...BASE, ...record });
  return Math.round(Math.log(p / (1 - p)) / UNIT);
};

test('a value equal to the threshold goes left, anything above goes right', () => {
  assert.equal(scorer.depth, 2);
  assert.equal(marginOf({ distance: 500, crsElapsedTime: 50 }), 1 + 8 + 32 + 64 + 512);
  assert.equal(marginOf({ distance: 500.5, crsElapsedTime: 50.5 }), 2 + 8 + 32 + 128 + 512);
  assert.equal(marginOf({ distance: 499, crsElapsedTime: 101 }), 1 + 8 + 32 + 256 + 512);
});

test('codes of categories compare as numbers; unseen and missing codes follow the missing rule', () => {
  assert.equal(marginOf({ origin: 'DEN', crsElapsedTime: 101 }), 2 + 8 + 32 + 256 + 512);
  assert.equal(marginOf({ origin: 'SFO', crsElapsedTime: 101 }), 4 + 8 + 32 + 256 + 512);
  // Missing type "none": a missing value counts as 0, the code of DEN.
  assert.equal(marginOf({ origin: 'XXX', crsElapsedTime: 101 }), 2 + 8 + 32 + 256 + 512);
  assert.equal(marginOf({ origin: null, crsElapsedTime: 101 }), 2 + 8 + 32 + 256 + 512);
});

test('missing numeric values take the default direction, or count as 0 where the split has none', () => {
  // Distance missing: default right; CRSElapsedTime missing: 0 > -5 goes right in tree 2, default left in tree 3.
  assert.equal(marginOf({ distance: null, crsElapsedTime: null, origin: 'ORD' }), 4 + 8 + 32 + 64 + 512);
  assert.equal(marginOf({ crsElapsedTime: -5 }), 2 + 8 + 16 + 64 + 512);
  assert.equal(marginOf({ crsElapsedTime: -4.5 }), 2 + 8 + 32 + 64 + 512);
});

test('the probability is the sigmoid of the summed leaves', () => {
  const plain = new Scorer(model([leaf(0.25), leaf(-1)]));
  assert.equal(plain.depth, 0);
  assert.equal(plain.probability(BASE), 1 / (1 + Math.exp(0.75)));
  assert.equal(plain.score(BASE).prediction, 'NO');
});

test('models the scorer cannot walk exactly are refused with the reason', () => {
  // A left spine one level deeper than the scorer takes.
  const n = MAX_TREE_DEPTH + 1;
  const chain = {
    feature: Array(n).fill(0),
    threshold: Array.from({ length: n }, (_, i) => 1000 - i),
    missing: Array(n).fill(2),
    defaultLeft: Array(n).fill(1),
    left: Array.from({ length: n }, (_, i) => (i + 1 < n ? i + 1 : -(n + 1))),
    right: Array.from({ length: n }, (_, i) => -(i + 1)),
    leaves: Array(n + 1).fill(0),
  };
  assert.throws(() => new Scorer(model([chain])), /tree 0 is 11 levels deep; the scorer takes at most 10/);
  const zeroAsMissing = { ...TREES[2], missing: [1] };
  assert.throws(() => new Scorer(model([zeroAsMissing])), /tree 0 node 0: unknown missing type 1/);
  assert.throws(() => new Scorer({ ...model(), format: 'airline-gbm/v1' }), /format is "airline-gbm\/v1", expected airline-gbm\/v2/);
});
