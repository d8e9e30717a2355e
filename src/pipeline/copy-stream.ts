/**
 * Streams a LazyFrame into `COPY … FROM STDIN` with bounded memory.
 *
 * Polars runs the query on its streaming engine and writes CSV into a named pipe; Node reads
 * the pipe and feeds the COPY on the transaction's connection. The pipe's buffer is the only
 * coupling: when PostgreSQL is slower, Polars waits; a file of any size passes through in
 * small pieces, and reading, transforming, encoding and PostgreSQL's own parsing run at once.
 *
 * The read end is opened first and non-blocking (so no libuv thread waits for a writer), and a
 * write end is held open until Polars is done, so the reader sees end-of-file only after the
 * last row, whether Polars wrote everything, nothing, or failed half-way.
 */
import { execFile } from 'node:child_process';
import { close, constants, open } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import type pl from 'nodejs-polars';
import { from as copyFrom } from 'pg-copy-streams';
import type { PoolClient } from '../postgres/index.ts';
import { readRecordBatches } from './arrow-stream.ts';
import { type BinaryKind, COPY_BINARY_HEADER, COPY_BINARY_TRAILER, encodeBatch } from './pg-binary.ts';

const run = promisify(execFile);
const BROKEN_PIPE = /broken pipe|os error 32|EPIPE/i;
const openFd = promisify(open);
const closeFd = (fd: number): Promise<void> => new Promise((resolve) => close(fd, () => resolve()));

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

/** Runs `copySql` (a `COPY … FROM STDIN` in the encoding's format) fed by `frame`; returns the rows copied. */
export async function copyFrame(client: PoolClient, copySql: string, frame: pl.LazyDataFrame, encoding: CopyEncoding): Promise<number> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ferry-copy-'));
  const fifo = path.join(dir, 'rows.csv');
  let readFd: number | null = null;
  let holdFd: number | null = null;
  try {
    await run('mkfifo', ['-m', '600', fifo]);
    readFd = await openFd(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    holdFd = await openFd(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
    const hold = holdFd;
    const reader = new net.Socket({ fd: readFd, readable: true, writable: false });
    readFd = null; // the socket owns it now

    const copy = client.query(copyFrom(copySql));
    const source = encoding.format === 'csv' ? reader : Readable.from(binaryRows(reader, encoding.kinds));
    const copied = pipeline(source, copy).then(
      () => null,
      (error: unknown) => new CopySideError('postgres', error),
    );
    let polarsFailure: CopySideError | null = null;
    try {
      if (encoding.format === 'csv') await frame.sinkCSV(fifo, { includeHeader: false, maintainOrder: true }).collect();
      else await frame.sinkIpc(fifo, { compatLevel: 'oldest', compression: 'uncompressed', maintainOrder: true }).collect();
    } catch (error) {
      polarsFailure = new CopySideError('polars', error);
    } finally {
      await closeFd(hold);
      holdFd = null;
    }
    const copyFailure = await copied;
    // A COPY that failed closed the pipe, and Polars then failed writing to it ("broken
    // pipe"): the COPY's error is the cause. A Polars failure of its own ends the pipe early,
    // and the COPY of a partial file (or the encoder's complaint about it) is its consequence;
    // the transaction rolls back either way.
    if (polarsFailure !== null && !BROKEN_PIPE.test(polarsFailure.message)) throw polarsFailure;
    if (copyFailure !== null) throw copyFailure;
    if (polarsFailure !== null) throw polarsFailure;
    return copy.rowCount;
  } finally {
    if (readFd !== null) await closeFd(readFd);
    if (holdFd !== null) await closeFd(holdFd);
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** Binary COPY data from the Arrow IPC that Polars writes into the pipe. */
async function* binaryRows(ipc: Readable, kinds: readonly BinaryKind[]): AsyncGenerator<Buffer> {
  yield COPY_BINARY_HEADER;
  for await (const batch of readRecordBatches(ipc)) yield* encodeBatch(batch, kinds);
  yield COPY_BINARY_TRAILER;
}
