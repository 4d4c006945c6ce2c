// The demo's closing table, the same on processes and on Kubernetes: per-instance counts, loss, duplicates,
// throughput, latency and accuracy.
import { percentile, type OutputCollector } from './collector';

export interface ReplayTiming {
  replayStarted: number;
  replayDone: number;
  lastOutputAt: number;
}

export interface DemoOutcome {
  lost: number;
  duplicates: number;
}

/** Prints the summary; `instanceTitle` names the first column (instance, pod). */
export function printSummary(
  say: (line: string) => void,
  collector: OutputCollector,
  labels: ReadonlyMap<string, 'YES' | 'NO' | null>,
  sent: number,
  timing: ReplayTiming,
  instanceTitle = 'instance',
): DemoOutcome {
  const perInstance = new Map<string, { predictions: number; deadLettered: number }>();
  const bucket = (id: string) => {
    let entry = perInstance.get(id);
    if (!entry) perInstance.set(id, (entry = { predictions: 0, deadLettered: 0 }));
    return entry;
  };
  const latencies: number[] = [];
  let labelled = 0;
  let correct = 0;
  let duplicates = 0;
  for (const [key, outputs] of collector.predictions) {
    duplicates += outputs.length - 1;
    for (const output of outputs) bucket(output.message.instanceId).predictions += 1;
    latencies.push(outputs[0].latencyMs);
    const label = labels.get(key);
    if (label) {
      labelled += 1;
      if (outputs[0].message.prediction === label) correct += 1;
    }
  }
  const reasons = new Map<string, number>();
  for (const deadLetters of collector.deadLetters.values()) {
    duplicates += deadLetters.length - 1;
    for (const dead of deadLetters) bucket(dead.instanceId).deadLettered += 1;
    reasons.set(deadLetters[0].reason, (reasons.get(deadLetters[0].reason) ?? 0) + 1);
  }
  const lost = collector.missingKeys(labels.keys()).length;
  const seconds = (timing.lastOutputAt - timing.replayStarted) / 1000;
  const width = Math.max(15, ...[...perInstance.keys()].map((id) => id.length));
  say('');
  say(`${instanceTitle.padEnd(width)} predictions  dead-lettered`);
  for (const id of [...perInstance.keys()].sort()) {
    const entry = perInstance.get(id)!;
    say(`${id.padEnd(width)} ${String(entry.predictions).padStart(11)}  ${String(entry.deadLettered).padStart(13)}`);
  }
  say('');
  say(`records in          ${sent}`);
  say(`predictions out     ${collector.predictions.size}`);
  say(`dead-lettered       ${collector.deadLetters.size}${[...reasons].map(([r, n]) => `\n  ${n} x ${r}`).join('')}`);
  say(`lost                ${lost}`);
  say(`duplicates          ${duplicates}`);
  say(`throughput          ${(sent / seconds).toFixed(0)} records/s end to end (replay ${((timing.replayDone - timing.replayStarted) / 1000).toFixed(1)} s, last output at ${seconds.toFixed(1)} s)`);
  say(`latency p50 / p99   ${percentile(latencies, 50)} ms / ${percentile(latencies, 99)} ms (input record timestamp -> output record timestamp)`);
  say(`accuracy            ${labelled > 0 ? ((100 * correct) / labelled).toFixed(1) : 'n/a'}% of ${labelled} labelled predictions match IsDepDelayed`);
  say('');
  return { lost, duplicates };
}
