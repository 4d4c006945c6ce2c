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

const utf8 = new TextDecoder('utf-8', { fatal: true });

class RecordError extends Error {}

function isMissing(value: string): boolean {
  return value === '' || value === 'NA';
}

// Strict decimal number: no hex, no "Infinity", no whitespace tricks that Number() would accept.
const NUMBER_PATTERN = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;

function optionalNumber(fields: string[], column: FlightCsvColumn): number | null {
  const value = fields[COLUMN_INDEX[column]];
  if (isMissing(value)) return null;
  const number = Number(value);
  if (!NUMBER_PATTERN.test(value) || !Number.isFinite(number)) {
    throw new RecordError(`${column} is not a number: ${JSON.stringify(truncate(value))}`);
  }
  return number;
}

function requiredInteger(fields: string[], column: FlightCsvColumn, min: number, max: number): number {
  const value = optionalNumber(fields, column);
  if (value === null) throw new RecordError(`${column} is missing`);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RecordError(`${column} out of range: ${value} (expected ${min}..${max})`);
  }
  return value;
}

function optionalInteger(fields: string[], column: FlightCsvColumn, min: number, max: number): number | null {
  const value = optionalNumber(fields, column);
  if (value !== null && (!Number.isInteger(value) || value < min || value > max)) {
    throw new RecordError(`${column} out of range: ${value} (expected ${min}..${max})`);
  }
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

function decode(raw: Buffer | string): string {
  if (typeof raw === 'string') return raw;
  if (raw.length > MAX_RECORD_BYTES) throw new RecordError(`line too long: ${raw.length} bytes (max ${MAX_RECORD_BYTES})`);
  try {
    return utf8.decode(raw);
  } catch {
    throw new RecordError('not valid UTF-8');
  }
}

/** Parses one CSV line (without or with a trailing newline). Never throws. */
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
      year: requiredInteger(fields, 'Year', 1900, 2100),
      month: requiredInteger(fields, 'Month', 1, 12),
      dayOfMonth: requiredInteger(fields, 'DayofMonth', 1, 31),
      dayOfWeek: optionalInteger(fields, 'DayOfWeek', 1, 7),
      crsDepTime: optionalInteger(fields, 'CRSDepTime', 0, 2400),
      crsArrTime: optionalInteger(fields, 'CRSArrTime', 0, 2400),
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
