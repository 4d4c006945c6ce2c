import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { splitLines } from '../../services/predictor/predict-cli';
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

test('splitLines splits on \\n bytes across chunk borders and bounds oversized lines', async () => {
  const chunks = [Buffer.from('ab'), Buffer.from('c\nde'), Buffer.from('\n\n'), Buffer.from('x'.repeat(10)), Buffer.from('\nlast')];
  const lines: unknown[] = [];
  for await (const line of splitLines(Readable.from(chunks), 8)) {
    lines.push(Buffer.isBuffer(line) ? line.toString() : line);
  }
  assert.deepEqual(lines, ['abc', 'de', '', { oversizedBytes: 10 }, 'last']);
});

test('npm run predict: header skipped, one JSON line per record, errors inline', needsData, async () => {
  const validation = golden.filter((row) => row.kind === 'validation').slice(0, 3);
  const unseen = golden.find((row) => row.kind === 'unseen-and-na')!;
  const latin1 = Buffer.concat([Buffer.from(validation[0].line.slice(0, 30)), Buffer.from([0xe4]), Buffer.from(validation[0].line.slice(30))]);
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
  assert.deepEqual(lines[4], { error: 'not valid UTF-8' });
  assert.deepEqual(lines[5], { error: 'line too long: 5000 bytes (max 4096)' });
  expectScore(6, unseen);
  expectScore(7, validation[2]);
  const summary = stderr.trim().split('\n').map((line) => JSON.parse(line)).find((entry) => entry.msg === 'done');
  assert.equal(summary.records, 8);
  assert.equal(summary.errors, 4);
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
