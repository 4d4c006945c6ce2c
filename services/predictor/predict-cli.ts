// npm run predict: CSV flight records on stdin -> one JSON line per record on stdout.
//   {"prediction":"YES"|"NO","probability":p}   or   {"error":"<reason>"}
// A header line first is skipped. CR, LF and CRLF all end a record (lines.ts); records are split as bytes and
// decoded as Latin-1, the data set's encoding. Env: MODEL_PATH (default model/model.json).

import type { Readable, Writable } from 'node:stream';
import { once } from 'node:events';
import { createLogger } from '../../contracts/logging';
import { MAX_RECORD_BYTES } from './flight-record';
import { splitLines } from './lines';
import { predictRaw, type PredictionOutcome } from './predict';
import { Scorer } from './scorer';

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
  for await (const line of splitLines(input, MAX_RECORD_BYTES)) {
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
