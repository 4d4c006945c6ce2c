// Parsing of one airline flight record: the demo's 31-column CSV line.
// Only columns known before departure are kept (plus the recorded label, for evaluation).

export const FLIGHT_CSV_COLUMNS = [
  'Year', 'Month', 'DayofMonth', 'DayOfWeek', 'DepTime', 'CRSDepTime', 'ArrTime', 'CRSArrTime',
  'UniqueCarrier', 'FlightNum', 'TailNum', 'ActualElapsedTime', 'CRSElapsedTime', 'AirTime', 'ArrDelay',
  'DepDelay', 'Origin', 'Dest', 'Distance', 'TaxiIn', 'TaxiOut', 'Cancelled', 'CancellationCode', 'Diverted',
  'CarrierDelay', 'WeatherDelay', 'NASDelay', 'SecurityDelay', 'LateAircraftDelay', 'IsArrDelayed', 'IsDepDelayed',
] as const;

export type FlightCsvColumn = (typeof FLIGHT_CSV_COLUMNS)[number];

/** Longest accepted line in bytes; real records are about 120 bytes. */
export const MAX_RECORD_BYTES = 4096;

/** A flight as known before departure. `null` means the value was missing (NA or empty). */
export interface FlightRecord {
  year: number;
  month: number;
  dayOfMonth: number;
  dayOfWeek: number | null;
  /** Scheduled departure, local time as hhmm (e.g. 1745). */
  crsDepTime: number | null;
  crsArrTime: number | null;
  uniqueCarrier: string | null;
  flightNum: number | null;
  crsElapsedTime: number | null;
  origin: string | null;
  dest: string | null;
  distance: number | null;
  /** The recorded outcome (IsDepDelayed) when the line carries it; never used for scoring. */
  actualDepDelayed: boolean | null;
}

export type ParseResult = { ok: true; record: FlightRecord } | { ok: false; reason: string };

const COLUMN_INDEX = Object.fromEntries(FLIGHT_CSV_COLUMNS.map((name, i) => [name, i])) as Record<
  FlightCsvColumn,
  number
>;

class RecordError extends Error {}

/**
 * The accepted range of every numeric field that is parsed, in one place. A value outside it is refused with a
 * reason naming the field, the value and the range; `NA` or an empty field is a missing value, never refused
 * (except in the date fields, which are required). Ranges are physical limits, wide enough that no line of the
 * training file (allyears2k_headers.train.csv) is refused; what that file holds is noted next to each.
 * DepTime, ArrTime and the other columns not used for scoring are not parsed, so they are not checked.
 */
export const FIELD_BOUNDS = {
  // data: 1987..2008
  Year: { min: 1900, max: 2100, integer: true, unit: '' },
  // data: 1..10
  Month: { min: 1, max: 12, integer: true, unit: '' },
  // data: 1..31 (an impossible date such as 30 February is scored; the model treats its date as missing)
  DayofMonth: { min: 1, max: 31, integer: true, unit: '' },
  // data: 1..7
  DayOfWeek: { min: 1, max: 7, integer: true, unit: '' },
  // Local hhmm, minutes 00..59. data: 0000..2359. 2400 is accepted as midnight: the data set's own convention
  // (its DepTime/ArrTime hold 2400, not 0000, for midnight), and the parser always accepted it.
  CRSDepTime: { min: 0, max: 2400, integer: true, unit: 'hhmm' },
  CRSArrTime: { min: 0, max: 2400, integer: true, unit: 'hhmm' },
  // Flight numbers have at most 4 digits. data: 1..3949
  FlightNum: { min: 1, max: 9999, integer: true, unit: '' },
  // Scheduled minutes gate to gate: more than 0, at most a day (the longest scheduled flights take ~19 h).
  // data: 17..437, 11 NA
  CRSElapsedTime: { min: 1, max: 1440, integer: false, unit: 'minutes' },
  // Miles: more than 0, at most half the Earth's circumference (~12,450 miles, the farthest any two airports can
  // be apart). data: 11..3365, 30 NA
  Distance: { min: 1, max: 12500, integer: false, unit: 'miles' },
} as const satisfies Record<string, { min: number; max: number; integer: boolean; unit: '' | 'hhmm' | 'minutes' | 'miles' }>;

type BoundedColumn = keyof typeof FIELD_BOUNDS;

/** The accepted range as said in a reason, e.g. "integer 1..12", "1..12500 miles", "hhmm 0000..2400, minutes 00..59". */
export function describeBounds(column: BoundedColumn): string {
  const { min, max, integer, unit } = FIELD_BOUNDS[column];
  if (unit === 'hhmm') return `hhmm ${String(min).padStart(4, '0')}..${max}, minutes 00..59`;
  return `${integer ? 'integer ' : ''}${min}..${max}${unit === '' ? '' : ` ${unit}`}`;
}

