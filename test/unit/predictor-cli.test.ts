import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { splitBufferLines, splitLines } from '../../services/predictor/lines';
import { loadGolden } from '../harness/golden';

const REPO = resolve(__dirname, '..', '..');
const CLI = join(REPO, 'services', 'predictor', 'predict-cli.ts');
const HEADER =
  'Year,Month,DayofMonth,DayOfWeek,DepTime,CRSDepTime,ArrTime,CRSArrTime,UniqueCarrier,FlightNum,TailNum,' +
  'ActualElapsedTime,CRSElapsedTime,AirTime,ArrDelay,DepDelay,Origin,Dest,Distance,TaxiIn,TaxiOut,Cancelled,' +
  'CancellationCode,Diverted,CarrierDelay,WeatherDelay,NASDelay,SecurityDelay,LateAircraftDelay,IsArrDelayed,IsDepDelayed';

// A made-up record (not a line of the data set, which is never committed).
const MADE_UP = '2003,6,9,1,1440,1435,1618,1610,WN,2417,N000XX,98,95,80,8,5,OAK,SAN,446,6,12,0,NA,0,NA,NA,NA,NA,NA,YES,YES';
// Golden rows refer to data-file lines; without the data file the end-to-end scoring test is reported as skipped.
const goldenFile = loadGolden();
const needsData = { skip: 'skip' in goldenFile ? goldenFile.skip : undefined };
const golden = 'skip' in goldenFile ? [] : goldenFile.rows;

function withColumn(line: string, index: number, value: string): string {
  return line.split(',').map((field, i) => (i === index ? value : field)).join(',');
}

function runCli(stdin: Buffer, env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI], {
      cwd: REPO,
      env: { ...process.env, LOG_LEVEL: 'info', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) =>
      resolvePromise({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }),
    );
    child.stdin.end(stdin);
  });
}

async function collect(chunks: string[], maxBytes?: number): Promise<unknown[]> {
  const lines: unknown[] = [];
  for await (const line of splitLines(Readable.from(chunks.map((chunk) => Buffer.from(chunk))), maxBytes)) {
    lines.push(Buffer.isBuffer(line) ? line.toString() : line);
  }
  return lines;
}

test('splitLines splits on \\n bytes across chunk borders and bounds oversized lines', async () => {
  assert.deepEqual(await collect(['ab', 'c\nde', '\n\n', 'x'.repeat(10), '\nlast'], 8), ['abc', 'de', '', { oversizedBytes: 10 }, 'last']);
});

test('splitLines: CR, LF and CRLF each end a line, mixed too, and a CRLF split across chunks counts once', async () => {
  assert.deepEqual(await collect(['a\rb\rc\r']), ['a', 'b', 'c']);
  assert.deepEqual(await collect(['a\r\nb\r\nc']), ['a', 'b', 'c']);
  assert.deepEqual(await collect(['a\r', '\nb\r', '', '\n', 'c\n', '\rd']), ['a', 'b', 'c', '', 'd']);
  assert.deepEqual(await collect(['a\rb\nc\r\nd\n\re\r\rf']), ['a', 'b', 'c', 'd', '', 'e', '', 'f']);
  assert.deepEqual(await collect(['a\n\r\n']), ['a', '']);
  // The text after the last line end is a line only when not empty.
  assert.deepEqual(await collect(['a\n']), ['a']);
  assert.deepEqual(await collect(['a\r\n']), ['a']);
  assert.deepEqual(await collect(['a\r']), ['a']);
  assert.deepEqual(await collect([]), []);
  assert.deepEqual(await collect(['123456789\r\n12']), ['123456789', '12']);
  assert.deepEqual(await collect(['123456789\r', '\n12'], 8), [{ oversizedBytes: 9 }, '12']);
  assert.deepEqual(splitBufferLines(Buffer.from('a\rb\r\nc\nd')).map(String), ['a', 'b', 'c', 'd']);
});

