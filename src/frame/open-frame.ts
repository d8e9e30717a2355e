/**
 * Opens a file as a Polars LazyFrame by format: Parquet, CSV, NDJSON, JSON arrays and Arrow IPC
 * (file and stream format), the text formats also gzip- or zstd-compressed.
 *
 * Local files and S3 objects are scanned where they are (Polars reads S3 itself, with range
 * requests). What Polars cannot scan in place (compressed text, Arrow IPC outside a local
 * folder, other OpenDAL services) is first streamed to a private temp file, decompressing on
 * the way under `limits.maxDecompressedSize`.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import pl from 'nodejs-polars';
import { errorMessage, FerryError } from '../errors/index.ts';
import { type CsvDialect, describeFormat, findInvalidUtf8, formatExtension, JsonRecords, type ReadOptions, sniffCsvDialect } from '../formats/index.ts';
import { float16Decoded, type InferredText, inferTextTypes, outputColumns, polarsErrorCode, polarsMessage, scanCsv, schemaDataType } from '../polars/index.ts';
import type { ObjectStore, ReadTarget } from '../storage/index.ts';
import { formatSize } from '../units/index.ts';

/** A file opened for reading; `dispose` removes any temp copy. */
export interface OpenedFrame {
  readonly frame: pl.LazyDataFrame;
  /** How a CSV file was read (dialect, inference decisions); null for other formats. */
  readonly csv?: CsvReading | null;
  /** Columns of a JSON file read as the JSON text of their values (they load as jsonb). */
  readonly jsonColumns?: readonly string[];
  /** What inference decided beyond Polars' own (CSV and JSON), for errors and preview. */
  readonly inferred?: readonly InferredText[];
  /** The bytes Polars reads (decompressed), again: to find where an encoding error is. */
  bytes(): Promise<Readable>;
  dispose(): Promise<void>;
}

type ScanTarget = Exclude<ReadTarget, { kind: 'operator' }>;

/** Opens one object of `store` as a LazyFrame. Nothing is read here beyond what Polars needs to plan. */
export async function openFrame(store: ObjectStore, key: string, options: ReadOptions): Promise<OpenedFrame> {
  const target = store.readTarget(key);
  if (options.format === 'parquet' && options.compression !== 'none') {
    throw new FerryError('FILE_CORRUPT', `${key}: Parquet compresses its own pages; a ${options.compression}-compressed Parquet file is not read`);
  }
  const json = options.format === 'json' || options.format === 'ndjson';
  // JSON is always rewritten (see json-records.ts) into a temp file before Polars reads it.
  const inPlace =
    !json && options.compression === 'none' && (target.kind === 'path' || (target.kind === 'cloud' && ['parquet', 'csv'].includes(options.format)));
  const reading: Reading = { csv: null, jsonColumns: [] };
  if (inPlace) {
    const head = () => (target.kind === 'path' ? readHead(createReadStream(target.path, { end: HEAD_BYTES - 1 })) : store.readStream(key).then(readHead));
    const bytes = async () => (target.kind === 'path' ? createReadStream(target.path) : store.readStream(key));
    const frame = await scanLocal(target as ScanTarget, key, options, head, reading).catch((error) => placeEncodingError(error, key, bytes));
    return { frame, csv: reading.csv, jsonColumns: [], inferred: reading.csv?.decisions ?? [], bytes, dispose: async () => {} };
  }

  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ferry-read-'));
  const dispose = () => fs.rm(dir, { recursive: true, force: true });
  try {
    // Never named after the key: keys are untrusted input.
    const local = path.join(dir, 'object');
    const open = async () => (target.kind === 'path' ? createReadStream(target.path) : await store.readStream(key));
    if (json) {
      // A transform sees nested values as Polars types them (lists, structs), as it always did.
      const jsonKeys = options.transformed ? new Set<string>() : await nestedKeys(await open(), key, options);
      reading.jsonColumns = [...jsonKeys];
      const records = new JsonRecords({ format: options.format as 'json' | 'ndjson', jsonKeys });
      await pipeline([await open(), ...decompressor(key, options), records, createWriteStream(local, { mode: 0o600 })]).catch((error) => {
        throw error instanceof FerryError && !error.message.startsWith(key) ? new FerryError(error.code, `${key}: ${error.message}`, { cause: error }) : error;
      });
    } else {
      await pipeline([await open(), ...decompressor(key, options), createWriteStream(local, { mode: 0o600 })]);
    }
    const head = () => readHead(createReadStream(local, { end: HEAD_BYTES - 1 }));
    const bytes = async () => createReadStream(local);
    const frame = await scanLocal({ kind: 'path', path: local }, key, options, head, reading).catch((error) => placeEncodingError(error, key, bytes));
    return { frame, csv: reading.csv, jsonColumns: reading.jsonColumns, inferred: reading.csv?.decisions ?? reading.jsonDecisions ?? [], bytes, dispose };
  } catch (error) {
    await dispose();
    if (error instanceof FerryError) throw error;
    // Streaming the object: the store failing is transient; a decoder error is the file's.
    const code = /incorrect header|invalid|unexpected end|zstd|gzip|inflate/i.test(errorMessage(error)) ? 'FILE_CORRUPT' : 'STORAGE_ERROR';
    throw new FerryError(code, `${key} could not be read: ${errorMessage(error)}`, { cause: error });
  }
}

