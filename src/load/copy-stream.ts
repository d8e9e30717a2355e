/**
 * Streams a file's rows into `COPY … FROM STDIN`.
 *
 * A reader process runs the Polars query on its streaming engine and writes into a named pipe
 * (Arrow IPC, or CSV); this process reads the pipe and feeds the COPY on the transaction's
 * connection. The rows never pass through a message channel. The pipe's
 * buffer couples the two: when PostgreSQL is slower, Polars waits, and reading, transforming,
 * encoding and PostgreSQL's own work run at once.
 *
 * The read end is opened first and non-blocking (so no libuv thread waits for a writer), and a
 * write end is held open until Polars is done, so the reader sees end-of-file only after the
 * last row, whether Polars wrote everything, nothing, or failed half-way.
 */
import { execFile } from 'node:child_process';
import { close, constants, createReadStream, open } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { promisify } from 'node:util';
import { from as copyFrom } from 'pg-copy-streams';
import { relayRoot } from '../formats/index.ts';
import type { PoolClient } from '../postgres/index.ts';
import { FileSource, PipeQueue, readRecordBatches, streamBuffers } from './arrow-stream.ts';
import { BinaryEncoder, type BinaryKind, COPY_BINARY_HEADER, COPY_BINARY_TRAILER } from './pg-binary.ts';

const run = promisify(execFile);
const BROKEN_PIPE = /broken pipe|os error 32|EPIPE/i;
const openFd = promisify(open);
const closeFd = (fd: number): Promise<void> => new Promise((resolve) => close(fd, () => resolve()));

/** Chunks written into the COPY and not yet sent: the encoder works ahead of the socket by this many. */
const WINDOW = 3;
/**
 * A chunk at least this large was sent when the COPY calls back for it: its write exceeded the
 * socket's buffer limit (16 or 64 KiB), so pg-copy-streams waited for the socket to drain.
 */
const SENT_WHEN_CALLED_BACK = 1 << 20;

/**
 * Writes `chunks` into the COPY, at most WINDOW of them waiting to be sent, and gives each large
 * chunk to `sent` once the socket has written it (the encoder fills it again). Ends the COPY
 * when the chunks end; on a failure of either side, destroys it (pg-copy-streams then sends
 * CopyFail) and throws the failure.
 */
async function feed(copy: Writable, chunks: AsyncIterable<Buffer>, sent: (chunk: Buffer) => void): Promise<void> {
  let waiting = 0;
  let wake: (() => void) | null = null;
  let failure: unknown = null;
  const woken = () => {
    const resolve = wake;
    wake = null;
    resolve?.();
  };
  // Kept after a failure: a destroyed COPY emits its error again, and the failure is thrown here.
  copy.on('error', (error) => {
    failure ??= error;
    woken();
  });
  try {
    for await (const chunk of chunks) {
      // A COPY that failed while the chunk was made takes no more writes.
      if (failure !== null) throw failure;
      waiting++;
      copy.write(chunk, (error) => {
        waiting--;
        if (error === null || error === undefined) {
          if (chunk.length >= SENT_WHEN_CALLED_BACK) sent(chunk);
        } else failure ??= error;
        woken();
      });
      while (waiting >= WINDOW && failure === null) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
      if (failure !== null) throw failure;
    }
    if (failure !== null) throw failure;
    copy.end();
    await finished(copy);
  } catch (error) {
    copy.destroy(error instanceof Error ? error : new Error(String(error)));
    throw error;
  }
}

/** Which side failed: Polars (reading/transforming the file) or PostgreSQL (the COPY). */
export class CopySideError extends Error {
  readonly side: 'polars' | 'postgres';
  constructor(side: 'polars' | 'postgres', cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.side = side;
  }
}

/**
 * How rows cross the pipe: as CSV text (`COPY … (FORMAT csv)`), or as Arrow IPC that Node
 * encodes into PostgreSQL's binary COPY format (`COPY … (FORMAT binary)`), with one wire kind
 * per column of the frame.
 */
export type CopyEncoding = { readonly format: 'csv' } | { readonly format: 'binary'; readonly kinds: readonly BinaryKind[] };

/**
 * The parts of a file's rows: `write(index, path)` has Polars write part `index` to `path` (a
 * pipe or a file) as a complete stream in the encoding's format (CSV without a header, or
 * Arrow IPC), and settles when it is done or failed.
 */
export interface CopyParts {
  readonly count: number;
  write(index: number, target: string): Promise<void>;
  /** Told the rows sent so far, as record batches are encoded (binary COPY), for progress displays. */
  readonly onRows?: (rows: number) => void;
  /** Told each record batch's nulls per column (binary COPY): Arrow carries them, so this costs nothing. */
  readonly onNulls?: (nullCounts: readonly number[]) => void;
}

