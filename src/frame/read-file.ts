/**
 * The read stage, in one sequence for every path (table loads, row counts, preview): the size
 * limit, the format, a Parquet file's envelope and footer, then the file opened as a
 * LazyFrame. Nothing is decoded here beyond what Polars needs to plan.
 */
import { Readable } from 'node:stream';
import pl from 'nodejs-polars';
import { errorMessage, FerryError } from '../errors/index.ts';
import {
  checkFileSize,
  checkParquetFooter,
  declaredLeafValues,
  describeFormat,
  type FooterInfo,
  findInvalidUtf8,
  gzipPagesReadable,
  type LegacyList,
  legacyRefusal,
  type ParquetObject,
  type ReadOptions,
  readOptionsFor,
  refuseUnreadableSchema,
  type SourceFormat,
  type SpecialColumns,
  specialColumns,
  unknownLogicalTypes,
} from '../formats/index.ts';
import { float16Decoded, type InferredText, listLevelEntries, polarsErrorCode, polarsMessage, saturatedTimestamps } from '../polars/index.ts';
import type { ObjectStore } from '../storage/index.ts';
import { type OpenedFrame, openFrame } from './open-frame.ts';

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
  /** A plain Parquet file's columns that ferry decodes or checks itself (see parquet-schema.ts); null for other files. */
  readonly special: SpecialColumns | null;
  /** The store the file is read from (to judge a failure: see parquet-pages.ts). */
  readonly store: Pick<ObjectStore, 'readRange'>;
  readonly file: ParquetObject;
}

export async function readFile(store: ObjectStore, file: ParquetObject, source: SourceFormat, limits: ReadLimits, transformed = false): Promise<ReadFile> {
  checkFileSize(file, limits);
  const options = { ...readOptionsFor(source, file.key, limits.maxDecompressedSize), transformed };
  const footer = options.format === 'parquet' && options.compression === 'none' ? await checkParquetFooter(store, file, limits) : null;
  if (footer === null) return { options, footer, opened: await openFrame(store, file.key, options), special: null, store, file };
  const legacy = refuseUnreadableSchema(file.key, footer);
  const special = specialColumns(footer.schema);
  let opened: OpenedFrame;
  try {
    opened = await openFrame(store, file.key, { ...options, float16: special.float16 });
  } catch (error) {
    throw await judgeParquetFailure(error, { store, file, footer });
  }
  const read: ReadFile = { options, footer, opened, special, store, file };
  try {
    await holdToFooter(file.key, opened.frame, footer, legacy, special);
  } catch (error) {
    await opened.dispose();
    throw error instanceof FerryError ? error : await readFailure(read, file.key, error, false);
  }
  return read;
}

/** The checks of an opened Parquet file's values against its footer, before any row is written. */
async function holdToFooter(key: string, frame: pl.LazyDataFrame, footer: FooterInfo, legacy: readonly LegacyList[], special: SpecialColumns): Promise<void> {
  await refuseSaturated(key, frame, special.int96);
  await checkLegacyLists(key, frame, footer, legacy);
}

/**
 * Lists in a legacy encoding are loaded only if Polars decoded every element: the entries of
 * each list column (its elements, one per null or empty list) must be the values the footer
 * declares for its leaf. Polars reads some legacy shapes right and others as empty lists.
 */
async function checkLegacyLists(key: string, frame: pl.LazyDataFrame, footer: FooterInfo, legacy: readonly LegacyList[]): Promise<void> {
  if (legacy.length === 0) return;
  let entries: number[];
  try {
    entries = await listLevelEntries(
      frame,
      legacy.map((list) => list.column),
    );
  } catch {
    // Not even read as lists: nothing to check them by.
    throw legacyRefusal(key, legacy[0] as LegacyList, null);
  }
  for (const [index, list] of legacy.entries()) {
    const declared = declaredLeafValues(footer, list.leaf ?? []);
    const got = entries[index] ?? 0;
    if (got !== declared) throw legacyRefusal(key, list, { got, declared });
  }
}

