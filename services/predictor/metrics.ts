import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Why a record went to the dead-letter topic; a small fixed set so the label stays low-cardinality. */
export type DeadLetterKind = 'malformed' | 'empty' | 'internal';

/**
 * Outputs sent and not yet answered: now, and the most at once since the previous scrape, so a spike shorter than
 * the scrape interval (a broker dying under in-flight sends) still shows.
 */
export class OutputsInFlight {
  private current = 0;
  private peak = 0;

  constructor(registers: Registry[]) {
    const outputs = this;
    new Gauge({
      name: 'predictor_outputs_in_flight',
      help: 'Outputs sent and not yet acknowledged or failed.',
      registers,
      collect() {
        this.set(outputs.current);
      },
    });
    new Gauge({
      name: 'predictor_outputs_in_flight_peak',
      help: 'The most outputs in flight at once since the previous scrape.',
      registers,
      collect() {
        this.set(outputs.peak);
        outputs.peak = outputs.current;
      },
    });
  }

  sent(count: number): void {
    this.current += count;
    this.peak = Math.max(this.peak, this.current);
  }

  settled(count: number): void {
    this.current -= count;
  }
}

/** The service's Prometheus metrics, on a Registry of its own (never prom-client's global one). */
export class PredictorMetrics {
  readonly registry: Registry;
  readonly recordsIn: Counter;
  readonly recordsOut: Counter;
  readonly recordsDeadLettered: Counter<'kind'>;
  readonly batchesFailed: Counter;
  readonly batchSeconds: Histogram;
  readonly recordLatencySeconds: Histogram;
  readonly assignedPartitions: Gauge;
  readonly consumerRestarts: Counter;
  readonly outputsUnacknowledged: Counter;
  readonly outputsHandedOver: Counter;
  readonly outputsInFlight: OutputsInFlight;
  readonly producerRestarts: Counter;

  constructor(labels: { instance: string; mode: string }) {
    this.registry = new Registry();
    this.registry.setDefaultLabels(labels);
    collectDefaultMetrics({ register: this.registry, prefix: 'predictor_' });
    const registers = [this.registry];
    this.recordsIn = new Counter({
      name: 'predictor_records_in_total',
      help: 'Input records taken from the input topic (each counted once per successful batch).',
      registers,
    });
    this.recordsOut = new Counter({
      name: 'predictor_records_out_total',
      help: 'Predictions written to the output topic and acknowledged.',
      registers,
    });
    this.recordsDeadLettered = new Counter({
      name: 'predictor_records_dead_lettered_total',
      help: 'Input records written to the dead-letter topic, by kind of failure.',
      labelNames: ['kind'],
      registers,
    });
    this.batchesFailed = new Counter({
      name: 'predictor_batches_failed_total',
      help: 'Batches whose produce/commit failed and will be processed again.',
      registers,
    });
    this.batchSeconds = new Histogram({
      name: 'predictor_batch_processing_seconds',
      help: 'Time from receiving a batch to its outputs acknowledged and offsets committed.',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.recordLatencySeconds = new Histogram({
      name: 'predictor_record_latency_seconds',
      help: 'Per record: input record timestamp to its output acknowledged.',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.consumerRestarts = new Counter({
      name: 'predictor_consumer_restarts_total',
      help: 'Consumers replaced because their fetch loop stalled.',
      registers,
    });
    this.outputsUnacknowledged = new Counter({
      name: 'predictor_outputs_unacknowledged_total',
      help: 'Outputs sent in a request that failed without an acknowledgement: stored or not, the only ones a retry can duplicate.',
      registers,
    });
    this.outputsInFlight = new OutputsInFlight(registers);
    this.outputsHandedOver = new Counter({
      name: 'predictor_outputs_handed_over_total',
      help: 'Acknowledged outputs of uncommitted records whose partition went to another instance at a rebalance (it may write them again).',
      registers,
    });
    this.producerRestarts = new Counter({
      name: 'predictor_producer_restarts_total',
      help: 'Producers replaced because a send or commit hung.',
      registers,
    });
    this.assignedPartitions = new Gauge({
      name: 'predictor_assigned_partitions',
      help: 'Input topic partitions currently assigned to this instance.',
      registers,
    });
  }
}
