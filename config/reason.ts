// A written reason for accepting what a rule would otherwise refuse (a wide admin CIDR or an image without a digest
// in production). Reviewers read it later, so it has to say something: a placeholder is no reason.

/** The shortest reason accepted, in characters after trimming. */
export const MIN_REASON_LENGTH = 10;
/** A sentence has letters; "1234567890" or "----------" is padding, not a reason. */
const MIN_DISTINCT_LETTERS = 3;

/** Why `value` is not a usable reason, or undefined when it is one. */
export function reasonProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return `expected a sentence, got ${value === undefined ? 'nothing' : typeof value}`;
  const text = value.trim();
  if (text.length < MIN_REASON_LENGTH) return `"${text}" is too short to explain anything (${text.length} of at least ${MIN_REASON_LENGTH} characters)`;
  if (new Set(text.toLowerCase().replace(/[^\p{L}]/gu, '')).size < MIN_DISTINCT_LETTERS) return `"${text}" is not a sentence`;
  // The example in the fix messages reads '<why ...>': copied unchanged, it explains nothing.
  if (/<[^>]*>/.test(text)) return `"${text}" still holds the <...> placeholder of the example`;
  return undefined;
}

export const REASON_FIX = `write why in a sentence of at least ${MIN_REASON_LENGTH} characters, e.g. "office VPN range, ticket NET-12"`;
