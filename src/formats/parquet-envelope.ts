/**
 * A Parquet file's envelope and footer, checked before any Parquet reader sees the file: its
 * size, the magic bytes at both ends, the footer length it declares, then the footer itself.
 * Pure JavaScript on byte ranges (no Polars): a hostile footer is refused here with a plain
 * reason, and a row count needs nothing else.
 */
import { FerryError } from '../errors/index.ts';
import type { ObjectStore } from '../storage/index.ts';
import { formatSize } from '../units/index.ts';
import { type FooterInfo, footerProblem, readFooter } from './parquet-footer.ts';

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
      'FILE_TOO_LARGE',
      `${object.key} is ${formatSize(object.size)}, over the limit of ${formatSize(limits.maxFileSize)} (limits.maxFileSize)`,
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
  const refuse = (reason: string) => new FerryError('FILE_CORRUPT', `${key} is not a readable Parquet file: ${reason}`);
  checkFileSize(object, limits);
  if (size < MIN_PARQUET_BYTES) throw refuse(`it is ${size} bytes; the smallest Parquet file has ${MIN_PARQUET_BYTES}`);
  const [head, tail] = await Promise.all([store.readRange(key, 0, 4, object.etag), store.readRange(key, size - 8, 8, object.etag)]);
  if (head.toString('latin1') !== MAGIC) throw refuse('it does not start with the Parquet magic bytes PAR1');
  if (tail.subarray(4).toString('latin1') !== MAGIC) throw refuse('it does not end with the Parquet magic bytes PAR1 (truncated, or not Parquet)');
  const footerSize = tail.readUInt32LE(0);
  if (footerSize > size - MIN_PARQUET_BYTES) throw refuse(`its footer claims ${footerSize} bytes, but the file has ${size}`);
  if (footerSize > limits.maxFooterSize) {
    throw new FerryError(
      'FILE_TOO_LARGE',
      `${key} is not a readable Parquet file: its footer claims ${formatSize(footerSize)}, over the limit of ${formatSize(limits.maxFooterSize)} (limits.maxFooterSize)`,
    );
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
  const refuse = (reason: string, code: 'FILE_CORRUPT' | 'FILE_TOO_LARGE' = 'FILE_CORRUPT') =>
    new FerryError(code, `${object.key} is not a readable Parquet file: ${reason}`);
  const bytes = await store.readRange(object.key, object.size - 8 - footerSize, footerSize, object.etag);
  let footer: FooterInfo;
  try {
    footer = readFooter(bytes);
  } catch (error) {
    throw refuse(`its footer is corrupt: ${(error as Error).message}`);
  }
  const problem = footerProblem(footer, object.size, footerSize, limits.maxRowGroupSize);
  if (problem !== null) throw refuse(problem, problem.includes('(limits.') ? 'FILE_TOO_LARGE' : 'FILE_CORRUPT');
  return footer;
}

/**
 * The rows of a Parquet file, from its footer alone (what a row count needs): the envelope,
 * then the footer's own row count. Row groups are not checked against limits.maxRowGroupSize,
 * since nothing is decoded.
 */
export async function countParquetRows(store: ObjectStore, object: ParquetObject, limits: ParquetLimits): Promise<number> {
  store.readTarget(object.key); // refuses keys that cannot be read safely by name, before anything else
  const footer = await checkParquetFooter(store, object, { ...limits, maxRowGroupSize: Number.POSITIVE_INFINITY });
  return footer.rows;
}
