/**
 * What a pipeline's files are: their formats and compressions (from the config, else from the
 * key's extension) and the options a file is read with. No Polars here: the service decides
 * from these which path a file takes; the reader processes open it (see frame/open-frame.ts).
 */
import path from 'node:path';
import { FerryError } from '../errors/index.ts';

export const FILE_FORMATS = ['parquet', 'csv', 'ndjson', 'json', 'ipc'] as const;
export type FileFormat = (typeof FILE_FORMATS)[number];

export const COMPRESSIONS = ['none', 'gzip', 'zstd'] as const;
export type Compression = (typeof COMPRESSIONS)[number];

const EXTENSIONS: Readonly<Record<string, FileFormat>> = {
  '.parquet': 'parquet',
  '.pq': 'parquet',
  '.csv': 'csv',
  '.tsv': 'csv',
  '.ndjson': 'ndjson',
  '.jsonl': 'ndjson',
  '.json': 'json',
  '.arrow': 'ipc',
  '.arrows': 'ipc',
  '.ipc': 'ipc',
  '.feather': 'ipc',
};

const COMPRESSED_EXTENSIONS: Readonly<Record<string, Compression>> = { '.gz': 'gzip', '.gzip': 'gzip', '.zst': 'zstd', '.zstd': 'zstd' };

/** `sales.csv.gz` → gzip; `sales.csv` → none. */
export function compressionOfKey(key: string): Compression {
  return COMPRESSED_EXTENSIONS[path.extname(key).toLowerCase()] ?? 'none';
}

/** The extension under any compression extension: `people.tsv.gz` → `.tsv`. */
export function formatExtension(key: string): string {
  const inner = compressionOfKey(key) === 'none' ? key : key.slice(0, -path.extname(key).length);
  return path.extname(inner).toLowerCase();
}

/** The format a key's extension names (under a compression extension), or null. */
export function formatOfKey(key: string): FileFormat | null {
  return EXTENSIONS[formatExtension(key)] ?? null;
}

export interface CsvOptions {
  readonly delimiter?: string;
  readonly header?: boolean;
  readonly quote?: string;
  readonly nullValues?: readonly string[];
}

/** How a pipeline's files are read (`source` in the config); null format or compression: from the extension. */
export interface SourceFormat {
  readonly format: FileFormat | null;
  readonly compression: Compression | null;
  readonly csv: CsvOptions;
  /** Rows read to infer column types of CSV and NDJSON; null: all rows. */
  readonly inferSchemaLength: number | null;
  /** Column → type name (see polars/schema-types.ts), overriding inference. */
  readonly schema: Readonly<Record<string, string>>;
  /**
   * Columns of `schema` that a cast rule judges: read as the file has them (text, from CSV and
   * NDJSON) and cast row by row by the rule, instead of failing the file on the first bad value.
   */
  readonly lenient: readonly string[];
}

/** A source format resolved for one key. */
export interface ReadOptions {
  readonly format: FileFormat;
  readonly compression: Compression;
  readonly csv: CsvOptions;
  readonly inferSchemaLength: number | null;
  readonly schema: Readonly<Record<string, string>>;
  readonly lenient: readonly string[];
  readonly maxDecompressedSize: number;
  /**
   * The pipeline transforms the frame: its text keeps the form the transform expects (dates and
   * times stay text, JSON values are typed by Polars), as it did before ferry typed them.
   */
  readonly transformed?: boolean;
  /** Parquet columns of Float16, which Polars reads as bytes: decoded before any cast (see polars/parquet-fixes.ts). */
  readonly float16?: readonly string[];
}

/** The source's format, else the one the key's extension names. */
export function readOptionsFor(source: SourceFormat, key: string, maxDecompressedSize: number): ReadOptions {
  const format = source.format ?? formatOfKey(key);
  if (format === null) throw new FerryError('FORMAT_UNKNOWN', `${key}: the format is not known from its extension; set source.format`);
  return {
    format,
    compression: source.compression ?? compressionOfKey(key),
    csv: source.csv,
    inferSchemaLength: source.inferSchemaLength,
    schema: source.schema,
    lenient: source.lenient,
    maxDecompressedSize,
  };
}

export function describeFormat(options: Pick<ReadOptions, 'format' | 'compression'>): string {
  const name = { parquet: 'Parquet', csv: 'CSV', ndjson: 'NDJSON', json: 'JSON', ipc: 'Arrow IPC' }[options.format];
  return options.compression === 'none' ? name : `${options.compression}-compressed ${name}`;
}
