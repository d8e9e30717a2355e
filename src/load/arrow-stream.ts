/**
 * A minimal reader of the Arrow IPC format as Polars' `sinkIpc` writes it (uncompressed,
 * `compatLevel: 'oldest'`): record batches as raw buffers, read from a byte stream as they
 * arrive. Only what ferry's load path needs: the schema is known from the plan, so schema
 * messages are skipped; dictionary batches and compressed bodies are refused.
 *
 * Format: optional file magic `ARROW1\0\0`, then messages — 0xFFFFFFFF, int32 metadata length,
 * a flatbuffer `Message` (header type, header, body length), the body — until a zero length.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import net from 'node:net';

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
/** Size of the buffers bytes are read into; each is reused once its bytes are taken. */
const READ_BUFFER = 1 << 20;
const HEADER_SCHEMA = 1;
const HEADER_DICTIONARY_BATCH = 2;
const HEADER_RECORD_BATCH = 3;

/**
 * Memory kept across the streams of one COPY (the parts of a file are read one after the
 * other): the buffer the current record batch's body is copied into (a batch is encoded
 * completely before the next is read), and a pipe's read buffers whose bytes were all taken.
 * Without it every read and every batch would be new garbage the size of the data, and V8
 * answers that much off-heap garbage with full collections: a 3M-row file saw 18 of them.
 */
export interface StreamBuffers {
  spare: Buffer | null;
  readonly free: Buffer[];
}

export function streamBuffers(): StreamBuffers {
  return { spare: null, free: [] };
}

/**
 * The bytes of a pipe, as Polars writes them, from which exact byte counts are taken. They are
 * read into buffers of READ_BUFFER bytes from `buffers.free` (net.Socket's `onread`), and a
 * buffer goes back there once every byte of it was taken, so take() always copies: into
 * `reuse` for a batch body, into a small new buffer for the messages' metadata.
 */
export class PipeQueue {
  /** The socket on the pipe's read end; destroy it to stop reading. */
  readonly socket: net.Socket;
  private chunks: Buffer[] = [];
  private size = 0;
  private ended = false;
  private waiter: (() => void) | null = null;
  private failure: unknown = null;
  private readonly buffers: StreamBuffers;

  /** `fd`: the pipe's read end, opened non-blocking. */
  constructor(fd: number, buffers: StreamBuffers) {
    this.buffers = buffers;
    this.socket = new net.Socket({
      fd,
      readable: true,
      writable: false,
      onread: {
        buffer: () => this.readBuffer(),
        // Node reads next into another buffer from `buffer`: this one is the queue's now.
        callback: (bytes, buffer) => this.push(Buffer.from(buffer.buffer, buffer.byteOffset, bytes)),
      },
    });
    this.socket.on('end', () => {
      this.ended = true;
      this.wake();
    });
    this.socket.on('error', (error) => {
      this.failure = error;
      this.wake();
    });
  }

  private resume(): void {
    this.socket.resume();
  }

  /** A buffer to read into. */
  private readBuffer(): Buffer {
    return this.buffers.free.pop() ?? Buffer.allocUnsafeSlow(READ_BUFFER);
  }

  /** Adds bytes read into a buffer from readBuffer(); false when the socket should pause. */
  private push(chunk: Buffer): boolean {
    this.chunks.push(chunk);
    this.size += chunk.length;
    this.wake();
    return this.size <= QUEUE_HIGH;
  }

  private wake(): void {
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.();
  }

  private recycle(chunk: Buffer): void {
    if (chunk.buffer.byteLength === READ_BUFFER) this.buffers.free.push(Buffer.from(chunk.buffer));
  }

  /**
   * Exactly `count` bytes, or null at the end of the stream before any byte of them. They are
   * copied into `reuse` when it is large enough, else into a new buffer.
   */
  async take(count: number, reuse: Buffer | null = null): Promise<Buffer | null> {
    // A large message (a record batch's body: up to tens of MiB) is copied into its buffer as
    // the chunks arrive, so the chunks and the whole body are never held at once.
    const out = reuse !== null && reuse.length >= count ? reuse.subarray(0, count) : Buffer.allocUnsafe(count);
    let filled = 0;
    while (this.size < count - filled) {
      if (this.failure !== null) throw this.failure;
      if (this.size > 0) {
        filled += this.moveInto(out, filled, this.size);
        continue;
      }
      if (this.ended) {
        if (filled === 0) return null;
        throw new Error(`Arrow IPC stream ended inside a message (${filled} of ${count} bytes)`);
      }
      this.resume();
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
      });
    }
    this.moveInto(out, filled, count - filled);
    if (this.size < QUEUE_LOW) this.resume();
    return out;
  }

  /** Moves `count` queued bytes into `out` at `at`; returns `count`. */
  private moveInto(out: Buffer, at: number, count: number): number {
    let filled = 0;
    while (filled < count) {
      const chunk = this.chunks[0] as Buffer;
      const n = Math.min(chunk.length, count - filled);
      chunk.copy(out, at + filled, 0, n);
      filled += n;
      if (n === chunk.length) {
        this.chunks.shift();
        this.recycle(chunk);
      } else this.chunks[0] = chunk.subarray(n);
    }
    this.size -= count;
    return count;
  }

  /** Reads and drops everything left (a file's footer), so that the writer can finish. */
  async drain(): Promise<void> {
    for (;;) {
      for (const chunk of this.chunks) this.recycle(chunk);
      this.chunks = [];
      this.size = 0;
      if (this.failure !== null) throw this.failure;
      if (this.ended) return;
      this.resume();
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
      });
    }
  }
}

/**
 * The bytes of a file that Polars has finished writing, read where they are needed: each
 * message straight into its buffer (a batch body into `reuse`), with a positional read on this
 * thread. The file is complete and was just written, so a read is a copy from the page cache
 * (a 7 MiB body in about 2 ms); through the thread pool the same reads made PostgreSQL wait,
 * each one queued behind the other processes' work on a busy machine.
 */
export class FileSource {
  private readonly fd: number;
  private position = 0;

  constructor(file: string) {
    this.fd = openSync(file, 'r');
  }

  async take(count: number, reuse: Buffer | null = null): Promise<Buffer | null> {
    const out = reuse !== null && reuse.length >= count ? reuse.subarray(0, count) : Buffer.allocUnsafe(count);
    let filled = 0;
    while (filled < count) {
      const read = readSync(this.fd, out, filled, count - filled, this.position + filled);
      if (read === 0) {
        if (filled === 0) return null;
        throw new Error(`Arrow IPC stream ended inside a message (${filled} of ${count} bytes)`);
      }
      filled += read;
    }
    this.position += count;
    return out;
  }

  /** Nothing to drain: the file is complete. */
  async drain(): Promise<void> {}

  close(): void {
    closeSync(this.fd);
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

/**
 * Yields the record batches of an Arrow IPC stream or file as they arrive. A batch's buffers
 * are views into `buffers.spare`: valid until the next batch is asked for.
 */
export async function* readRecordBatches(queue: PipeQueue | FileSource, buffers: StreamBuffers): AsyncGenerator<RecordBatchBuffers> {
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
    const body: Buffer = bodyLength > 0 ? ((await queue.take(bodyLength, buffers.spare)) as Buffer) : Buffer.alloc(0);
    if (body.length > 0 && body.buffer !== buffers.spare?.buffer) buffers.spare = body;
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