test('npm run predict: header skipped, one JSON line per record, errors inline', needsData, async () => {
  const validation = golden.filter((row) => row.kind === 'validation').slice(0, 3);
  const unseen = golden.find((row) => row.kind === 'unseen-and-na')!;
  // validation[0] with a Latin-1 TailNum (bytes that are not UTF-8): scored like the line itself.
  const latin1 = Buffer.from(withColumn(validation[0].line, 10, 'N7\u00e4\u00e6'), 'latin1');
  const input = Buffer.concat([
    Buffer.from(`${HEADER}\n${validation[0].line}\r\n${validation[1].line}\n1987,10\n\n`),
    latin1,
    Buffer.from(`\n${'9'.repeat(5000)}\n${unseen.line}\n${validation[2].line}`), // last line without newline
  ]);
  const { code, stdout, stderr } = await runCli(input);
  assert.equal(code, 0, stderr);
  const lines = stdout.trimEnd().split('\n').map((line) => JSON.parse(line));
  assert.equal(lines.length, 8);
  const expectScore = (index: number, row: (typeof golden)[number]) => {
    assert.deepEqual(Object.keys(lines[index]), ['prediction', 'probability']);
    assert.equal(lines[index].prediction, row.prediction);
    assert.ok(Math.abs(lines[index].probability - row.probability) <= 1e-6);
  };
  expectScore(0, validation[0]);
  expectScore(1, validation[1]);
  assert.deepEqual(lines[2], { error: 'expected 31 columns, got 2' });
  assert.deepEqual(lines[3], { error: 'empty line' });
  expectScore(4, validation[0]);
  assert.deepEqual(lines[5], { error: 'line too long: 5000 bytes (max 4096)' });
  expectScore(6, unseen);
  expectScore(7, validation[2]);
  const summary = stderr.trim().split('\n').map((line) => JSON.parse(line)).find((entry) => entry.msg === 'done');
  assert.equal(summary.records, 8);
  assert.equal(summary.errors, 3);
});

test('npm run predict: a header later in the input is an error, not skipped', async () => {
  const { stdout } = await runCli(Buffer.from(`${MADE_UP}\n${HEADER}\n`));
  const lines = stdout.trimEnd().split('\n').map((line) => JSON.parse(line));
  assert.equal(lines.length, 2);
  assert.deepEqual(lines[1], { error: 'header line' });
});

test('npm run predict: a missing model file fails with exit 1 and a clear log line', async () => {
  const { code, stdout, stderr } = await runCli(Buffer.from(MADE_UP), { MODEL_PATH: '/nonexistent/model.json' });
  assert.equal(code, 1);
  assert.equal(stdout, '');
  assert.match(stderr, /cannot read model file \/nonexistent\/model\.json/);
});

test('npm run predict: CR-only, CRLF and mixed line endings each give one prediction per record', needsData, async () => {
  const rows = golden.filter((row) => row.kind === 'validation').slice(0, 3);
  const records = rows.map((row) => row.line);
  for (const [name, input] of [
    ['CR only', `${HEADER}\r${records.join('\r')}\r`],
    ['CRLF', `${HEADER}\r\n${records.join('\r\n')}\r\n`],
    ['mixed', `${HEADER}\r${records[0]}\r\n${records[1]}\n${records[2]}`],
  ]) {
    const { code, stdout } = await runCli(Buffer.from(input, 'latin1'));
    assert.equal(code, 0, name);
    const lines = stdout.trimEnd().split('\n').map((line) => JSON.parse(line));
    assert.deepEqual(
      lines.map((line) => line.prediction),
      rows.map((row) => row.prediction),
      `${name}: ${stdout}`,
    );
  }
});

test('npm run predict: out-of-range numbers get an error naming field, value and range; NA is scored', async () => {
  const input = [
    HEADER,
    withColumn(MADE_UP, 18, '-446'),
    withColumn(MADE_UP, 9, '1e308'),
    withColumn(MADE_UP, 5, '2399'),
    withColumn(withColumn(MADE_UP, 18, 'NA'), 12, 'NA'),
  ].join('\n');
  const { stdout } = await runCli(Buffer.from(`${input}\n`));
  const lines = stdout.trimEnd().split('\n').map((line) => JSON.parse(line));
  assert.deepEqual(lines.slice(0, 3), [
    { error: 'Distance out of range: -446 (accepted: 1..12500 miles)' },
    { error: 'FlightNum out of range: 1e308 (accepted: integer 1..9999)' },
    { error: 'CRSDepTime out of range: 2399 (accepted: hhmm 0000..2400, minutes 00..59)' },
  ]);
  assert.deepEqual(Object.keys(lines[3]), ['prediction', 'probability']);
  assert.equal(lines.length, 4);
});
