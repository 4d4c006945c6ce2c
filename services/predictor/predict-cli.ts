// npm run predict: CSV flight records on stdin -> one JSON line per record on stdout.
//   {"prediction":"YES"|"NO","probability":p}   or   {"error":"<reason>"}
// A header line first is skipped. Lines are split on \n bytes (not decoded first) so non-UTF-8 records
// are reported instead of being silently repaired. Env: MODEL_PATH (default model/model.json).

import type { Readable, Writable } from 'node:stream';
import { once } from 'node:events';
import { createLogger } from '../../contracts/logging';
import { MAX_RECORD_BYTES } from './flight-record';
import { predictRaw, type PredictionOutcome } from './predict';
import { Scorer } from './scorer';

/** A line longer than the limit: only its length is kept. */
export interface OversizedLine {
  oversizedBytes: number;
}

const NEWLINE = 0x0a;

/**
 * Splits a byte stream into lines (without the \n). Memory stays bounded: a line over `maxBytes`
 * is dropped while reading and reported as OversizedLine. A final line without \n is yielded too.
 */
export async function* splitLines(
  input: AsyncIterable<Buffer | string>,
  maxBytes = MAX_RECORD_BYTES,
): AsyncGenerator<Buffer | OversizedLine> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let oversized = false;
  const take = (piece: Buffer): void => {
    pendingBytes += piece.length;
    if (oversized) return;
    if (pendingBytes > maxBytes) {
      oversized = true;
      pending = [];
    } else if (piece.length > 0) {
      pending.push(piece);
    }
  };
  const finish = (): Buffer | OversizedLine => {
    const line = oversized ? { oversizedBytes: pendingBytes } : Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    oversized = false;
    return line;
  };
  for await (const chunk of input) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    let start = 0;
    for (let nl = bytes.indexOf(NEWLINE, start); nl !== -1; nl = bytes.indexOf(NEWLINE, start)) {
      take(bytes.subarray(start, nl));
      yield finish();
      start = nl + 1;
    }
    take(bytes.subarray(start));
  }
  if (pendingBytes > 0) yield finish();
}

export function formatOutcome(outcome: PredictionOutcome): string {
  return outcome.ok
    ? JSON.stringify({ prediction: outcome.prediction, probability: outcome.probability })
    : JSON.stringify({ error: outcome.reason });
}

export interface PredictStreamSummary {
  records: number;
  errors: number;
}

/** Scores every line of `input` onto `output`; respects back-pressure. */
export async function predictStream(
  scorer: Scorer,
  input: AsyncIterable<Buffer | string>,
  output: Writable,
): Promise<PredictStreamSummary> {
  const summary: PredictStreamSummary = { records: 0, errors: 0 };
  let first = true;
  for await (const line of splitLines(input)) {
    const outcome: PredictionOutcome = Buffer.isBuffer(line)
      ? predictRaw(scorer, line)
      : { ok: false, reason: `line too long: ${line.oversizedBytes} bytes (max ${MAX_RECORD_BYTES})` };
    const isFirst = first;
    first = false;
    if (isFirst && !outcome.ok && outcome.reason === 'header line') continue;
    summary.records += 1;
    if (!outcome.ok) summary.errors += 1;
    if (!output.write(`${formatOutcome(outcome)}\n`)) await once(output, 'drain');
  }
  return summary;
}

async function main(stdin: Readable, stdout: Writable): Promise<number> {
  const log = createLogger('predict-cli');
  const modelPath = process.env.MODEL_PATH;
  if (modelPath !== undefined && modelPath.trim() === '') {
    log.error('MODEL_PATH is set but empty; unset it to use model/model.json');
    return 2;
  }
  let scorer: Scorer;
  try {
    scorer = Scorer.load(modelPath);
  } catch (error) {
    log.error({ err: (error as Error).message }, 'cannot load model');
    return 1;
  }
  // A closed reader (e.g. `| head`) ends the run quietly.
  stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
  const started = process.hrtime.bigint();
  const summary = await predictStream(scorer, stdin, stdout);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  log.info({ ...summary, model: scorer.modelVersion, seconds: Number(seconds.toFixed(3)) }, 'done');
  return 0;
}

if (require.main === module) {
  main(process.stdin, process.stdout).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      createLogger('predict-cli').fatal({ err: error }, 'predict failed');
      process.exitCode = 1;
    },
  );
}
