// Splits raw bytes into lines, the one splitter used by `npm run predict` and the demo/bench/test replay.
//
// CR, LF and CRLF all end a line, mixed in one input too (a CRLF counts once, even split across two chunks).
// Lines are split as bytes, never decoded here: flight records are Latin-1 and every byte is data.
// Text after the last line end is a line only if it is not empty, so a final newline adds no empty record;
// an empty line between two line ends is yielded (as an empty Buffer) so that callers can report it.

const LF = 0x0a;
const CR = 0x0d;

/** A line longer than the limit: only its length is kept. */
export interface OversizedLine {
  oversizedBytes: number;
}

/**
 * Incremental splitter: `push` chunks, then `end`. Memory stays bounded: a line over `maxBytes` is dropped while
 * reading and reported as OversizedLine.
 */
export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private oversized = false;
  /** The previous chunk ended with CR: an LF starting the next one belongs to the same line end. */
  private afterCr = false;

  constructor(private readonly maxBytes = Number.POSITIVE_INFINITY) {}

  /** The lines completed by this chunk. */
  push(chunk: Buffer): Array<Buffer | OversizedLine> {
    const lines: Array<Buffer | OversizedLine> = [];
    let start = 0;
    if (this.afterCr && chunk.length > 0 && chunk[0] === LF) start = 1;
    if (chunk.length > 0) this.afterCr = false;
    for (let i = start; i < chunk.length; i++) {
      const byte = chunk[i];
      if (byte !== LF && byte !== CR) continue;
      this.take(chunk.subarray(start, i));
      lines.push(this.finish());
      if (byte === CR) {
        if (i + 1 === chunk.length) this.afterCr = true;
        else if (chunk[i + 1] === LF) i++;
      }
      start = i + 1;
    }
    this.take(chunk.subarray(start));
    return lines;
  }

  /** The last line when it has no line end (none when the input ended with one). */
  end(): Array<Buffer | OversizedLine> {
    this.afterCr = false;
    return this.pendingBytes > 0 ? [this.finish()] : [];
  }

  private take(piece: Buffer): void {
    this.pendingBytes += piece.length;
    if (this.oversized) return;
    if (this.pendingBytes > this.maxBytes) {
      this.oversized = true;
      this.pending = [];
    } else if (piece.length > 0) {
      this.pending.push(piece);
    }
  }

  private finish(): Buffer | OversizedLine {
    const line = this.oversized ? { oversizedBytes: this.pendingBytes } : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    this.oversized = false;
    return line;
  }
}

/** Splits a byte stream into lines (without their line ends). Strings are taken as their UTF-8 bytes. */
export async function* splitLines(
  input: AsyncIterable<Buffer | string>,
  maxBytes?: number,
): AsyncGenerator<Buffer | OversizedLine> {
  const splitter = new LineSplitter(maxBytes);
  for await (const chunk of input) {
    yield* splitter.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk);
  }
  yield* splitter.end();
}

/** The lines of a whole buffer (e.g. a file read at once), without their line ends and with no length limit. */
export function splitBufferLines(bytes: Buffer): Buffer[] {
  const splitter = new LineSplitter();
  return [...splitter.push(bytes), ...splitter.end()] as Buffer[];
}
