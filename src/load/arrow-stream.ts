/**
 * A minimal reader of the Arrow IPC format as Polars' `sinkIpc` writes it (uncompressed,
 * `compatLevel: 'oldest'`): record batches as raw buffers, read from a byte stream as they
 * arrive. Only what ferry's load path needs: the schema is known from the plan, so schema
 * messages are skipped; dictionary batches and compressed bodies are refused.
 *
 * Format: optional file magic `ARROW1\0\0`, then messages — 0xFFFFFFFF, int32 metadata length,
 * a flatbuffer `Message` (header type, header, body length), the body — until a zero length.
 */
import type { Readable } from 'node:stream';

/** One record batch: its row count, per column (node) the null count, and the body buffers in schema order. */
export interface RecordBatchBuffers {
  readonly length: number;
  readonly nullCounts: readonly number[];
  /** Views into the batch's body, in schema order (validity, offsets, values, … per column). */
  readonly buffers: readonly Buffer[];
}

const CONTINUATION = 0xffffffff;
/** Bytes buffered ahead of the encoder before the pipe is left to fill (and Polars to wait). */
const QUEUE_HIGH = 8 << 20;
const QUEUE_LOW = 2 << 20;
const HEADER_SCHEMA = 1;
const HEADER_DICTIONARY_BATCH = 2;
const HEADER_RECORD_BATCH = 3;

/** A queue of chunks from which exact byte counts are taken without re-copying what is left. */
class ByteQueue {
  private chunks: Buffer[] = [];
  private size = 0;
  private ended = false;
  private waiter: (() => void) | null = null;
  private failure: unknown = null;

  constructor(source: Readable) {
    source.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.size += chunk.length;
      if (this.size > QUEUE_HIGH) source.pause();
      this.wake();
    });
    source.on('end', () => {
      this.ended = true;
      this.wake();
    });
    source.on('error', (error) => {
      this.failure = error;
      this.wake();
    });
    this.resume = () => source.resume();
  }

  private resume: () => void;

  private wake(): void {
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.();
  }

  /** Exactly `count` bytes, or null at the end of the stream before any byte of them. */
  async take(count: number, reuse: Buffer | null = null): Promise<Buffer | null> {
    // A large message (a record batch's body: tens of MiB) is copied into its buffer as the
    // chunks arrive, so the chunks and the whole body are never held at once; `reuse`, when
    // large enough, is that buffer (the previous body, which its reader is done with).
    const out = count > QUEUE_HIGH ? (reuse !== null && reuse.length >= count ? reuse.subarray(0, count) : Buffer.allocUnsafe(count)) : null;
    let filled = 0;
    while (this.size < count - filled) {
      if (this.failure !== null) throw this.failure;
      if (out !== null && this.size > 0) {
        filled += this.moveInto(out, filled, this.size);
        continue;
      }
      if (this.ended) {
        if (this.size === 0 && filled === 0) return null;
        throw new Error(`Arrow IPC stream ended inside a message (${this.size + filled} of ${count} bytes)`);
      }
      this.resume();
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
      });
    }
    if (out !== null) {
      this.moveInto(out, filled, count - filled);
      if (this.size < QUEUE_LOW) this.resume();
      return out;
    }
    let result: Buffer;
    const first = this.chunks[0] as Buffer;
    if (first.length >= count) {
      result = first.subarray(0, count);
      if (first.length === count) this.chunks.shift();
      else this.chunks[0] = first.subarray(count);
      this.size -= count;
    } else {
      result = Buffer.allocUnsafe(count);
      this.moveInto(result, 0, count);
    }
    if (this.size < QUEUE_LOW) this.resume();
    return result;
  }

  /** Moves `count` queued bytes into `out` at `at`; returns `count`. */
  private moveInto(out: Buffer, at: number, count: number): number {
    let filled = 0;
    while (filled < count) {
      const chunk = this.chunks[0] as Buffer;
      const n = Math.min(chunk.length, count - filled);
      chunk.copy(out, at + filled, 0, n);
      filled += n;
      if (n === chunk.length) this.chunks.shift();
      else this.chunks[0] = chunk.subarray(n);
    }
    this.size -= count;
    return count;
  }

  /** Reads and drops everything left (a file's footer), so that the writer can finish. */
  async drain(): Promise<void> {
    while (!this.ended) {
      if (this.failure !== null) throw this.failure;
      this.chunks = [];
      this.size = 0;
      this.resume();
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
      });
    }
    this.chunks = [];
    this.size = 0;
  }
}

