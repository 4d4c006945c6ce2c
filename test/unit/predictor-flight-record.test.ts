import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  FIELD_BOUNDS,
  FLIGHT_CSV_COLUMNS,
  MAX_RECORD_BYTES,
  parseFlightRecord,
} from '../../services/predictor/flight-record';
import { splitBufferLines } from '../../services/predictor/lines';
import { DATA_PATH } from '../harness/golden';

// A made-up record (the data set is never copied into the repository).
const GOOD =
  '2003,6,9,1,1440,1435,1618,1610,WN,2417,N000XX,98,95,80,8,5,OAK,SAN,446,6,12,0,NA,0,NA,NA,NA,NA,NA,YES,YES';

function withField(column: (typeof FLIGHT_CSV_COLUMNS)[number], value: string): string {
  const fields = GOOD.split(',');
  fields[FLIGHT_CSV_COLUMNS.indexOf(column)] = value;
  return fields.join(',');
}

function reasonOf(raw: Buffer | string): string {
  const result = parseFlightRecord(raw);
  assert.equal(result.ok, false, `expected a rejection for ${String(raw).slice(0, 60)}`);
  return (result as { reason: string }).reason;
}

test('parses the pre-departure fields of a demo record', () => {
  const result = parseFlightRecord(GOOD);
  assert.ok(result.ok);
  assert.deepEqual(result.record, {
    year: 2003,
    month: 6,
    dayOfMonth: 9,
    dayOfWeek: 1,
    crsDepTime: 1435,
    crsArrTime: 1610,
    uniqueCarrier: 'WN',
    flightNum: 2417,
    crsElapsedTime: 95,
    origin: 'OAK',
    dest: 'SAN',
    distance: 446,
    actualDepDelayed: true,
  });
});

test('Buffer and string input give the same record; CRLF and LF endings are stripped', () => {
  const fromString = parseFlightRecord(GOOD);
  for (const raw of [Buffer.from(GOOD), `${GOOD}\n`, Buffer.from(`${GOOD}\r\n`), `${GOOD}\r`]) {
    assert.deepEqual(parseFlightRecord(raw), fromString);
  }
});

test('NA and empty optional fields become null', () => {
  let line = GOOD;
  for (const column of ['DayOfWeek', 'CRSDepTime', 'UniqueCarrier', 'Distance', 'Origin', 'IsDepDelayed'] as const) {
    line = line.split(',').map((v, i) => (FLIGHT_CSV_COLUMNS[i] === column ? (column === 'Distance' ? '' : 'NA') : v)).join(',');
  }
  const result = parseFlightRecord(line);
  assert.ok(result.ok);
  assert.equal(result.record.dayOfWeek, null);
  assert.equal(result.record.crsDepTime, null);
  assert.equal(result.record.uniqueCarrier, null);
  assert.equal(result.record.distance, null);
  assert.equal(result.record.origin, null);
  assert.equal(result.record.actualDepDelayed, null);
  assert.equal(result.record.dest, 'SAN');
});

test('columns not used for scoring may hold anything', () => {
  const result = parseFlightRecord(withField('DepDelay', 'garbage'));
  assert.ok(result.ok);
});

