import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FLIGHT_CSV_COLUMNS, MAX_RECORD_BYTES, parseFlightRecord } from '../../services/predictor/flight-record';

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
  assert.equal(reasonOf(withField('Month', '13')), 'Month out of range: 13 (expected 1..12)');
  assert.equal(reasonOf(withField('DayofMonth', '2.5')), 'DayofMonth out of range: 2.5 (expected 1..31)');
  assert.equal(reasonOf(withField('UniqueCarrier', 'P S')), 'UniqueCarrier is not a code: "P S"');
  assert.equal(reasonOf(withField('IsDepDelayed', 'MAYBE')), 'IsDepDelayed must be YES, NO or NA: "MAYBE"');
});

test('non-UTF-8 bytes are rejected, not replaced', () => {
  const latin1 = Buffer.concat([Buffer.from(GOOD.slice(0, 40)), Buffer.from([0xe4, 0xe6]), Buffer.from(GOOD.slice(40))]);
  assert.equal(reasonOf(latin1), 'not valid UTF-8');
  // Valid multi-byte UTF-8 in a code column decodes, then fails the code check instead.
  assert.equal(reasonOf(withField('Origin', 'SÄN')), 'Origin is not a code: "SÄN"');
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
