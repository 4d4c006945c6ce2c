// Scores flight records with the gradient-boosted trees exported by model/train.py (model/model.json).
// Decisions follow LightGBM's prediction rules exactly; scores match the trainer's within the export's leaf rounding.

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { FlightRecord } from './flight-record';

export const MODEL_FORMAT = 'airline-gbm/v2';

/** model/model.json in this repository; in Kubernetes the ConfigMap copy is mounted elsewhere and passed in. */
export const DEFAULT_MODEL_PATH = resolve(__dirname, '..', '..', 'model', 'model.json');

export interface ScoreResult {
  prediction: 'YES' | 'NO';
  probability: number;
}

// ---- Features: how a model input is computed from a record. Mirrors FEATURES in model/train.py. ----

type NumericFeature = (record: FlightRecord) => number | null;

const EPOCH_1987 = Date.UTC(1987, 0, 1);
const MS_PER_DAY = 86_400_000;

function minuteOfDay(hhmm: number | null): number | null {
  if (hhmm === null) return null;
  return Math.floor(hhmm / 100) * 60 + (hhmm % 100);
}

/** Days since 1987-01-01 (the first year of the data); null for an impossible date like 31 February. */
function daysSince1987(record: FlightRecord): number | null {
  const time = Date.UTC(record.year, record.month - 1, record.dayOfMonth);
  const date = new Date(time);
  if (date.getUTCMonth() !== record.month - 1 || date.getUTCDate() !== record.dayOfMonth) return null;
  return Math.round((time - EPOCH_1987) / MS_PER_DAY);
}

const NUMERIC_FEATURES: Record<string, NumericFeature> = {
  Year: (r) => r.year,
  Month: (r) => r.month,
  DayofMonth: (r) => r.dayOfMonth,
  DayOfWeek: (r) => r.dayOfWeek,
  CRSDepTime: (r) => r.crsDepTime,
  CRSArrTime: (r) => r.crsArrTime,
  FlightNum: (r) => r.flightNum,
  CRSElapsedTime: (r) => r.crsElapsedTime,
  Distance: (r) => r.distance,
  DepMinuteOfDay: (r) => minuteOfDay(r.crsDepTime),
  DaysSince1987: daysSince1987,
};

const CATEGORICAL_FEATURES: Record<string, (record: FlightRecord) => string | null> = {
  UniqueCarrier: (r) => r.uniqueCarrier,
  Origin: (r) => r.origin,
  Dest: (r) => r.dest,
};

// ---- Model file ----

/** One tree as exported: node arrays of equal length; a child >= 0 is a node index, < 0 is leaf ~index. */
interface TreeJson {
  feature: number[];
  /** Go left when `value <= threshold`. */
  threshold: number[];
  /** LightGBM's missing type: 0 none (a missing value counts as 0), 2 NaN (it goes the default way). */
  missing: number[];
  defaultLeft: number[];
  left: number[];
  right: number[];
  leaves: number[];
}

interface FeatureJson {
  name: string;
  type: 'numeric' | 'categorical';
  /** Categorical: the category whose code is i is categories[i] (codes are ordinal). */
  categories?: string[];
}

interface ModelJson {
  format: string;
  modelVersion: string;
  threshold: number;
  sigmoid: number;
  features: FeatureJson[];
  trees: TreeJson[];
}

const MISSING_NONE = 0;
const MISSING_NAN = 2;
/** A complete tree of this depth has 1,024 leaves; the trainer's trees are depth 6. */
export const MAX_TREE_DEPTH = 10;

// The compiled form. Each tree is padded to a complete binary tree of the model's depth D and stored in heap
// order (children of i are 2i+1 and 2i+2), one Int32 per node: (rank << 8) | slot. `rank` is the index of the
// node's threshold among its feature's sorted distinct thresholds; `slot` = 2 * feature + (missing goes right).
// Per record, bins[slot] holds how many of the feature's thresholds lie below the value (and, for a missing
// value, 0 or NAN_RIGHT_BIN), so a node's direction is ((rank - bins[slot]) >>> 31): 1 = right, no branch.
const SLOT_BITS = 8;
const SLOT_MASK = (1 << SLOT_BITS) - 1;
const MAX_FEATURES = (SLOT_MASK + 1) / 2;
/** Rank of a padding node: above every bin, so it always goes left. */
const PADDING_RANK = 1 << 22;
const NAN_RIGHT_BIN = 1 << 30;
/** Trees walked side by side: independent walks overlap in the CPU, the main cost being each step's latency. */
const INTERLEAVE = 4;