/**
 * Runs `copySql` (a `COPY … FROM STDIN` in the encoding's format) fed by `parts`, one Polars
 * query after the other (the slices of one file, or the whole file as one part); returns the
 * rows copied. Each part gets its own pipe, so each query's output is a complete CSV or IPC
 * stream; at most one query runs at a time.
 */
export async function copyFrame(client: PoolClient, copySql: string, parts: CopyParts, encoding: CopyEncoding): Promise<number> {
  const dir = await fs.mkdtemp(path.join(relayRoot(), 'ferry-copy-'));
  let polarsFailure: CopySideError | null = null;

  const sink = (index: number, target: string) => parts.write(index, target);
  // CSV goes to the COPY as it is read; Arrow IPC is read into reused buffers and encoded.
  const encoder = encoding.format === 'binary' ? new BinaryEncoder(encoding.kinds) : null;
  const buffers = streamBuffers();
  let sent = 0;
  /** Binary COPY rows from Arrow IPC. */
  async function* encoded(source: PipeQueue | FileSource, encoder: BinaryEncoder): AsyncGenerator<Buffer> {
    for await (const batch of readRecordBatches(source, buffers)) {
      yield* encoder.rows(batch);
      parts.onNulls?.(batch.nullCounts);
      sent += batch.length;
      parts.onRows?.(sent);
    }
  }

  /** One query streamed through a pipe: Polars and PostgreSQL work at the same time. */
  async function* piped(part: number): AsyncGenerator<Buffer> {
    const fifo = path.join(dir, 'rows');
    // Its own process group: a Ctrl-C to ferry's group must not kill it and fail the load.
    await run('mkfifo', ['-m', '600', fifo], { detached: true } as Parameters<typeof run>[2]);
    const fd = await openFd(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    const queue = encoder === null ? null : new PipeQueue(fd, buffers);
    const reader = queue?.socket ?? new net.Socket({ fd, readable: true, writable: false });
    const hold = await openFd(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
    const sunk = sink(part, fifo).then(
      () => null,
      (error: unknown) => new CopySideError('polars', error),
    );
    sunk.finally(() => closeFd(hold)).catch(() => {});
    try {
      yield* queue === null || encoder === null ? reader : encoded(queue, encoder);
    } finally {
      // When the COPY failed first, closing the read end makes Polars stop (broken pipe).
      reader.destroy();
      polarsFailure = await sunk;
    }
    if (polarsFailure !== null) throw polarsFailure;
  }

  /**
   * Slices relayed through temp files: Polars writes the next slice to a file while the
   * current one is streamed into the COPY. (A slice query does not stream within itself, so
   * a pipe per slice would leave PostgreSQL waiting at each one; and a second query blocked
   * on a pipe could hold the Polars threads the first one needs.) One slice is on disk ahead.
   */
  async function* relayed(count: number): AsyncGenerator<Buffer> {
    const write = (index: number) => {
      const file = path.join(dir, `part-${index}`);
      return sink(index, file).then(
        () => ({ file, failure: null }),
        (error: unknown) => ({ file, failure: new CopySideError('polars', error) }),
      );
    };
    let next = write(0);
    for (let index = 0; index < count; index++) {
      const { file, failure } = await next;
      if (failure !== null) {
        polarsFailure = failure;
        throw failure;
      }
      if (index + 1 < count) next = write(index + 1);
      const source = encoder === null ? null : new FileSource(file);
      const stream = source === null ? createReadStream(file, { highWaterMark: 1 << 20 }) : null;
      try {
        yield* source === null || encoder === null ? (stream as AsyncIterable<Buffer>) : encoded(source, encoder);
      } finally {
        source?.close();
        stream?.destroy();
        await fs.rm(file, { force: true });
        if (index + 1 < count) {
          // Wait for a slice in progress before leaving (its file is removed with the folder).
          if (polarsFailure === null) await next.catch(() => {});
        }
      }
    }
  }

  async function* data(): AsyncGenerator<Buffer> {
    if (encoder !== null) yield COPY_BINARY_HEADER;
    if (parts.count === 1) yield* piped(0);
    else yield* relayed(parts.count);
    if (encoder !== null) {
      yield* encoder.end();
      yield COPY_BINARY_TRAILER;
    }
  }

  try {
    const copy = client.query(copyFrom(copySql));
    try {
      await feed(copy, data(), (chunk) => encoder?.reuse(chunk));
    } catch (error) {
      // A COPY that failed closed the pipe, and Polars then failed writing to it ("broken
      // pipe"): the COPY's error is the cause. A Polars failure of its own ends the data
      // early; the transaction rolls back either way.
      const failure = polarsFailure as CopySideError | null;
      if (failure !== null && !BROKEN_PIPE.test(failure.message)) throw failure;
      throw error instanceof CopySideError ? error : new CopySideError('postgres', error);
    }
    return copy.rowCount;
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}