/** The decompression stages for a compressed key: the decoder, then a byte counter that stops at the limit. */
function decompressor(key: string, options: ReadOptions): Transform[] {
  if (options.compression === 'none') return [];
  const decoder = options.compression === 'gzip' ? zlib.createGunzip() : zlib.createZstdDecompress();
  let seen = 0;
  const limit = new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      seen += chunk.length;
      if (seen > options.maxDecompressedSize) {
        callback(
          new FerryError(
            'FILE_TOO_LARGE',
            `${key} decompresses to more than ${formatSize(options.maxDecompressedSize)} (limits.maxDecompressedSize); not read further`,
          ),
        );
        return;
      }
      callback(null, chunk);
    },
  });
  return [decoder, limit];
}

/** What opening a file found out, beside its frame. */
interface Reading {
  csv: CsvReading | null;
  jsonColumns: readonly string[];
  jsonDecisions?: readonly InferredText[];
}

/**
 * The top-level keys that hold an array or object in the inference sample of a JSON file (its
 * first `inferSchemaLength` records; all of a JSON array's).
 */
async function nestedKeys(source: Readable, key: string, options: ReadOptions): Promise<Set<string>> {
  const nested = new Set<string>();
  const limit = options.format === 'json' || options.inferSchemaLength === null ? Number.POSITIVE_INFINITY : options.inferSchemaLength;
  const records = new JsonRecords({ format: options.format as 'json' | 'ndjson', jsonKeys: new Set() }, (name, isNested) => {
    if (isNested) nested.add(name);
  });
  const stages = [source, ...decompressor(key, options), records];
  const done = pipeline(stages);
  try {
    for await (const _ of records) if (records.recordCount >= limit) break;
  } catch (error) {
    // The file's own errors (not JSON, a record too large) are reported from here.
    throw error instanceof FerryError ? new FerryError(error.code, `${key}: ${error.message}`, { cause: error }) : error;
  } finally {
    source.destroy();
    await done.catch(() => {});
  }
  return nested;
}

/** The first bytes of the file, for sniffing a CSV file's dialect. */
type HeadReader = () => Promise<Buffer>;

