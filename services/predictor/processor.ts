import type { IHeaders } from 'kafkajs';
import type { DeadLetterKind } from './metrics';
import { predictRaw, type FlightIdentity } from './predict';
import type { Scorer } from './scorer';

/** The parts of a consumed Kafka record the transform needs. */
export interface InputRecord {
  key: Buffer | null;
  value: Buffer | null;
  offset: string;
  /** Record timestamp, epoch milliseconds as a string (kafkajs' form). */
  timestamp: string;
}

export interface BatchContext {
  topic: string;
  partition: number;
  instanceId: string;
}

/** A record to produce: key kept from the input. */
export interface OutputRecord {
  key: Buffer | null;
  value: Buffer | null;
  headers?: IHeaders;
  /** Offset of the input record it came from (not sent: kafkajs writes only key, value, headers). */
  sourceOffset: string;
}

export interface DeadLetterRecord extends OutputRecord {
  kind: DeadLetterKind;
  reason: string;
}

/** The JSON value written to the output topic. */
export interface PredictionMessage {
  prediction: 'YES' | 'NO';
  probability: number;
  modelVersion: string;
  flight: FlightIdentity;
  /** Where the input came from: lets readers check loss/duplicates and measure latency. */
  source: { topic: string; partition: number; offset: string; timestamp: number };
  instanceId: string;
}

export interface BatchResult {
  predictions: OutputRecord[];
  deadLetters: DeadLetterRecord[];
}

/**
 * Turns one batch of input records into predictions and dead letters. Pure: no I/O, never throws for any input,
 * and every input record yields exactly one output record (in = out + dead-lettered).
 */
export function processBatch(scorer: Scorer, records: readonly InputRecord[], context: BatchContext): BatchResult {
  const predictions: OutputRecord[] = [];
  const deadLetters: DeadLetterRecord[] = [];
  const deadLetter = (record: InputRecord, kind: DeadLetterKind, reason: string): void => {
    deadLetters.push({
      kind,
      reason,
      key: record.key,
      value: record.value,
      sourceOffset: record.offset,
      headers: {
        reason,
        'source-topic': context.topic,
        'source-partition': String(context.partition),
        'source-offset': record.offset,
        'source-timestamp': record.timestamp,
        'instance-id': context.instanceId,
      },
    });
  };

  for (const record of records) {
    if (record.value === null || record.value.length === 0) {
      deadLetter(record, 'empty', 'empty record value');
      continue;
    }
    let outcome: ReturnType<typeof predictRaw>;
    try {
      outcome = predictRaw(scorer, record.value);
    } catch (error) {
      // A scorer bug must cost one record, not the service.
      deadLetter(record, 'internal', `internal error: ${error instanceof Error ? error.message : String(error)}`);
      continue;
    }
    if (!outcome.ok) {
      deadLetter(record, 'malformed', outcome.reason);
      continue;
    }
    const message: PredictionMessage = {
      prediction: outcome.prediction,
      probability: outcome.probability,
      modelVersion: scorer.modelVersion,
      flight: outcome.flight,
      source: {
        topic: context.topic,
        partition: context.partition,
        offset: record.offset,
        timestamp: Number(record.timestamp),
      },
      instanceId: context.instanceId,
    };
    predictions.push({ key: record.key, value: Buffer.from(JSON.stringify(message)), sourceOffset: record.offset });
  }
  return { predictions, deadLetters };
}
