// Scores flight records with the gradient-boosted trees exported by model/train.py (model/model.json).
// Tree semantics follow LightGBM's prediction rules exactly, so scores match the trainer's to ~1e-12.

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { FlightRecord } from './flight-record';

export const MODEL_FORMAT = 'airline-gbm/v1';

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

/** Child reference: >= 0 is an internal node index, < 0 is leaf ~index. */
interface TreeJson {
  feature: number[];
  threshold: number[];
  /** 0: numeric `value <= threshold`; 1: categorical, `threshold` indexes catSets. */
  kind: number[];
  /** 0: none (missing treated as 0), 1: zero, 2: NaN — LightGBM's missing types. */
  missing: number[];
  defaultLeft: number[];
  left: number[];
  right: number[];
  leaves: number[];
  catSets: number[][];
}

interface FeatureJson {
  name: string;
  type: 'numeric' | 'categorical';
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

const KIND_CATEGORICAL = 1;
const MISSING_ZERO = 1;
const MISSING_NAN = 2;
const ZERO_THRESHOLD = 1e-35;
// Split rules, precomputed from kind + missing type (LightGBM's NumericalDecision / CategoricalDecision).
const RULE_NUMERIC_MISSING_AS_ZERO = 0;
const RULE_NUMERIC_ZERO_IS_MISSING = 1;
const RULE_NUMERIC_MISSING_NAN = 2;
const RULE_CATEGORICAL = 3;

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

/**
 * A loaded model. All trees live in flat typed arrays; `score` walks them without allocating
 * except for the result object.
 */
export class Scorer {
  readonly modelVersion: string;
  readonly threshold: number;
  readonly featureNames: readonly string[];
  readonly treeCount: number;

  private readonly sigmoid: number;
  private readonly numericGetters: Array<[number, NumericFeature]> = [];
  private readonly categoricalGetters: Array<[number, (r: FlightRecord) => string | null, Map<string, number>]> = [];
  private readonly values: Float64Array;
  private readonly roots: Int32Array;
  private readonly nodeFeature: Int32Array;
  private readonly nodeThreshold: Float64Array;
  private readonly nodeRule: Uint8Array;
  private readonly nodeDefaultLeft: Uint8Array;
  private readonly nodeLeft: Int32Array;
  private readonly nodeRight: Int32Array;
  private readonly leafValue: Float64Array;
  /** Per categorical node: offset into catMembers; the table spans the feature's category count. */
  private readonly nodeCatOffset: Int32Array;
  private readonly nodeCatSize: Int32Array;
  private readonly catMembers: Uint8Array;

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
    if (!Array.isArray(model.trees) || model.trees.length === 0) fail('trees missing');

    this.modelVersion = model.modelVersion;
    this.threshold = model.threshold;
    this.sigmoid = model.sigmoid;
    this.featureNames = model.features.map((f) => f.name);
    this.treeCount = model.trees.length;
    this.values = new Float64Array(model.features.length);

    const categoryCounts: number[] = [];
    model.features.forEach((feature, index) => {
      if (feature.type === 'numeric') {
        const getter = NUMERIC_FEATURES[feature.name];
        if (!getter) fail(`unknown numeric feature ${JSON.stringify(feature.name)}`);
        this.numericGetters.push([index, getter]);
        categoryCounts.push(0);
      } else if (feature.type === 'categorical') {
        const getter = CATEGORICAL_FEATURES[feature.name];
        if (!getter) fail(`unknown categorical feature ${JSON.stringify(feature.name)}`);
        if (!Array.isArray(feature.categories) || !feature.categories.every((c) => typeof c === 'string')) {
          fail(`feature ${feature.name}: categories must be strings`);
        }
        const codes = new Map(feature.categories!.map((c, code) => [c, code]));
        this.categoricalGetters.push([index, getter, codes]);
        categoryCounts.push(feature.categories!.length);
      } else {
        fail(`feature ${JSON.stringify(feature.name)} has unknown type`);
      }
    });

    // Flatten every tree into shared arrays; node and leaf indices become global.
    let nodeTotal = 0;
    let leafTotal = 0;
    let catTotal = 0;
    model.trees.forEach((tree, t) => {
      const n = Array.isArray(tree.feature) ? tree.feature.length : -1;
      const ok =
        isIntArray(tree.feature, n) &&
        isNumberArray(tree.threshold, n) &&
        isIntArray(tree.kind, n) &&
        isIntArray(tree.missing, n) &&
        isIntArray(tree.defaultLeft, n) &&
        isIntArray(tree.left, n) &&
        isIntArray(tree.right, n) &&
        isNumberArray(tree.leaves) &&
        tree.leaves.length === n + 1 &&
        Array.isArray(tree.catSets) &&
        tree.catSets.every((set) => isIntArray(set));
      if (!ok) fail(`tree ${t}: malformed arrays`);
      for (let i = 0; i < n; i++) {
        const f = tree.feature[i];
        if (f < 0 || f >= model.features.length) fail(`tree ${t} node ${i}: feature ${f} out of range`);
        // Children must point forward (or to a leaf) so every walk terminates.
        for (const child of [tree.left[i], tree.right[i]]) {
          if (child >= n || ~child > n || (child >= 0 && child <= i)) fail(`tree ${t} node ${i}: child ${child} out of range`);
        }
        if (tree.kind[i] !== 0 && tree.kind[i] !== KIND_CATEGORICAL) fail(`tree ${t} node ${i}: unknown kind ${tree.kind[i]}`);
        if (tree.missing[i] < 0 || tree.missing[i] > MISSING_NAN) fail(`tree ${t} node ${i}: unknown missing type`);
        if (tree.defaultLeft[i] !== 0 && tree.defaultLeft[i] !== 1) fail(`tree ${t} node ${i}: defaultLeft must be 0 or 1`);
        if (tree.kind[i] === KIND_CATEGORICAL) {
          if (categoryCounts[f] === 0) fail(`tree ${t} node ${i}: categorical split on numeric feature`);
          const set = tree.catSets[tree.threshold[i]];
          if (!set) fail(`tree ${t} node ${i}: category set ${tree.threshold[i]} missing`);
          catTotal += categoryCounts[f];
        }
      }
      nodeTotal += n;
      leafTotal += n + 1;
    });

