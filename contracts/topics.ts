// The topics between the producers, the predictor and its readers, by role, and the predictor's consumer group.
// A new role is a new entry in TOPIC_ROLES, TOPIC_NAMES and TOPIC_ROLE_VARIABLES.

export const TOPIC_ROLES = ['input', 'output', 'deadLetter'] as const;
export type TopicRole = (typeof TOPIC_ROLES)[number];

export const TOPIC_NAMES: Readonly<Record<TopicRole, string>> = {
  input: 'AirlineInputTopic',
  output: 'AirlineOutputTopic',
  deadLetter: 'AirlineDeadLetterTopic',
};

/** The predictor's environment variable that names each role's topic. */
export const TOPIC_ROLE_VARIABLES = {
  input: 'INPUT_TOPIC',
  output: 'OUTPUT_TOPIC',
  deadLetter: 'DEAD_LETTER_TOPIC',
} as const satisfies Record<TopicRole, string>;

/** Topic names by role. */
export type TopicsByRole = Readonly<Record<TopicRole, string>>;

/** The role names with a suffix each (run-specific topics on a shared cluster). */
export function topicNamesWithSuffix(suffix: string): TopicsByRole {
  return Object.fromEntries(TOPIC_ROLES.map((role) => [role, TOPIC_NAMES[role] + suffix])) as Record<TopicRole, string>;
}

export interface TopicSpec {
  name: string;
  partitions: number;
  replicationFactor: number;
  /** Topic-level configs, e.g. { 'min.insync.replicas': '2' }. */
  config?: Record<string, string>;
}

/** 10 partitions (the predictor scales to at most 10 consumers), RF 3 with min ISR 2: one broker may be down. */
export const TOPIC_DEFAULTS = {
  partitions: 10,
  replicationFactor: 3,
  config: { 'min.insync.replicas': '2' } as Readonly<Record<string, string>>,
} as const;

/** A topic spec with the defaults. */
export function defaultTopicSpec(name: string): Required<TopicSpec> {
  return { name, partitions: TOPIC_DEFAULTS.partitions, replicationFactor: TOPIC_DEFAULTS.replicationFactor, config: { ...TOPIC_DEFAULTS.config } };
}

/** Kafka topic names: legal characters and length as the broker enforces them. */
export const TOPIC_NAME_PATTERN = /^[a-zA-Z0-9._-]{1,249}$/;

/** The consumer group every predictor instance joins. */
export const PREDICTOR_GROUP_ID = 'airline-predictor';
