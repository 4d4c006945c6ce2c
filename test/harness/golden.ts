// Reads model/golden.jsonl: the trainer's own predictions for data-file lines referred to by physical line number
// (header = 1) plus optional column edits. The data lines themselves come from the data file, never the repository.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { FLIGHT_CSV_COLUMNS } from '../../services/predictor/flight-record';

const REPO = resolve(__dirname, '..', '..');
export const GOLDEN_PATH = join(REPO, 'model', 'golden.jsonl');
export const DATA_PATH =
  process.env.AIRLINE_DATA ?? resolve(REPO, '..', 'shared', 'data', 'airlines', 'allyears2k_headers.train.csv');
const GOLDEN_FORMAT = 'airline-golden/v2';

export interface GoldenRow {
  kind: string;
  sourceLine: number;
  edits: Record<string, string>;
  /** The data line with the edits applied. */
  line: string;
  probability: number;
  prediction: 'YES' | 'NO';
}

export interface GoldenFile {
  model: string;
  rows: GoldenRow[];
}

function applyEdits(line: string, edits: Record<string, string>, where: string): string {
  const fields = line.split(',');
  for (const [column, value] of Object.entries(edits)) {
    const index = (FLIGHT_CSV_COLUMNS as readonly string[]).indexOf(column);
    if (index === -1) throw new Error(`${where}: edit names unknown column "${column}"`);
    fields[index] = value;
  }
  return fields.join(',');
}

/**
 * The golden rows, or `{ skip }` when the data file is absent. Throws when the data file is not the one the
 * golden file was made from (its SHA-256 differs) or the golden file is malformed.
 */
export function loadGolden(dataPath = DATA_PATH): GoldenFile | { skip: string } {
  const [header, ...rows] = readFileSync(GOLDEN_PATH, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  if (header?.golden !== GOLDEN_FORMAT || typeof header.dataSha256 !== 'string') {
    throw new Error(`${GOLDEN_PATH}: first row must be the ${GOLDEN_FORMAT} header with dataSha256`);
  }
  if (!existsSync(dataPath)) return { skip: `data file not found: ${dataPath} (set AIRLINE_DATA)` };
  const data = readFileSync(dataPath);
  const sha256 = createHash('sha256').update(data).digest('hex');
  if (sha256 !== header.dataSha256) {
    throw new Error(
      `${dataPath} has SHA-256 ${sha256}, but model/golden.jsonl was made from ${String(header.dataFile)} with ` +
        `SHA-256 ${header.dataSha256}: use that data file (AIRLINE_DATA) or retrain (npm run train)`,
    );
  }
  const lines = data.toString('latin1').split('\n'); // the data set's encoding, as the trainer reads it
  return {
    model: String(header.model),
    rows: rows.map((row, i) => {
      const where = `${GOLDEN_PATH} row ${i + 2}`;
      const sourceLine = row.sourceLine;
      if (typeof sourceLine !== 'number' || !Number.isInteger(sourceLine) || sourceLine < 2 || sourceLine > lines.length) {
        throw new Error(`${where}: sourceLine ${String(sourceLine)} is not a data line`);
      }
      const edits = (row.edits ?? {}) as Record<string, string>;
      return {
        kind: String(row.kind),
        sourceLine,
        edits,
        line: applyEdits(lines[sourceLine - 1], edits, where),
        probability: row.probability as number,
        prediction: row.prediction as 'YES' | 'NO',
      };
    }),
  };
}

/** loadGolden() for callers that cannot run without the rows (bench): a clear error instead of a skip. */
export function requireGolden(dataPath = DATA_PATH): GoldenFile {
  const golden = loadGolden(dataPath);
  if ('skip' in golden) throw new Error(`golden rows need the data file: ${golden.skip}`);
  return golden;
}
