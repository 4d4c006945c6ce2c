// The one path from a raw CSV record to a prediction, shared by the CLI and the Kafka service.

import { parseFlightRecord, type FlightRecord } from './flight-record';
import type { Scorer } from './scorer';

/** Identifies the flight a prediction is about (for logs and output messages). */
export interface FlightIdentity {
  carrier: string | null;
  flightNum: number | null;
  origin: string | null;
  dest: string | null;
  /** Scheduled date, YYYY-MM-DD. */
  date: string;
}

export type PredictionOutcome =
  | { ok: true; prediction: 'YES' | 'NO'; probability: number; flight: FlightIdentity }
  | { ok: false; reason: string };

function pad2(value: number): string {
  return value < 10 ? `0${value}` : String(value);
}

export function flightIdentity(record: FlightRecord): FlightIdentity {
  return {
    carrier: record.uniqueCarrier,
    flightNum: record.flightNum,
    origin: record.origin,
    dest: record.dest,
    date: `${record.year}-${pad2(record.month)}-${pad2(record.dayOfMonth)}`,
  };
}

/** Parses and scores one raw record. Never throws for bad input: it returns `{ ok: false, reason }`. */
export function predictRaw(scorer: Scorer, raw: Buffer | string): PredictionOutcome {
  const parsed = parseFlightRecord(raw);
  if (!parsed.ok) return parsed;
  const { prediction, probability } = scorer.score(parsed.record);
  return { ok: true, prediction, probability, flight: flightIdentity(parsed.record) };
}