function withinBounds(column: BoundedColumn, value: number): boolean {
  const { min, max, integer, unit } = FIELD_BOUNDS[column];
  if (value < min || value > max || (integer && !Number.isInteger(value))) return false;
  return unit !== 'hhmm' || value % 100 < 60;
}

function isMissing(value: string): boolean {
  return value === '' || value === 'NA';
}

// Strict decimal number: no hex, no "Infinity", no whitespace tricks that Number() would accept.
const NUMBER_PATTERN = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;

/** The field's value, null when missing; refused when it is not a number or outside FIELD_BOUNDS. */
function optionalNumber(fields: string[], column: BoundedColumn): number | null {
  const value = fields[COLUMN_INDEX[column]];
  if (isMissing(value)) return null;
  const number = Number(value);
  if (!NUMBER_PATTERN.test(value) || !Number.isFinite(number)) {
    throw new RecordError(`${column} is not a number: ${JSON.stringify(truncate(value))}`);
  }
  if (!withinBounds(column, number)) {
    throw new RecordError(`${column} out of range: ${truncate(value)} (accepted: ${describeBounds(column)})`);
  }
  return number;
}

function requiredNumber(fields: string[], column: BoundedColumn): number {
  const value = optionalNumber(fields, column);
  if (value === null) throw new RecordError(`${column} is missing`);
  return value;
}

const CODE_PATTERN = /^[A-Za-z0-9]{1,8}$/;

function optionalCode(fields: string[], column: FlightCsvColumn): string | null {
  const value = fields[COLUMN_INDEX[column]];
  if (isMissing(value)) return null;
  if (!CODE_PATTERN.test(value)) throw new RecordError(`${column} is not a code: ${JSON.stringify(truncate(value))}`);
  return value;
}

function optionalYesNo(fields: string[], column: FlightCsvColumn): boolean | null {
  const value = fields[COLUMN_INDEX[column]];
  if (isMissing(value)) return null;
  if (value === 'YES') return true;
  if (value === 'NO') return false;
  throw new RecordError(`${column} must be YES, NO or NA: ${JSON.stringify(truncate(value))}`);
}

function truncate(value: string): string {
  return value.length > 20 ? `${value.slice(0, 20)}…` : value;
}

/**
 * Records are Latin-1, the data set's encoding (TailNum holds Latin-1 bytes on ~9 % of its lines): every byte is
 * one character, so any byte sequence decodes and those bytes stay data.
 */
function decode(raw: Buffer | string): string {
  if (typeof raw === 'string') return raw;
  if (raw.length > MAX_RECORD_BYTES) throw new RecordError(`line too long: ${raw.length} bytes (max ${MAX_RECORD_BYTES})`);
  return raw.toString('latin1');
}

/** Parses one CSV line (without or with a trailing line end), Latin-1 when given as bytes. Never throws. */
export function parseFlightRecord(raw: Buffer | string): ParseResult {
  try {
    const text = decode(raw).replace(/\r?\n?$/, '');
    const bytes = typeof raw === 'string' ? Buffer.byteLength(text, 'utf8') : raw.length;
    if (bytes > MAX_RECORD_BYTES) throw new RecordError(`line too long: ${bytes} bytes (max ${MAX_RECORD_BYTES})`);
    if (text.trim() === '') throw new RecordError('empty line');
    const fields = text.split(',');
    if (fields[0] === 'Year') throw new RecordError('header line');
    if (fields.length !== FLIGHT_CSV_COLUMNS.length) {
      throw new RecordError(`expected ${FLIGHT_CSV_COLUMNS.length} columns, got ${fields.length}`);
    }
    const record: FlightRecord = {
      year: requiredNumber(fields, 'Year'),
      month: requiredNumber(fields, 'Month'),
      dayOfMonth: requiredNumber(fields, 'DayofMonth'),
      dayOfWeek: optionalNumber(fields, 'DayOfWeek'),
      crsDepTime: optionalNumber(fields, 'CRSDepTime'),
      crsArrTime: optionalNumber(fields, 'CRSArrTime'),
      uniqueCarrier: optionalCode(fields, 'UniqueCarrier'),
      flightNum: optionalNumber(fields, 'FlightNum'),
      crsElapsedTime: optionalNumber(fields, 'CRSElapsedTime'),
      origin: optionalCode(fields, 'Origin'),
      dest: optionalCode(fields, 'Dest'),
      distance: optionalNumber(fields, 'Distance'),
      actualDepDelayed: optionalYesNo(fields, 'IsDepDelayed'),
    };
    return { ok: true, record };
  } catch (error) {
    if (error instanceof RecordError) return { ok: false, reason: error.message };
    throw error;
  }
}