async function scanLocal(target: ScanTarget, key: string, options: ReadOptions, head: HeadReader, reading: Reading): Promise<pl.LazyDataFrame> {
  const location = target.kind === 'path' ? target.path : target.url;
  const cloudOptions = target.kind === 'cloud' ? { cloudOptions: { ...target.cloudOptions } } : {};
  // Text formats parse the declared types as they read (a cast rule's columns as text); typed
  // formats are cast after the scan, strictly (a value that does not fit fails the file).
  const overrides = Object.fromEntries(
    Object.entries(options.schema).map(([column, type]) => [column, options.lenient.includes(column) ? pl.Utf8 : schemaDataType(type)]),
  );
  const casts = Object.entries(options.schema)
    .filter(([column]) => !options.lenient.includes(column))
    .map(([column, type]) => pl.col(column).cast(schemaDataType(type), true));
  const cast = (frame: pl.LazyDataFrame) => (casts.length > 0 ? frame.withColumns(...casts) : frame);
  try {
    switch (options.format) {
      case 'parquet': {
        const scanned = pl.scanParquet(location, { glob: false, ...cloudOptions });
        const float16 = options.float16 ?? [];
        return cast(float16.length > 0 ? scanned.withColumns(...float16.map(float16Decoded)) : scanned);
      }
      case 'csv':
        return await scanCsvFile(target, key, options, overrides, head, reading);
      case 'ndjson':
      case 'json': {
        // Rewritten as NDJSON (see openFrame); a JSON array's types are inferred from all of
        // its rows, as it was always parsed whole.
        const inferSchemaLength = options.format === 'json' ? null : options.inferSchemaLength;
        const asJson = Object.fromEntries(reading.jsonColumns.filter((column) => overrides[column] === undefined).map((column) => [column, pl.Utf8]));
        const schemaOverrides = { ...asJson, ...overrides };
        const frame = pl.scanJson(location, {
          inferSchemaLength,
          ...(Object.keys(schemaOverrides).length > 0 ? { schemaOverrides } : {}),
        });
        // Dates and timestamps in JSON strings, as in CSV fields.
        const inferred = new Map(outputColumns(frame).map((column) => [column.name, column.dtype]));
        const text = [...inferred].filter(([, dtype]) => dtype === 'String').map(([name]) => name);
        const skip = new Set([...Object.keys(options.schema), ...reading.jsonColumns]);
        if (text.every((name) => skip.has(name))) return frame;
        const sample = await frame
          .select(...text.map((name) => pl.col(name)))
          .head(inferSchemaLength ?? Number.MAX_SAFE_INTEGER)
          .collect();
        const inference = inferTextTypes(sample, inferred, skip, { checkEveryRow: false, parseDates: !options.transformed });
        reading.jsonDecisions = inference.decisions;
        return inference.parses.length > 0 ? frame.withColumns(...inference.parses) : frame;
      }
      case 'ipc':
        // The stream format has no lazy reader in Polars either.
        return cast((await isIpcFile(location)) ? pl.scanIPC(location) : pl.readIPCStream(await fs.readFile(location)).lazy());
    }
  } catch (error) {
    if (error instanceof FerryError) throw error;
    const message = errorMessage(error);
    throw new FerryError(polarsErrorCode(message, { transformed: false }), `${key} could not be read as ${describeFormat(options)}: ${polarsMessage(error)}`, {
      cause: error,
    });
  }
}

/** How a CSV file was read: its dialect and what inference decided, for `ferry preview`. */
export interface CsvReading {
  readonly dialect: CsvDialect;
  readonly decisions: readonly InferredText[];
}

/**
 * Bytes of a file's head judged for its dialect, and read as the sample ferry's inference
 * judges (its first `inferSchemaLength` rows, within these bytes): a sample bounded in bytes, so
 * that a file whose first rows hold huge values is not read again for it.
 */
const HEAD_BYTES = 1024 * 1024;

/**
 * A CSV file as a LazyFrame: its dialect sniffed from its head (unless configured), Polars'
 * inference on the first `inferSchemaLength` rows, refined without loss (see
 * polars/text-inference.ts), `source.schema` over both.
 */
