// Reads flight records from the data file as raw bytes and replays them into a topic at a steady rate.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Producer } from 'kafkajs';
import { PartitionedSender } from '../services/common/partitioned-send';
import { splitBufferLines } from '../services/predictor/lines';
import { REPO_ROOT, sleep } from './instances';

export interface FlightLine {
  key: string;
  /** The CSV line exactly as stored, without its line end (Latin-1: some lines hold bytes above 0x7F; sent unchanged). */
  value: Buffer;
  /** IsDepDelayed from the line, for accuracy; null when absent. */
  label: 'YES' | 'NO' | null;
}

/** The data file: AIRLINE_DATA, else ../shared/data/airlines/allyears2k_headers.train.csv next to the repo. */
export function dataFilePath(): string {
  const path = process.env.AIRLINE_DATA ?? resolve(REPO_ROOT, '..', 'shared', 'data', 'airlines', 'allyears2k_headers.train.csv');
  if (!existsSync(path)) throw new Error(`flight data file not found: ${path} (set AIRLINE_DATA)`);
  return path;
}

/**
 * Up to `limit` records (all when undefined), header skipped, keys `<keyPrefix><n>`. CR, LF and CRLF all end a
 * record (the same splitter as `npm run predict`); empty lines are not records here.
 */
export function readFlightLines(path: string, limit: number | undefined, keyPrefix: string): FlightLine[] {
  const lines: FlightLine[] = [];
  let first = true;
  for (const value of splitBufferLines(readFileSync(path))) {
    if (limit !== undefined && lines.length >= limit) break;
    const text = value.toString('latin1');
    if (first) {
      first = false;
      if (text.startsWith('Year,')) continue;
    }
    if (value.length === 0) continue;
    const label = text.slice(text.lastIndexOf(',') + 1);
    lines.push({
      key: `${keyPrefix}${lines.length}`,
      value,
      label: label === 'YES' || label === 'NO' ? label : null,
    });
  }
  return lines;
}

export interface ReplayOptions {
  topic: string;
  /** Records per second; 0 sends as fast as acknowledgements come back. */
  ratePerSecond: number;
  onProgress?: (sent: number) => void;
  /** Stop early (e.g. on SIGINT). */
  signal?: AbortSignal;
  /** Partitions of the topic (default 10): sends go one partition at a time. */
  partitions?: number;
  /** Pacing step (default 250 ms): each step's records go out together, one request per partition. */
  tickMs?: number;
}

/**
 * Sends every record with acks=all, in small chunks paced to the rate. Several chunks stay in flight so a slow
 * acknowledgement does not throttle the replay. Returns the number of records acknowledged.
 */
/**
 * A send that failed was not acknowledged, so sending it again can duplicate but never lose a record. Leader changes
 * (a broker killed mid-replay) can fail a request that a moment later succeeds.
 */
async function sendWithRetries(send: () => Promise<unknown>, attempts = 4, pauseMs = 500): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await send();
      return;
    } catch (error) {
      if (attempt >= attempts) throw error;
      await sleep(pauseMs * attempt);
    }
  }
}

export async function replay(producer: Producer, records: readonly FlightLine[], options: ReplayOptions): Promise<number> {
  // Larger steps mean larger requests (more throughput); smaller steps, less waiting in the producer.
  const tickMs = options.tickMs ?? 250;
  const chunk = options.ratePerSecond > 0 ? Math.max(1, Math.round((options.ratePerSecond * tickMs) / 1000)) : 500;
  const maxInFlight = 16;
  const startedAt = Date.now();
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  let queued = 0;
  let acknowledged = 0;
  const partitioned = new PartitionedSender(new Map([[options.topic, options.partitions ?? 10]]));
  while (queued < records.length && failure === undefined && !options.signal?.aborted) {
    const slice = records.slice(queued, queued + chunk);
    queued += slice.length;
    const messages = slice.map((record) => ({ key: record.key, value: record.value }));
    const sending: Promise<void> = sendWithRetries(() => partitioned.send(producer, options.topic, messages))
      .then(
        () => {
          acknowledged += slice.length;
          options.onProgress?.(acknowledged);
        },
        (error: unknown) => {
          failure ??= error;
        },
      )
      .finally(() => inFlight.delete(sending));
    inFlight.add(sending);
    if (inFlight.size >= maxInFlight) await Promise.race(inFlight);
    if (options.ratePerSecond > 0) {
      const wait = startedAt + (queued / options.ratePerSecond) * 1000 - Date.now();
      if (wait > 0) await sleep(wait);
    }
  }
  await Promise.all(inFlight);
  if (failure !== undefined) throw failure;
  return acknowledged;
}