test('each kind of malformed input is rejected with a specific reason', () => {
  assert.equal(reasonOf(''), 'empty line');
  assert.equal(reasonOf('   \r\n'), 'empty line');
  assert.equal(reasonOf(Buffer.alloc(0)), 'empty line');
  assert.equal(reasonOf('2003,6,9,1,1440,1435,1618,1610,WN,2417,N000XX,98'), 'expected 31 columns, got 12');
  assert.equal(reasonOf(`${GOOD},extra`), 'expected 31 columns, got 32');
  assert.equal(reasonOf(FLIGHT_CSV_COLUMNS.join(',')), 'header line');
  assert.equal(reasonOf(withField('CRSDepTime', 'abc')), 'CRSDepTime is not a number: "abc"');
  assert.equal(reasonOf(withField('Distance', '0x1F')), 'Distance is not a number: "0x1F"');
  assert.equal(reasonOf(withField('Distance', 'Infinity')), 'Distance is not a number: "Infinity"');
  assert.equal(reasonOf(withField('Distance', '1e999')), 'Distance is not a number: "1e999"');
  assert.equal(reasonOf(withField('Year', 'NA')), 'Year is missing');
  assert.equal(reasonOf(withField('Month', '13')), 'Month out of range: 13 (accepted: integer 1..12)');
  assert.equal(reasonOf(withField('DayofMonth', '2.5')), 'DayofMonth out of range: 2.5 (accepted: integer 1..31)');
  assert.equal(reasonOf(withField('UniqueCarrier', 'P S')), 'UniqueCarrier is not a code: "P S"');
  assert.equal(reasonOf(withField('IsDepDelayed', 'MAYBE')), 'IsDepDelayed must be YES, NO or NA: "MAYBE"');
});

test('bytes are Latin-1: a TailNum with bytes that are not UTF-8 is scored and kept as data', () => {
  const tail = Buffer.from('N7\u00e9\u00e8', 'latin1'); // 0xe9 0xe8: not valid UTF-8
  const at = GOOD.indexOf('N000XX');
  const latin1 = Buffer.concat([Buffer.from(GOOD.slice(0, at)), tail, Buffer.from(GOOD.slice(at + 'N000XX'.length))]);
  const result = parseFlightRecord(latin1);
  assert.ok(result.ok, JSON.stringify(result));
  assert.deepEqual(result, parseFlightRecord(GOOD)); // TailNum is not a feature: the same record as the plain line
  // Code columns still hold codes; a byte above 0x7F there is refused and named.
  const origin = Buffer.from(withField('Origin', 'S\u00c4N'), 'latin1');
  assert.equal(reasonOf(origin), 'Origin is not a code: "S\u00c4N"');
});

test('numeric fields outside their physical range are refused with the field, the value and the range', () => {
  const cases: Array<[(typeof FLIGHT_CSV_COLUMNS)[number], string, string]> = [
    ['FlightNum', '-1', 'FlightNum out of range: -1 (accepted: integer 1..9999)'],
    ['FlightNum', '1e308', 'FlightNum out of range: 1e308 (accepted: integer 1..9999)'],
    ['FlightNum', '12.5', 'FlightNum out of range: 12.5 (accepted: integer 1..9999)'],
    ['Distance', '-446', 'Distance out of range: -446 (accepted: 1..12500 miles)'],
    ['Distance', '0', 'Distance out of range: 0 (accepted: 1..12500 miles)'],
    ['Distance', '1e308', 'Distance out of range: 1e308 (accepted: 1..12500 miles)'],
    ['CRSElapsedTime', '-95', 'CRSElapsedTime out of range: -95 (accepted: 1..1440 minutes)'],
    ['CRSElapsedTime', '1e308', 'CRSElapsedTime out of range: 1e308 (accepted: 1..1440 minutes)'],
    ['CRSDepTime', '2399', 'CRSDepTime out of range: 2399 (accepted: hhmm 0000..2400, minutes 00..59)'],
    ['CRSDepTime', '1260', 'CRSDepTime out of range: 1260 (accepted: hhmm 0000..2400, minutes 00..59)'],
    ['CRSDepTime', '2401', 'CRSDepTime out of range: 2401 (accepted: hhmm 0000..2400, minutes 00..59)'],
    ['CRSDepTime', '-5', 'CRSDepTime out of range: -5 (accepted: hhmm 0000..2400, minutes 00..59)'],
    ['CRSArrTime', '1e308', 'CRSArrTime out of range: 1e308 (accepted: hhmm 0000..2400, minutes 00..59)'],
    ['CRSArrTime', '930.5', 'CRSArrTime out of range: 930.5 (accepted: hhmm 0000..2400, minutes 00..59)'],
    ['DayOfWeek', '0', 'DayOfWeek out of range: 0 (accepted: integer 1..7)'],
    ['Year', '-2003', 'Year out of range: -2003 (accepted: integer 1900..2100)'],
  ];
  for (const [column, value, reason] of cases) assert.equal(reasonOf(withField(column, value)), reason, `${column}=${value}`);
  // A long value is shortened in the reason.
  assert.match(reasonOf(withField('Distance', '9'.repeat(40))), /^Distance out of range: 9{20}… \(accepted: 1\.\.12500 miles\)$/);
});

