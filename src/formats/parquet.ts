/**
 * Parquet through Polars. The row count comes from the footer's metadata: Polars answers
 * `select(len())` on a Parquet scan without reading any column data, with range reads on S3.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pl from 'nodejs-polars';
import { formatSize } from '../config/size.ts';
import { FerryError } from '../errors.ts';
import type { ObjectStore, ReadTarget } from '../storage/index.ts';
import { type FooterInfo, footerProblem, readFooter } from './parquet-footer.ts';

/** Messages from Polars' object-store layer that mean the store, not the file, failed. */
const TRANSIENT_STORE_ERROR = /object-store error|error sending request|connection|timed out|timeout|status code: (5\d\d|429)|dns|reset by peer|broken pipe/i;
/** True when a Polars error message says the store, not the file, failed (worth retrying). */
export function isTransientStoreError(message: string): boolean {
  return TRANSIENT_STORE_ERROR.test(message) && !/parquet:|out of specification/i.test(message);
}

const NOT_FOUND = /not found|No such file or directory/i;

const MAGIC = 'PAR1';
/** Magic at both ends, and the 4-byte footer length before the last magic. */
const MIN_PARQUET_BYTES = 12;

export interface ParquetLimits {
  readonly maxFileSize: number;
  readonly maxFooterSize: number;
}

/** What the ledger knows of the version to read. */
export interface ParquetObject {
  readonly key: string;
  readonly size: number;
  readonly etag: string | null;
}

/** Any format: a file over limits.maxFileSize is refused before it is read. */
export function checkFileSize(object: ParquetObject, limits: Pick<ParquetLimits, 'maxFileSize'>): void {
  if (object.size > limits.maxFileSize) {
    throw new FerryError(
      'FILE_UNREADABLE',
      `${object.key} is ${formatSize(object.size)}, over the limit of ${formatSize(limits.maxFileSize)} (limits.maxFileSize)`,
      {
        step: 'read',
      },
    );
  }
}

/**
 * Checks a Parquet file's envelope before any Parquet reader sees it: its size, the magic
 * bytes at both ends, and the footer length it declares. A hostile or broken file (a footer
 * "length" of 4 GiB, a truncated upload, a file that is not Parquet) is refused here with a
 * plain reason, without reading more than 12 bytes of it.
 */
export async function checkParquetEnvelope(store: ObjectStore, object: ParquetObject, limits: ParquetLimits): Promise<number> {
  const { key, size } = object;
  const refuse = (reason: string) => new FerryError('FILE_UNREADABLE', `${key} is not a readable Parquet file: ${reason}`, { step: 'read' });
  checkFileSize(object, limits);
  if (size < MIN_PARQUET_BYTES) throw refuse(`it is ${size} bytes; the smallest Parquet file has ${MIN_PARQUET_BYTES}`);
  const [head, tail] = await Promise.all([store.readRange(key, 0, 4, object.etag), store.readRange(key, size - 8, 8, object.etag)]);
  if (head.toString('latin1') !== MAGIC) throw refuse('it does not start with the Parquet magic bytes PAR1');
  if (tail.subarray(4).toString('latin1') !== MAGIC) throw refuse('it does not end with the Parquet magic bytes PAR1 (truncated, or not Parquet)');
  const footerSize = tail.readUInt32LE(0);
  if (footerSize > size - MIN_PARQUET_BYTES) throw refuse(`its footer claims ${footerSize} bytes, but the file has ${size}`);
  if (footerSize > limits.maxFooterSize) {
    throw refuse(`its footer claims ${formatSize(footerSize)}, over the limit of ${formatSize(limits.maxFooterSize)} (limits.maxFooterSize)`);
  }
  return footerSize;
}

/**
 * For files that are read whole: the envelope, then the footer itself — its row groups' rows,
 * sizes and byte ranges (see parquet-footer.ts) — before Polars decodes anything.
 */
export async function checkParquetFooter(
  store: ObjectStore,
  object: ParquetObject,
  limits: ParquetLimits & { readonly maxRowGroupSize: number },
): Promise<FooterInfo> {
  const footerSize = await checkParquetEnvelope(store, object, limits);
  const refuse = (reason: string) => new FerryError('FILE_UNREADABLE', `${object.key} is not a readable Parquet file: ${reason}`, { step: 'read' });
  const bytes = await store.readRange(object.key, object.size - 8 - footerSize, footerSize, object.etag);
  let footer: FooterInfo;
  try {
    footer = readFooter(bytes);
  } catch (error) {
    throw refuse(`its footer is corrupt: ${(error as Error).message}`);
  }
  const problem = footerProblem(footer, object.size, footerSize, limits.maxRowGroupSize);
  if (problem !== null) throw refuse(problem);
  return footer;
}

export async function countParquetRows(store: ObjectStore, object: ParquetObject, limits: ParquetLimits): Promise<number> {
  const { key } = object;
  const target = store.readTarget(key); // refuses keys that cannot be read safely by name, before anything else
  await checkParquetEnvelope(store, object, limits);
  if (target.kind === 'operator') {
    return withLocalCopy(store, key, (localPath) => countAt({ kind: 'path', path: localPath }, key));
  }
  return countAt(target, key);
}

async function countAt(target: Exclude<ReadTarget, { kind: 'operator' }>, key: string): Promise<number> {
  try {
    const frame =
      target.kind === 'path'
        ? pl.scanParquet(target.path, { glob: false })
        : pl.scanParquet(target.url, { glob: false, cloudOptions: { ...target.cloudOptions } });
    const result = await frame.select(pl.len().alias('rows')).collect();
    return Number(result.getColumn('rows').get(0));
  } catch (error) {
    throw classifyReadError(error, key);
  }
}

function classifyReadError(error: unknown, key: string): FerryError {
  const message = (error instanceof Error ? error.message : String(error)).replace(/^Error: /, '');
  if (NOT_FOUND.test(message)) {
    return new FerryError('FILE_NOT_FOUND', `${key} no longer exists: ${message}`, { step: 'read', cause: error });
  }
  if (isTransientStoreError(message)) {
    return new FerryError('STORAGE_ERROR', `reading ${key} failed: ${message}`, { step: 'read', retryable: true, cause: error });
  }
  return new FerryError('FILE_UNREADABLE', `${key} is not a readable Parquet file: ${message}`, { step: 'read', cause: error });
}

/** For stores Polars cannot reach itself: copy the object to a private temp file, never named after its key. */
async function withLocalCopy<T>(store: ObjectStore, key: string, use: (localPath: string) => Promise<T>): Promise<T> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ferry-read-'));
  const localPath = path.join(dir, 'object.parquet');
  try {
    await fs.writeFile(localPath, await store.read(key));
    return await use(localPath);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}
