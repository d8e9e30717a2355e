/**
 * The read stage, in one sequence for every path (table loads, row counts, preview): the size
 * limit, the format, a Parquet file's envelope and footer, then the file opened as a
 * LazyFrame. Nothing is decoded here beyond what Polars needs to plan.
 */
import { Readable } from 'node:stream';
import pl from 'nodejs-polars';
import { errorMessage, FerryError } from '../errors/index.ts';
import { type InferredText, polarsErrorCode, polarsMessage } from '../polars/index.ts';
import type { ObjectStore } from '../storage/index.ts';
import { describeFormat, type OpenedFrame, openFrame, type ReadOptions, readOptionsFor, type SourceFormat } from './open-frame.ts';
import { checkFileSize, checkParquetFooter, type ParquetObject } from './parquet-envelope.ts';
import type { FooterInfo } from './parquet-footer.ts';
import { refuseUnreadableSchema } from './parquet-schema.ts';
import { findInvalidUtf8 } from './utf8.ts';

export interface ReadLimits {
  readonly maxFileSize: number;
  readonly maxFooterSize: number;
  readonly maxDecompressedSize: number;
  readonly maxRowGroupSize: number;
}

export interface ReadFile {
  readonly options: ReadOptions;
  /** A plain Parquet file's footer (rows, row groups), checked before Polars opened the file. */
  readonly footer: FooterInfo | null;
  readonly opened: OpenedFrame;
}

export async function readFile(store: ObjectStore, file: ParquetObject, source: SourceFormat, limits: ReadLimits): Promise<ReadFile> {
  checkFileSize(file, limits);
  const options = readOptionsFor(source, file.key, limits.maxDecompressedSize);
  const footer = options.format === 'parquet' && options.compression === 'none' ? await checkParquetFooter(store, file, limits) : null;
  if (footer !== null) refuseUnreadableSchema(file.key, footer);
  const opened = await openFrame(store, file.key, options);
  return { options, footer, opened };
}

/**
 * A Polars failure while the file's query ran, as a FerryError; for a text file that is not
 * UTF-8, with the line and offset of its first bad byte (Polars gives no position).
 */
/**
 * A small plain Parquet file (a batch's), read whole at once: the same checks as readFile
 * (size, envelope, footer), then one eager read instead of a lazy scan — for a file of a few
 * thousand rows, building and running a lazy plan cost more than the read. Null when the file
 * is not read so (another format, compressed, or source.schema to apply): readFile opens it.
 */
export async function readWhole(
  store: ObjectStore,
  file: ParquetObject,
  source: SourceFormat,
  limits: ReadLimits,
): Promise<(ReadFile & { readonly whole: pl.DataFrame }) | null> {
  checkFileSize(file, limits);
  const options = readOptionsFor(source, file.key, limits.maxDecompressedSize);
  if (options.format !== 'parquet' || options.compression !== 'none' || Object.keys(options.schema).length > 0) return null;
  store.readTarget(file.key); // refuses keys that cannot be read safely by name, before anything else
  // One read of the version claimed (never more than its size), then the checks on the bytes in hand.
  const bytes = await store.readRange(file.key, 0, file.size, file.etag);
  const inHand: Pick<ObjectStore, 'readRange'> = {
    readRange: async (_key, offset, length) => bytes.subarray(offset, offset + length),
  };
  const footer = await checkParquetFooter(inHand as ObjectStore, { ...file, size: bytes.length }, limits);
  refuseUnreadableSchema(file.key, footer);
  const whole = pl.readParquet(bytes);
  const opened: OpenedFrame = { frame: whole.lazy(), bytes: async () => Readable.from([bytes]), dispose: async () => {} };
  return { options, footer, opened, whole };
}

export async function readFailure(read: ReadFile, key: string, error: unknown, transformed: boolean): Promise<FerryError> {
  if (error instanceof FerryError) return error;
  const message = errorMessage(error);
  const cast = castFailure(read.options, message);
  if (cast !== null) {
    return new FerryError(
      'CAST_FAILED',
      `${key}: column ${cast} has a value that does not fit its type in source.schema: ${polarsMessage(error)}; a check { rule: 'cast', action: 'reject' } keeps such rows aside instead`,
      { cause: error },
    );
  }
  const inferred = inferredFailure(read, message);
  if (inferred !== null) {
    return new FerryError(
      'SCHEMA_INFERENCE_FAILED',
      `${key}: column ${JSON.stringify(inferred.column)} was inferred as ${inferred.type} from the first rows (${inferred.reason}), but a later value is not one: ${polarsMessage(error)}; set its type in source.schema (text keeps every value), or source.inferSchemaLength`,
      { cause: error },
    );
  }
  const code = polarsErrorCode(message, { transformed });
  if (code === 'ENCODING_INVALID') {
    const found = await read.opened
      .bytes()
      .then(findInvalidUtf8)
      .catch(() => null);
    if (found !== null) {
      return new FerryError('ENCODING_INVALID', `${key} is not valid UTF-8 at line ${found.line} (byte offset ${found.offset}): ${polarsMessage(error)}`, {
        cause: error,
      });
    }
  }
  if (code === 'SCHEMA_INFERENCE_FAILED') {
    return new FerryError(
      code,
      `${key}: a column's type could not be inferred from the first rows (${polarsMessage(error)}); set source.inferSchemaLength (null reads all rows) or source.schema`,
      { cause: error },
    );
  }
  const what = code === 'TRANSFORM_FAILED' ? 'could not be transformed' : `could not be read as ${describeFormat(read.options)}`;
  return new FerryError(code, `${key} ${what}: ${polarsMessage(error)}`, { cause: error });
}

/** The column typed by inference (a date or timestamp parsed from text) that a strict parse error names. */
function inferredFailure(read: ReadFile, message: string): InferredText | null {
  const column = /conversion from `str` to `[^`]+` failed in column '([^']+)'/.exec(message)?.[1];
  if (column === undefined) return null;
  return read.opened.inferred?.find((decision) => decision.column === column && decision.type !== 'text') ?? null;
}

/** The `source.schema` column a Polars parse or cast error names, if it names one. */
function castFailure(options: ReadOptions, message: string): string | null {
  const named =
    /could not parse .* as dtype \S+ at column '([^']+)'/.exec(message) ?? /conversion from `[^`]+` to `[^`]+` failed in column '([^']+)'/.exec(message);
  const column = named?.[1];
  if (column !== undefined) return options.schema[column] !== undefined && !options.lenient.includes(column) ? column : null;
  // The NDJSON reader does not name the column: `cannot parse 'x' (string) as Int64`.
  const strict = Object.keys(options.schema).filter((name) => !options.lenient.includes(name));
  return /cannot parse .* as \w+/.test(message) && strict.length > 0 ? strict.join(' or ') : null;
}