class ModelFormatError extends Error {
  constructor(path: string, detail: string) {
    super(`invalid model file ${path}: ${detail}`);
  }
}

function isIntArray(value: unknown, length?: number): value is number[] {
  return Array.isArray(value) && (length === undefined || value.length === length) && value.every(Number.isInteger);
}

function isNumberArray(value: unknown, length?: number): value is number[] {
  return (
    Array.isArray(value) &&
    (length === undefined || value.length === length) &&
    value.every((v) => typeof v === 'number' && Number.isFinite(v))
  );
}

/** Splits on the longest path from the root to a leaf (0 for a single leaf). Children point forward. */
function treeDepth(tree: TreeJson): number {
  const n = tree.feature.length;
  const below = new Int32Array(n);
  const depthOf = (child: number): number => (child < 0 ? 0 : below[child]);
  for (let i = n - 1; i >= 0; i--) below[i] = 1 + Math.max(depthOf(tree.left[i]), depthOf(tree.right[i]));
  return n === 0 ? 0 : below[0];
}

/**
 * A loaded model, compiled into complete trees in one Int32Array (see above). `score` allocates nothing but
 * the result object.
 */
export class Scorer {
  readonly modelVersion: string;
  readonly threshold: number;
  readonly featureNames: readonly string[];
  readonly treeCount: number;
  /** Levels walked per tree (the deepest tree's depth). */
  readonly depth: number;

  private readonly sigmoid: number;
  private readonly numericGetters: Array<[number, NumericFeature]> = [];
  private readonly categoricalGetters: Array<[number, (r: FlightRecord) => string | null, Map<string, number>]> = [];
  private readonly values: Float64Array;
  /** Per feature: its distinct split thresholds, ascending. */
  private readonly featureThresholds: Float64Array[];
  private readonly bins: Int32Array;
  private readonly nodes: Int32Array;
  private readonly leafValues: Float64Array;

