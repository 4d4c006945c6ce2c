import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseFlightRecord } from '../../services/predictor/flight-record';
import { Scorer } from '../../services/predictor/scorer';

const REPO = resolve(__dirname, '..', '..');
const MODEL_DIR = join(REPO, 'model');
const DATA_PATH = process.env.AIRLINE_DATA ?? resolve(REPO, '..', 'shared', 'data', 'airlines', 'allyears2k_headers.train.csv');

interface Evaluation {
  auc: number;
  logLoss: number;
  accuracy: number;
  rows: number;
}
const metrics = JSON.parse(readFileSync(join(MODEL_DIR, 'metrics.json'), 'utf8')) as {
  model: string;
  target: { validationAuc: number };
  validation: Evaluation;
  demoSettingsBaseline: { validation: Evaluation };
};
const split = JSON.parse(readFileSync(join(MODEL_DIR, 'validation-split.json'), 'utf8')) as {
  dataSha256: string;
  validationLineNumbers: number[];
};

/** Area under the ROC curve via the rank-sum statistic, ties sharing their average rank. */
function rocAuc(labels: boolean[], scores: number[]): number {
  const order = scores.map((_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let positives = 0;
  let positiveRankSum = 0;
  for (let start = 0; start < order.length; ) {
    let end = start;
    while (end + 1 < order.length && scores[order[end + 1]] === scores[order[start]]) end++;
    const averageRank = (start + end) / 2 + 1;
    for (let k = start; k <= end; k++) {
      if (labels[order[k]]) {
        positives++;
        positiveRankSum += averageRank;
      }
    }
    start = end + 1;
  }
  const negatives = labels.length - positives;
  return (positiveRankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

test('rocAuc: perfect, reversed, tied and mixed rankings', () => {
  assert.equal(rocAuc([false, false, true, true], [0.1, 0.2, 0.3, 0.4]), 1);
  assert.equal(rocAuc([true, true, false, false], [0.1, 0.2, 0.3, 0.4]), 0);
  assert.equal(rocAuc([true, false, true, false], [0.5, 0.5, 0.5, 0.5]), 0.5);
  assert.equal(rocAuc([false, true, false, true], [0.1, 0.2, 0.3, 0.4]), 0.75);
});

test('committed metrics belong to the committed model and beat the demo settings', () => {
  const scorer = Scorer.load();
  assert.equal(metrics.model, scorer.modelVersion);
  assert.ok(metrics.validation.rows > 5000);
  assert.ok(
    metrics.validation.auc > metrics.demoSettingsBaseline.validation.auc,
    `AUC ${metrics.validation.auc} vs demo settings ${metrics.demoSettingsBaseline.validation.auc}`,
  );
});

/** Scores the validation rows of the real data file; null when that file is absent or a different one. */
function scoreValidationRows(): { skip: string } | { labels: boolean[]; scores: number[]; rejected: number; threshold: number } {
  if (!existsSync(DATA_PATH)) return { skip: `data file not found: ${DATA_PATH} (set AIRLINE_DATA)` };
  const data = readFileSync(DATA_PATH);
  if (createHash('sha256').update(data).digest('hex') !== split.dataSha256) {
    return { skip: `${DATA_PATH} is not the file the model was trained on` };
  }
  // Physical lines, as bytes (Latin-1, like the service reads them): every validation row must be scored.
  const lineStarts = [0];
  for (let i = data.indexOf(10); i !== -1; i = data.indexOf(10, i + 1)) lineStarts.push(i + 1);
  const scorer = Scorer.load();
  const labels: boolean[] = [];
  const scores: number[] = [];
  let rejected = 0;
  for (const lineNumber of split.validationLineNumbers) {
    const start = lineStarts[lineNumber - 1];
    const end = lineNumber < lineStarts.length ? lineStarts[lineNumber] - 1 : data.length;
    const parsed = parseFlightRecord(data.subarray(start, end));
    if (!parsed.ok) {
      rejected++;
      continue;
    }
    assert.notEqual(parsed.record.actualDepDelayed, null);
    labels.push(parsed.record.actualDepDelayed === true);
    scores.push(scorer.score(parsed.record).probability);
  }
  return { labels, scores, rejected, threshold: scorer.threshold };
}

let validationRows: ReturnType<typeof scoreValidationRows> | undefined;
const validationScores = () => (validationRows ??= scoreValidationRows());

test('the TS scorer reproduces the trainer AUC and accuracy on the real held-out rows', (t) => {
  const rows = validationScores();
  if ('skip' in rows) {
    t.skip(rows.skip);
    return;
  }
  const { labels, scores, rejected, threshold } = rows;
  assert.equal(rejected, 0, 'validation rows refused by the parser');
  assert.equal(labels.length, metrics.validation.rows);
  const auc = rocAuc(labels, scores);
  assert.ok(Math.abs(auc - metrics.validation.auc) < 1e-5, `TS AUC ${auc} vs trainer ${metrics.validation.auc}`);
  const accuracy = labels.filter((label, i) => label === scores[i] >= threshold).length / labels.length;
  assert.ok(Math.abs(accuracy - metrics.validation.accuracy) < 1e-5, `TS accuracy ${accuracy} vs trainer ${metrics.validation.accuracy}`);
  assert.ok(auc > metrics.demoSettingsBaseline.validation.auc, `TS AUC ${auc} does not beat the demo settings`);
});

// The target. Marked todo (reported as "not ok # TODO", never as a pass) because the committed model
// falls short (random-split AUC ~0.78, see metrics.json). Delete the todo option once metrics.json says met: true.
const TARGET_TODO = 'the 0.80 AUC target is not reached yet';

test('validation AUC meets the 0.80 target (metrics.json and recomputed in TS)', { todo: TARGET_TODO }, (t) => {
  assert.ok(metrics.target.validationAuc >= 0.8);
  assert.ok(
    metrics.validation.auc >= metrics.target.validationAuc,
    `validation AUC ${metrics.validation.auc} < target ${metrics.target.validationAuc}`,
  );
  const rows = validationScores();
  if ('skip' in rows) {
    t.diagnostic(`TS recomputation not run: ${rows.skip}`);
    return;
  }
  const auc = rocAuc(rows.labels, rows.scores);
  assert.ok(auc >= metrics.target.validationAuc, `TS-computed validation AUC ${auc} < target ${metrics.target.validationAuc}`);
});