test('the edges of each range are accepted, and NA stays a missing value', () => {
  const edges: Array<[keyof typeof FIELD_BOUNDS, string]> = [
    ['FlightNum', '1'], ['FlightNum', '9999'], ['Distance', '1'], ['Distance', '12500'], ['Distance', '446.5'],
    ['CRSElapsedTime', '1'], ['CRSElapsedTime', '1440'], ['CRSDepTime', '0'], ['CRSDepTime', '0000'],
    ['CRSDepTime', '2359'], ['CRSDepTime', '2400'], ['CRSArrTime', '0059'],
  ];
  for (const [column, value] of edges) assert.ok(parseFlightRecord(withField(column, value)).ok, `${column}=${value}`);
  for (const column of ['FlightNum', 'Distance', 'CRSElapsedTime', 'CRSDepTime', 'CRSArrTime'] as const) {
    const result = parseFlightRecord(withField(column, 'NA'));
    assert.ok(result.ok, column);
  }
});

// The real data file is not in the repository: without it (or with another file) this test is reported as skipped.
const TRAINING_SHA256 = (JSON.parse(readFileSync(join(__dirname, '..', '..', 'model', 'validation-split.json'), 'utf8')) as {
  dataSha256: string;
}).dataSha256;
const trainingFile = existsSync(DATA_PATH) ? readFileSync(DATA_PATH) : undefined;
const notTraining =
  trainingFile === undefined
    ? `data file not found: ${DATA_PATH} (set AIRLINE_DATA)`
    : createHash('sha256').update(trainingFile).digest('hex') !== TRAINING_SHA256
      ? `${DATA_PATH} is not the training file`
      : undefined;
test('every line of the real training file parses: Latin-1 lines, NA distances and times, the bounds', { skip: notTraining }, () => {
  const [header, ...lines] = splitBufferLines(trainingFile!);
  assert.ok(header.toString('latin1').startsWith('Year,'));
  let nonUtf8 = 0;
  let naDistanceOrElapsed = 0;
  const refused: string[] = [];
  for (const [i, line] of lines.entries()) {
    const result = parseFlightRecord(line);
    if (!result.ok) refused.push(`line ${i + 2}: ${result.reason}`);
    else if (result.record.distance === null || result.record.crsElapsedTime === null) naDistanceOrElapsed++;
    if (!line.equals(Buffer.from(line.toString('utf8'), 'utf8'))) nonUtf8++;
  }
  assert.deepEqual(refused.slice(0, 5), []);
  assert.equal(lines.length, 35183);
  assert.equal(nonUtf8, 3190, 'lines holding Latin-1 bytes');
  assert.equal(naDistanceOrElapsed, 41, 'lines with NA in Distance or CRSElapsedTime');
});

test('lines over the byte limit are rejected before parsing', () => {
  const long = `${GOOD},${'x'.repeat(MAX_RECORD_BYTES)}`;
  const expected = `line too long: ${Buffer.byteLength(long)} bytes (max ${MAX_RECORD_BYTES})`;
  assert.equal(reasonOf(long), expected);
  assert.equal(reasonOf(Buffer.from(long)), expected);
  // Multi-byte characters count as bytes, not characters.
  const wide = 'é'.repeat(MAX_RECORD_BYTES / 2 + 1);
  assert.match(reasonOf(wide), /^line too long: 4098 bytes/);
});
