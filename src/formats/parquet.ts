/**
 * Parquet through Polars. The row count comes from the footer's metadata: Polars answers
 * `select(len())` on a Parquet scan without reading any column data, with range reads on S3.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pl from 'nodejs-polars';
import { FerryError } from '../errors.ts';
import type { ObjectStore, ReadTarget } from '../storage/index.ts';

/** Messages from Polars' object-store layer that mean the store, not the file, failed. */
const TRANSIENT_STORE_ERROR = /object-store error|error sending request|connection|timed out|timeout|status code: (5\d\d|429)|dns|reset by peer|broken pipe/i;
const NOT_FOUND = /not found|No such file or directory/i;

export async function countParquetRows(store: ObjectStore, key: string): Promise<number> {
  const target = store.readTarget(key);
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
  if (TRANSIENT_STORE_ERROR.test(message) && !/parquet:|out of specification/i.test(message)) {
    return new FerryError('STORAGE_ERROR', `reading ${key} failed: ${message}`, { step: 'read', retryable: true, cause: error });
  }
  return new FerryError('FILE_UNREADABLE', `${key} is not a readable Parquet file: ${message}`, { step: 'read', cause: error });
}

/** For stores Polars cannot reach itself: copy the object to a private temp file, never named after its key. */
async function withLocalCopy<T>(store: ObjectStore, key: string, use: (localPath: string) => Promise<T>): Promise<T> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ferry-'));
  const localPath = path.join(dir, 'object.parquet');
  try {
    await fs.writeFile(localPath, await store.read(key));
    return await use(localPath);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}