  /** Loads and validates a model file (default: model/model.json in the repository). Throws a clear error. */
  static load(modelPath: string = DEFAULT_MODEL_PATH): Scorer {
    let text: string;
    try {
      text = readFileSync(modelPath, 'utf8');
    } catch (error) {
      throw new Error(`cannot read model file ${modelPath}: ${(error as Error).message}`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new ModelFormatError(modelPath, `not JSON (${(error as Error).message})`);
    }
    return new Scorer(json, modelPath);
  }

  constructor(json: unknown, source = '<memory>') {
    const model = json as ModelJson;
    const fail = (detail: string): never => {
      throw new ModelFormatError(source, detail);
    };
    if (typeof json !== 'object' || json === null) fail('not an object');
    if (model.format !== MODEL_FORMAT) fail(`format is ${JSON.stringify(model.format)}, expected ${MODEL_FORMAT}`);
    if (typeof model.modelVersion !== 'string' || model.modelVersion === '') fail('modelVersion missing');
    if (typeof model.threshold !== 'number' || !(model.threshold > 0 && model.threshold < 1)) fail('threshold must be in (0, 1)');
    if (typeof model.sigmoid !== 'number' || !(model.sigmoid > 0)) fail('sigmoid must be > 0');
    if (!Array.isArray(model.features) || model.features.length === 0) fail('features missing');
    if (model.features.length > MAX_FEATURES) fail(`${model.features.length} features, at most ${MAX_FEATURES}`);
    if (!Array.isArray(model.trees) || model.trees.length === 0) fail('trees missing');

    this.modelVersion = model.modelVersion;
    this.threshold = model.threshold;
    this.sigmoid = model.sigmoid;
    this.featureNames = model.features.map((f) => f.name);
    this.treeCount = model.trees.length;
    this.values = new Float64Array(model.features.length);
    this.bins = new Int32Array(2 * model.features.length);

    model.features.forEach((feature, index) => {
      if (feature.type === 'numeric') {
        const getter = NUMERIC_FEATURES[feature.name];
        if (!getter) fail(`unknown numeric feature ${JSON.stringify(feature.name)}`);
        this.numericGetters.push([index, getter]);
      } else if (feature.type === 'categorical') {
        const getter = CATEGORICAL_FEATURES[feature.name];
        if (!getter) fail(`unknown categorical feature ${JSON.stringify(feature.name)}`);
        if (!Array.isArray(feature.categories) || !feature.categories.every((c) => typeof c === 'string')) {
          fail(`feature ${feature.name}: categories must be strings`);
        }
        const codes = new Map(feature.categories!.map((c, code) => [c, code]));
        this.categoricalGetters.push([index, getter, codes]);
      } else {
        fail(`feature ${JSON.stringify(feature.name)} has unknown type`);
      }
    });

    const thresholdSets = model.features.map(() => new Set<number>());
    model.trees.forEach((tree, t) => {
      const n = Array.isArray(tree.feature) ? tree.feature.length : -1;
      const ok =
        isIntArray(tree.feature, n) &&
        isNumberArray(tree.threshold, n) &&
        isIntArray(tree.missing, n) &&
        isIntArray(tree.defaultLeft, n) &&
        isIntArray(tree.left, n) &&
        isIntArray(tree.right, n) &&
        isNumberArray(tree.leaves) &&
        tree.leaves.length === n + 1;
      if (!ok) fail(`tree ${t}: malformed arrays`);
      for (let i = 0; i < n; i++) {
        const f = tree.feature[i];
        if (f < 0 || f >= model.features.length) fail(`tree ${t} node ${i}: feature ${f} out of range`);
        // Children must point forward (or to a leaf) so every walk terminates.
        for (const child of [tree.left[i], tree.right[i]]) {
          if (child >= n || ~child > n || (child >= 0 && child <= i)) fail(`tree ${t} node ${i}: child ${child} out of range`);
        }
        if (tree.missing[i] !== MISSING_NONE && tree.missing[i] !== MISSING_NAN) {
          fail(`tree ${t} node ${i}: unknown missing type ${tree.missing[i]}`);
        }
        if (tree.defaultLeft[i] !== 0 && tree.defaultLeft[i] !== 1) fail(`tree ${t} node ${i}: defaultLeft must be 0 or 1`);
        thresholdSets[f].add(tree.threshold[i]);
      }
    });
    const depths = model.trees.map(treeDepth);
    this.depth = Math.max(...depths);
    depths.forEach((depth, t) => {
      if (depth > MAX_TREE_DEPTH) fail(`tree ${t} is ${depth} levels deep; the scorer takes at most ${MAX_TREE_DEPTH}`);
    });
    this.featureThresholds = thresholdSets.map((set) => Float64Array.from([...set].sort((a, b) => a - b)));
    this.featureThresholds.forEach((sorted, f) => {
      if (sorted.length >= PADDING_RANK) fail(`feature ${f} has ${sorted.length} thresholds, at most ${PADDING_RANK - 1}`);
    });
    const ranks = this.featureThresholds.map((sorted) => new Map([...sorted].map((value, rank) => [value, rank])));

    // Padded to a multiple of INTERLEAVE with single-leaf trees of value 0.
    const paddedTrees = Math.ceil(model.trees.length / INTERLEAVE) * INTERLEAVE;
    const internal = 2 ** this.depth - 1;
    this.nodes = new Int32Array(paddedTrees * internal).fill(PADDING_RANK << SLOT_BITS);
    this.leafValues = new Float64Array(paddedTrees * (internal + 1));
    model.trees.forEach((tree, t) => {
      const nodeBase = t * internal;
      const leafBase = t * (internal + 1);
      // Heap position `at` of export node `node` (or leaf ~node); a leaf above the last level is reached
      // through padding nodes that all go left, so it sits at its leftmost descendant.
      const place = (node: number, at: number): void => {
        if (node < 0) {
          while (at < internal) at = 2 * at + 1;
          this.leafValues[leafBase + at - internal] = tree.leaves[~node];
          return;
        }
        const f = tree.feature[node];
        const threshold = tree.threshold[node];
        const missingGoesRight =
          tree.missing[node] === MISSING_NAN ? tree.defaultLeft[node] === 0 : threshold < 0; // none: missing counts as 0
        this.nodes[nodeBase + at] = (ranks[f].get(threshold)! << SLOT_BITS) | (2 * f + (missingGoesRight ? 1 : 0));
        place(tree.left[node], 2 * at + 1);
        place(tree.right[node], 2 * at + 2);
      };
      place(tree.feature.length === 0 ? -1 : 0, 0);
    });
  }

  /** Probability that the flight departs late, and the YES/NO decision at the model's threshold. */
  score(record: FlightRecord): ScoreResult {
    const probability = this.probability(record);
    return { prediction: probability >= this.threshold ? 'YES' : 'NO', probability };
  }

  probability(record: FlightRecord): number {
    this.binValues(this.encode(record));
    return 1 / (1 + Math.exp(-this.sigmoid * this.margin()));
  }

  /** The model's input vector (a reused buffer): NaN marks missing values and unseen categories. */
  encode(record: FlightRecord): Float64Array {
    const values = this.values;
    for (const [index, getter] of this.numericGetters) {
      const value = getter(record);
      values[index] = value === null || !Number.isFinite(value) ? NaN : value;
    }
    for (const [index, getter, codes] of this.categoricalGetters) {
      const category = getter(record);
      const code = category === null ? undefined : codes.get(category);
      values[index] = code === undefined ? NaN : code;
    }
    return values;
  }

  /** Fills bins: per feature, how many of its thresholds lie below the value (binary search). */
  private binValues(values: Float64Array): void {
    const bins = this.bins;
    for (let f = 0; f < values.length; f++) {
      const value = values[f];
      if (value !== value) {
        bins[2 * f] = 0;
        bins[2 * f + 1] = NAN_RIGHT_BIN;
        continue;
      }
      const sorted = this.featureThresholds[f];
      let low = 0;
      let high = sorted.length;
      while (low < high) {
        const middle = (low + high) >> 1;
        if (value > sorted[middle]) low = middle + 1;
        else high = middle;
      }
      bins[2 * f] = low;
      bins[2 * f + 1] = low;
    }
  }

  /** Sum of the leaves the binned record reaches, walking four trees (INTERLEAVE) side by side. */
  private margin(): number {
    const nodes = this.nodes;
    const bins = this.bins;
    const leafValues = this.leafValues;
    const depth = this.depth;
    const internal = 2 ** depth - 1;
    const leaves = internal + 1;
    let margin = 0;
    for (let nodeBase = 0, leafBase = 0; leafBase < leafValues.length; nodeBase += INTERLEAVE * internal, leafBase += INTERLEAVE * leaves) {
      const b1 = nodeBase + internal;
      const b2 = b1 + internal;
      const b3 = b2 + internal;
      let i0 = 0;
      let i1 = 0;
      let i2 = 0;
      let i3 = 0;
      for (let level = 0; level < depth; level++) {
        const w0 = nodes[nodeBase + i0];
        const w1 = nodes[b1 + i1];
        const w2 = nodes[b2 + i2];
        const w3 = nodes[b3 + i3];
        i0 = 2 * i0 + 1 + (((w0 >> SLOT_BITS) - bins[w0 & SLOT_MASK]) >>> 31);
        i1 = 2 * i1 + 1 + (((w1 >> SLOT_BITS) - bins[w1 & SLOT_MASK]) >>> 31);
        i2 = 2 * i2 + 1 + (((w2 >> SLOT_BITS) - bins[w2 & SLOT_MASK]) >>> 31);
        i3 = 2 * i3 + 1 + (((w3 >> SLOT_BITS) - bins[w3 & SLOT_MASK]) >>> 31);
      }
      margin +=
        leafValues[leafBase + i0 - internal] +
        leafValues[leafBase + leaves + i1 - internal] +
        leafValues[leafBase + 2 * leaves + i2 - internal] +
        leafValues[leafBase + 3 * leaves + i3 - internal];
    }
    return margin;
  }
}
