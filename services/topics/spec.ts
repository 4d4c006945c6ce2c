// The topic spec: what the provisioner is asked to make true. Parsed and checked as a whole before any request.
import { z } from 'zod';
import type { TopicSpec } from '../../contracts/topics';
import { TopicSpecError } from './errors';
import { KNOWN_TOPIC_CONFIG_KEYS } from './topic-configs';

/** A topic as the provisioner handles it: every field present. */
export type DesiredTopic = Required<TopicSpec>;

const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

const configValue = z.union([z.string(), z.number(), z.boolean()]).transform(String);

const topicSchema = z
  .object({
    name: z
      .string({ required_error: 'is required' })
      .regex(TOPIC_NAME, 'must be 1-249 characters of a-z, A-Z, 0-9, ".", "_", "-"')
      .refine((name) => name !== '.' && name !== '..', 'must not be "." or ".."'),
    partitions: z
      .number({ required_error: 'is required', invalid_type_error: 'must be a number' })
      .int('must be an integer')
      .min(1, 'must be at least 1'),
    replicationFactor: z
      .number({ required_error: 'is required', invalid_type_error: 'must be a number' })
      .int('must be an integer')
      .min(1, 'must be at least 1')
      .max(32767, 'must be at most 32767'),
    config: z
      .record(
        z.string().refine((key) => KNOWN_TOPIC_CONFIG_KEYS.has(key), (key) => ({ message: `unknown topic config key "${key}"` })),
        configValue,
      )
      .default({}),
  })
  .strict();

const specSchema = z.union([
  z.array(topicSchema),
  z.object({ topics: z.array(topicSchema) }).strict().transform((value) => value.topics),
]);

function formatPath(path: Array<string | number>): string {
  return path.reduce<string>(
    (text, part) => (typeof part === 'number' ? `${text}[${part}]` : text ? `${text}.${part}` : part),
    'topics',
  );
}

/** Checks a parsed spec's topics together; returns one message per problem. */
export function topicSpecIssues(topics: readonly DesiredTopic[]): string[] {
  const issues: string[] = [];
  if (topics.length === 0) issues.push('topics: the spec lists no topics');
  const seen = new Map<string, string>();
  const names = new Set<string>();
  topics.forEach((topic, index) => {
    const where = `topics[${index}] (${topic.name})`;
    // Kafka treats "." and "_" as the same character in metric names, so it refuses such pairs.
    const collisionKey = topic.name.replace(/\./g, '_');
    const earlier = seen.get(collisionKey);
    if (names.has(topic.name)) issues.push(`${where}: duplicate topic name`);
    else if (earlier !== undefined) issues.push(`${where}: collides with "${earlier}" (Kafka treats "." and "_" alike)`);
    names.add(topic.name);
    if (earlier === undefined) seen.set(collisionKey, topic.name);
    for (const [key, value] of Object.entries(topic.config)) {
      if (!KNOWN_TOPIC_CONFIG_KEYS.has(key)) issues.push(`${where}: unknown topic config key "${key}"`);
      else if (value.trim() === '') issues.push(`${where}: config "${key}" is empty`);
    }
    const minIsr = topic.config['min.insync.replicas'];
    if (minIsr !== undefined) {
      const value = Number(minIsr);
      if (!Number.isInteger(value) || value < 1) {
        issues.push(`${where}: min.insync.replicas must be a positive integer, got "${minIsr}"`);
      } else if (value > topic.replicationFactor) {
        issues.push(
          `${where}: min.insync.replicas ${value} exceeds replicationFactor ${topic.replicationFactor}: no write could ever succeed`,
        );
      }
    }
  });
  return issues;
}

/** Parses a spec (`[topic, ...]` or `{ "topics": [...] }`); throws TopicSpecError listing every problem. */
export function parseTopicSpec(raw: unknown): DesiredTopic[] {
  const parsed = specSchema.safeParse(raw);
  if (!parsed.success) {
    // The union reports each branch; show the array branch's issues unless the input is an object.
    const issues = parsed.error.issues.flatMap((issue) =>
      issue.code === 'invalid_union'
        ? issue.unionErrors[Array.isArray(raw) ? 0 : 1].issues
        : [issue],
    );
    throw new TopicSpecError(
      'invalid topic spec',
      issues.map((issue) => `${formatPath(Array.isArray(raw) ? issue.path : issue.path.slice(1))}: ${issue.message}`),
    );
  }
  const topics = parsed.data.map((topic) => ({ ...topic, config: { ...topic.config } }));
  const issues = topicSpecIssues(topics);
  if (issues.length > 0) throw new TopicSpecError('invalid topic spec', issues);
  return topics;
}

/** Parses spec JSON text; `source` names where it came from (a file, an env var) for the error. */
export function parseTopicSpecJson(text: string, source: string): DesiredTopic[] {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new TopicSpecError(`${source} is not valid JSON: ${(error as Error).message}`);
  }
  return parseTopicSpec(raw);
}