/** INT96 timestamps that Polars saturated (past 2262-04-11 or before 1677-09-21) are refused, not loaded as another date. */
async function refuseSaturated(key: string, frame: pl.LazyDataFrame, int96: readonly string[]): Promise<void> {
  const saturated = await saturatedTimestamps(frame, int96);
  if (saturated.length > 0) {
    throw new FerryError(
      'FILE_UNSUPPORTED',
      `${key}: INT96 timestamps in column ${saturated.map((name) => JSON.stringify(name)).join(', ')} lie outside 1677-09-21…2262-04-11, which ferry's Parquet reader cannot decode (it would load 2262-04-11 instead); write them as INT64 timestamps (microseconds), e.g. Spark's spark.sql.parquet.outputTimestampType=TIMESTAMP_MICROS`,
    );
  }
}

/**
 * A Parquet failure of Polars, judged with the footer: a logical type the reader does not
 * know, or GZIP pages that Node's zlib decompresses, make a valid file the reader cannot read
 * (FILE_UNSUPPORTED), not a corrupt one.
 */
async function judgeParquetFailure(
  error: unknown,
  read: { readonly store: Pick<ObjectStore, 'readRange'>; readonly file: ParquetObject; readonly footer: FooterInfo | null },
): Promise<unknown> {
  if (!(error instanceof FerryError) || error.code !== 'FILE_CORRUPT' || read.footer === null) return error;
  const unknown = unknownLogicalTypes(read.footer);
  if (unknown !== null && /LogicalType/i.test(error.message)) {
    return new FerryError(
      'FILE_UNSUPPORTED',
      `${read.file.key}: columns ${unknown} have a logical type ferry's Parquet reader does not know: ${error.message}`,
      {
        cause: error,
      },
    );
  }
  if (read.footer.rowGroups.some((group) => group.columns.some((chunk) => chunk.dictionaryOffsetZero)) && /thrift/i.test(error.message)) {
    return new FerryError(
      'FILE_UNSUPPORTED',
      `${read.file.key}: its column chunks declare dictionary_page_offset 0 (a writer quirk meaning "no dictionary page"), which ferry's Parquet reader follows to the file's first bytes: ${error.message}`,
      { cause: error },
    );
  }
  if (await gzipPagesReadable(read.store as ObjectStore, read.file, read.footer).catch(() => false)) {
    return new FerryError(
      'FILE_UNSUPPORTED',
      `${read.file.key}: its GZIP pages are valid (zlib reads them: pages of several gzip members, which the format allows), but ferry's Parquet reader cannot decompress them: ${error.message}`,
      { cause: error },
    );
  }
  return error;
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
  const legacy = refuseUnreadableSchema(file.key, footer);
  const special = specialColumns(footer.schema);
  let whole: pl.DataFrame;
  try {
    whole = pl.readParquet(bytes);
    if (special.float16.length > 0) whole = whole.withColumns(...special.float16.map(float16Decoded));
  } catch (error) {
    const failure = new FerryError(
      polarsErrorCode(errorMessage(error), { transformed: false }),
      `${file.key} could not be read as Parquet: ${polarsMessage(error)}`,
      {
        cause: error,
      },
    );
    throw await judgeParquetFailure(failure, { store: inHand, file, footer });
  }
  await holdToFooter(file.key, whole.lazy(), footer, legacy, special);
  const opened: OpenedFrame = { frame: whole.lazy(), bytes: async () => Readable.from([bytes]), dispose: async () => {} };
  return { options, footer, opened, whole, special, store: inHand, file };
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
  if (code === 'FILE_CORRUPT' && read.footer !== null) {
    const judged = await judgeParquetFailure(new FerryError(code, `${key} could not be read as Parquet: ${polarsMessage(error)}`, { cause: error }), read);
    if (judged instanceof FerryError && judged.code === 'FILE_UNSUPPORTED') return judged;
  }
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