/** A flatbuffer table: field i's position, or null when absent. */
class Table {
  readonly bytes: Buffer;
  readonly position: number;

  constructor(bytes: Buffer, position: number) {
    this.bytes = bytes;
    this.position = position;
  }

  private field(index: number): number | null {
    const vtable = this.position - this.bytes.readInt32LE(this.position);
    const vtableSize = this.bytes.readUInt16LE(vtable);
    const entry = 4 + index * 2;
    if (entry >= vtableSize) return null;
    const offset = this.bytes.readUInt16LE(vtable + entry);
    return offset === 0 ? null : this.position + offset;
  }

  uint8(index: number): number {
    const at = this.field(index);
    return at === null ? 0 : this.bytes.readUInt8(at);
  }

  int64(index: number): number {
    const at = this.field(index);
    return at === null ? 0 : Number(this.bytes.readBigInt64LE(at));
  }

  table(index: number): Table | null {
    const at = this.field(index);
    return at === null ? null : new Table(this.bytes, at + this.bytes.readUInt32LE(at));
  }

  /** A vector of structs of `size` bytes: its start and length. */
  structs(index: number): { start: number; length: number } {
    const at = this.field(index);
    if (at === null) return { start: 0, length: 0 };
    const vector = at + this.bytes.readUInt32LE(at);
    return { start: vector + 4, length: this.bytes.readUInt32LE(vector) };
  }
}

/** Yields the record batches of an Arrow IPC stream or file as they arrive. */
/**
 * Where the body buffer of large record batches is kept between streams of one COPY: the
 * parts of a file are read one after the other, each batch encoded before the next is read.
 */
export interface BodyBuffer {
  spare: Buffer | null;
}

export async function* readRecordBatches(source: Readable, bodies: BodyBuffer = { spare: null }): AsyncGenerator<RecordBatchBuffers> {
  const queue = new ByteQueue(source);
  let word = await queue.take(4);
  if (word === null) return;
  if (word.toString('latin1') === 'ARRO') {
    await queue.take(4); // "W1" and padding
    word = await queue.take(4);
    // Polars' file writer puts the schema message after the magic without the usual
    // continuation and length; the schema is not needed here, so skip to the first framed
    // message (messages start 8-byte aligned, and the schema flatbuffer holds no aligned
    // 0xFFFFFFFF: its offsets are positive or small negative vtable distances).
    while (word !== null && word.readUInt32LE(0) !== CONTINUATION) {
      await queue.take(4);
      word = await queue.take(4);
    }
  }
  while (word !== null) {
    let metadataLength = word.readUInt32LE(0);
    if (metadataLength === CONTINUATION) metadataLength = ((await queue.take(4)) as Buffer).readUInt32LE(0);
    if (metadataLength === 0) break; // end of stream
    const metadata = (await queue.take(metadataLength)) as Buffer;
    const message = new Table(metadata, metadata.readUInt32LE(0));
    const headerType = message.uint8(1);
    const bodyLength = message.int64(3);
    // One body buffer for the whole stream: a batch is encoded completely before the next is read.
    const body: Buffer = bodyLength > 0 ? ((await queue.take(bodyLength, bodies.spare)) as Buffer) : Buffer.alloc(0);
    if (body.length > QUEUE_HIGH && (bodies.spare === null || body.buffer !== bodies.spare.buffer)) bodies.spare = body;
    if (headerType === HEADER_RECORD_BATCH) {
      const header = message.table(2);
      if (header === null) throw new Error('Arrow IPC record batch without a header');
      if (header.table(3) !== null) throw new Error('compressed Arrow IPC bodies are not supported here');
      const nodes = header.structs(1);
      const nullCounts: number[] = [];
      for (let i = 0; i < nodes.length; i++) nullCounts.push(Number(metadata.readBigInt64LE(nodes.start + i * 16 + 8)));
      const buffers = header.structs(2);
      const views: Buffer[] = [];
      for (let i = 0; i < buffers.length; i++) {
        const offset = Number(metadata.readBigInt64LE(buffers.start + i * 16));
        const length = Number(metadata.readBigInt64LE(buffers.start + i * 16 + 8));
        views.push(body.subarray(offset, offset + length));
      }
      yield { length: header.int64(0), nullCounts, buffers: views };
    } else if (headerType === HEADER_DICTIONARY_BATCH) {
      throw new Error('dictionary-encoded Arrow IPC columns are not supported here');
    } else if (headerType !== HEADER_SCHEMA) {
      throw new Error(`unexpected Arrow IPC message type ${headerType}`);
    }
    word = await queue.take(4);
  }
  await queue.drain();
}