    this.roots = new Int32Array(model.trees.length);
    this.nodeFeature = new Int32Array(nodeTotal);
    this.nodeThreshold = new Float64Array(nodeTotal);
    this.nodeRule = new Uint8Array(nodeTotal);
    this.nodeDefaultLeft = new Uint8Array(nodeTotal);
    this.nodeLeft = new Int32Array(nodeTotal);
    this.nodeRight = new Int32Array(nodeTotal);
    this.nodeCatOffset = new Int32Array(nodeTotal);
    this.nodeCatSize = new Int32Array(nodeTotal);
    this.leafValue = new Float64Array(leafTotal);
    this.catMembers = new Uint8Array(catTotal);

    let nodeBase = 0;
    let leafBase = 0;
    let catBase = 0;
    const globalChild = (child: number): number => (child >= 0 ? child + nodeBase : ~(~child + leafBase));
    model.trees.forEach((tree, t) => {
      const n = tree.feature.length;
      this.roots[t] = n === 0 ? ~leafBase : nodeBase;
      for (let i = 0; i < n; i++) {
        const g = nodeBase + i;
        this.nodeFeature[g] = tree.feature[i];
        this.nodeThreshold[g] = tree.threshold[i];
        this.nodeRule[g] =
          tree.kind[i] === KIND_CATEGORICAL
            ? RULE_CATEGORICAL
            : tree.missing[i] === MISSING_NAN
              ? RULE_NUMERIC_MISSING_NAN
              : tree.missing[i] === MISSING_ZERO
                ? RULE_NUMERIC_ZERO_IS_MISSING
                : RULE_NUMERIC_MISSING_AS_ZERO;
        this.nodeDefaultLeft[g] = tree.defaultLeft[i];
        this.nodeLeft[g] = globalChild(tree.left[i]);
        this.nodeRight[g] = globalChild(tree.right[i]);
        if (tree.kind[i] === KIND_CATEGORICAL) {
          const size = categoryCounts[tree.feature[i]];
          this.nodeCatOffset[g] = catBase;
          this.nodeCatSize[g] = size;
          for (const code of tree.catSets[tree.threshold[i]]) {
            if (code >= 0 && code < size) this.catMembers[catBase + code] = 1;
          }
          catBase += size;
        }
      }
      for (let l = 0; l <= n; l++) this.leafValue[leafBase + l] = tree.leaves[l];
      nodeBase += n;
      leafBase += n + 1;
    });
  }

  /** Probability that the flight departs late, and the YES/NO decision at the model's threshold. */
  score(record: FlightRecord): ScoreResult {
    const probability = this.probability(record);
    return { prediction: probability >= this.threshold ? 'YES' : 'NO', probability };
  }

  probability(record: FlightRecord): number {
    const values = this.encode(record);
    // Hot loop: locals instead of property loads; one switch on the precomputed split rule.
    const roots = this.roots;
    const rule = this.nodeRule;
    const feature = this.nodeFeature;
    const threshold = this.nodeThreshold;
    const defaultLeft = this.nodeDefaultLeft;
    const left = this.nodeLeft;
    const right = this.nodeRight;
    const catOffset = this.nodeCatOffset;
    const catSize = this.nodeCatSize;
    const catMembers = this.catMembers;
    const leafValue = this.leafValue;
    let margin = 0;
    for (let t = 0; t < roots.length; t++) {
      let node = roots[t];
      while (node >= 0) {
        let value = values[feature[node]];
        switch (rule[node]) {
          case RULE_NUMERIC_MISSING_NAN:
            if (value !== value) node = defaultLeft[node] === 1 ? left[node] : right[node];
            else node = value <= threshold[node] ? left[node] : right[node];
            break;
          case RULE_NUMERIC_MISSING_AS_ZERO:
            if (value !== value) value = 0;
            node = value <= threshold[node] ? left[node] : right[node];
            break;
          case RULE_NUMERIC_ZERO_IS_MISSING:
            if (value !== value) value = 0;
            if (Math.abs(value) <= ZERO_THRESHOLD) node = defaultLeft[node] === 1 ? left[node] : right[node];
            else node = value <= threshold[node] ? left[node] : right[node];
            break;
          default: {
            // Categorical. LightGBM: NaN and negative codes go right; members of the split's set go left.
            const code = value !== value || value < 0 ? -1 : Math.trunc(value);
            node = code >= 0 && code < catSize[node] && catMembers[catOffset[node] + code] === 1 ? left[node] : right[node];
          }
        }
      }
      margin += leafValue[~node];
    }
    return 1 / (1 + Math.exp(-this.sigmoid * margin));
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

}