async function scanCsvFile(
  target: ScanTarget,
  key: string,
  options: ReadOptions,
  overrides: Record<string, pl.DataType>,
  head: HeadReader,
  reading: Reading,
): Promise<pl.LazyDataFrame> {
  const { csv } = options;
  const location = target.kind === 'path' ? target.path : target.url;
  const cloudOptions = target.kind === 'cloud' ? { cloudOptions: { ...target.cloudOptions } } : {};
  const headBytes = await head();
  // Whole lines only (the head may end inside one), unless it is the whole file.
  const complete = headBytes.length < HEAD_BYTES ? headBytes : headBytes.subarray(0, headBytes.lastIndexOf(10) + 1);
  const headText = complete.toString('utf8');
  const dialect = sniffCsvDialect(headText, csv, formatExtension(key) === '.tsv');
  const scan = (inferSchemaLength: number, overwrite: Record<string, pl.DataType>) =>
    scanCsv(location, {
      sep: dialect.delimiter,
      hasHeader: csv.header ?? true,
      quoteChar: dialect.quote,
      ...(csv.nullValues ? { nullValues: csv.nullValues } : {}),
      inferSchemaLength,
      ...(Object.keys(overwrite).length > 0 ? { overwriteDtype: overwrite } : {}),
      ...cloudOptions,
    });
  // Polars' CSV reader has no "all rows": it is given the file's line count (never more: it
  // reserves room for as many rows as it is told).
  const inferRows = options.inferSchemaLength ?? Math.max(1, await countLines(target, key));
  const inferred = new Map(outputColumns(scan(inferRows, {})).map((column) => [column.name, column.dtype]));
  if (inferred.size > MAX_TABLE_COLUMNS) {
    throw new FerryError(
      'COLUMNS_INVALID',
      `${key} has ${inferred.size} columns (delimiter ${dialect.delimiter === '\t' ? 'tab' : JSON.stringify(dialect.delimiter)}); a PostgreSQL table holds at most ${MAX_TABLE_COLUMNS}`,
    );
  }
  // The sample as text, to judge what Polars' inference would lose: the head's rows.
  const sample =
    complete.length === 0
      ? null
      : pl.readCSV(complete, {
          sep: dialect.delimiter,
          hasHeader: csv.header ?? true,
          quoteChar: dialect.quote,
          ...(csv.nullValues ? { nullValues: [...csv.nullValues] } : {}),
          inferSchemaLength: 0,
          nRows: inferRows,
        });
  if (sample === null) {
    // A first row longer than the head: nothing to refine by, Polars' inference stands.
    reading.csv = { dialect, decisions: [] };
    return scan(inferRows, overrides);
  }
  if (sample.height === 0 && (csv.header ?? true) && hasDataLines(headText)) {
    throw new FerryError(
      'FILE_CORRUPT',
      `${key} has lines after its header, but no rows could be read from them: its header line ${JSON.stringify(firstLine(headText))} has an unmatched quote (${dialect.quote}) that runs to the end of the file`,
    );
  }
  const inference = inferTextTypes(sample, inferred, new Set(Object.keys(options.schema)), { checkEveryRow: true, parseDates: !options.transformed });
  const asText = Object.fromEntries(inference.asText.map((column) => [column, pl.Utf8]));
  const frame = scan(inferRows, { ...asText, ...overrides });
  reading.csv = { dialect, decisions: inference.decisions };
  return inference.parses.length > 0 ? frame.withColumns(...inference.parses) : frame;
}

/** PostgreSQL's limit on a table's columns. */
const MAX_TABLE_COLUMNS = 1600;

function firstLine(text: string): string {
  const end = text.search(/\r?\n/);
  return end >= 0 ? text.slice(0, end) : text;
}

/** An encoding error found while the file was opened, with the line of its first bad byte. */
async function placeEncodingError(error: unknown, key: string, bytes: () => Promise<Readable>): Promise<never> {
  if (error instanceof FerryError && error.code === 'ENCODING_INVALID') {
    const found = await bytes()
      .then(findInvalidUtf8)
      .catch(() => null);
    if (found !== null) {
      throw new FerryError('ENCODING_INVALID', `${key} is not valid UTF-8 at line ${found.line} (byte offset ${found.offset}): ${error.message}`, {
        cause: error,
      });
    }
  }
  throw error;
}

/** Up to HEAD_BYTES of a stream, which is then closed. */
async function readHead(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      length += chunk.length;
      if (length >= HEAD_BYTES) break;
    }
  } finally {
    stream.destroy();
  }
  return Buffer.concat(chunks).subarray(0, HEAD_BYTES);
}

/** A line with something on it after the first line of the head. */
function hasDataLines(text: string): boolean {
  return text
    .split(/\r?\n/)
    .slice(1)
    .some((line) => line.trim() !== '');
}

/** Lines in a local file or an object (for inferring CSV types over all rows). */
async function countLines(target: ScanTarget, key: string): Promise<number> {
  if (target.kind !== 'path')
    throw new FerryError('SCHEMA_INFERENCE_FAILED', `${key}: source.inferSchemaLength: null (all rows) needs a local or downloaded CSV file; give a number`);
  let lines = 0;
  for await (const chunk of createReadStream(target.path) as AsyncIterable<Buffer>) {
    for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) lines++;
  }
  return lines + 1;
}

/** The IPC file format starts with the magic `ARROW1`; the stream format does not. */
async function isIpcFile(file: string): Promise<boolean> {
  const handle = await fs.open(file, 'r');
  try {
    const head = Buffer.alloc(6);
    const { bytesRead } = await handle.read(head, 0, 6, 0);
    return bytesRead === 6 && head.toString('latin1') === 'ARROW1';
  } finally {
    await handle.close();
  }
}
