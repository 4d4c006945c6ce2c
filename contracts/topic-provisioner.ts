// The topic provisioner's exit codes: its CLI (services/topics/cli.ts) exits with them, the KafkaTopics Job's pod
// failure policy and local/cli.ts read them.

export const EXIT_CODES = {
  ok: 0,
  unexpected: 1,
  invalidSpec: 2,
  brokersNotReady: 3,
  driftRefused: 4,
} as const;

export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

/** Failures no retry can fix: a spec the cluster cannot satisfy, drift the provisioner refuses to change. */
export const PERMANENT_EXIT_CODES: readonly ExitCode[] = [EXIT_CODES.invalidSpec, EXIT_CODES.driftRefused];
