/**
 * Config as users write it (every field optional, documented defaults) and as ferry uses it
 * (resolved once at start: frozen, every field present).
 */

import type pl from 'nodejs-polars';
import type { Compression, CsvOptions, FileFormat } from '../formats/frame-reader.ts';
import type { Schedule } from '../scheduler/schedule.ts';
import type { StorageInput, StorageLocation } from '../storage/location.ts';
import type { S3Settings } from '../storage/object-store.ts';

/** A transform: a Polars LazyFrame in, a LazyFrame out. */
export type Transform = (frame: pl.LazyDataFrame) => pl.LazyDataFrame;

/**
 * How a table sink loads a file's rows: `append` adds them; `replace` first deletes the rows
 * that earlier versions of the same file loaded; `merge` upserts on `key`.
 */
export const SINK_MODES = ['append', 'replace', 'merge'] as const;
export type SinkMode = (typeof SINK_MODES)[number];

/** What a file whose columns differ from the table's does: `evolve` adds its new columns (nullable); `strict` quarantines it. */
export const SCHEMA_DRIFT_POLICIES = ['evolve', 'strict'] as const;
export type SchemaDriftPolicy = (typeof SCHEMA_DRIFT_POLICIES)[number];

/** The lineage columns ferry adds when `lineage` is on (always in replace mode). */
export const LINEAGE_COLUMNS = { file: '_ferry_file', version: '_ferry_version', loadedAt: '_ferry_loaded_at' } as const;

export interface TableSinkInput {
  readonly table: string;
  /** @default the connection's search_path (normally public) */
  readonly schema?: string;
  /** @default 'append' */
  readonly mode?: SinkMode;
  /** Merge mode: the columns that identify a row (a primary key when ferry creates the table). */
  readonly key?: readonly string[];
  /** Add `_ferry_file`, `_ferry_version` and `_ferry_loaded_at` to every row. @default false (true in replace mode) */
  readonly lineage?: boolean;
  /** @default 'evolve' */
  readonly schemaDrift?: SchemaDriftPolicy;
}

export interface PipelineInput {
  readonly source?: {
    /** Only keys under this prefix (relative to the storage root). @default '' */
    readonly prefix?: string;
    /** Keys (relative to the prefix) must match this glob. @default '**\/*.parquet' */
    readonly glob?: string;
    /** Only files modified within this duration; `null` for no limit. @default '24h' */
    readonly modifiedWithin?: string | null;
    /** @default from the extension: .parquet, .csv, .ndjson/.jsonl, .arrow/.ipc/.feather */
    readonly format?: FileFormat;
    /** @default from the extension: .gz → gzip, .zst → zstd, else none */
    readonly compression?: Compression;
    readonly csv?: CsvOptions;
  };
  /** A Polars transform applied to each file before it is loaded (table sinks). */
  readonly transform?: Transform;
  /** Or Polars SQL over the table `source` (table sinks). */
  readonly sql?: string;
  /** @default 'row-count': one `etl_results` row per file version with its row count; or a table */
  readonly sink?: 'row-count' | TableSinkInput;
  /** `'5m'`, `'0 * * * *'`, `{ every: '5m' }` or `{ cron, timezone }`. @default { every: '5m' } */
  readonly schedule?: string | { readonly every: string } | { readonly cron: string; readonly timezone?: string };
}

export interface FerryConfigInput {
  /** @default './data/inbox' */
  readonly storage?: StorageInput;
  readonly http?: { readonly host?: string; readonly port?: number };
  /** Where ferry keeps its embedded database and lock files. @default '.ferry' */
  readonly dataDir?: string;
  /** Files processed at the same time by one process. @default 2 */
  readonly concurrency?: number;
  /** How long a claimed file stays reserved for its worker; renewed while it is worked on. @default '1m' */
  readonly leaseDuration?: string;
  readonly retry?: {
    /** @default 5 */
    readonly maxAttempts?: number;
    /** @default '2s' */
    readonly baseDelay?: string;
    /** @default '5m' */
    readonly maxDelay?: string;
  };
  /** Limits that protect ferry from hostile or broken files; a file over one is quarantined. */
  readonly limits?: {
    /** Largest object ferry reads. @default '10GiB' */
    readonly maxFileSize?: string;
    /** Largest Parquet footer (metadata) it accepts. @default '16MiB' */
    readonly maxFooterSize?: string;
    /** Most bytes a .gz or .zst file may decompress to. @default '4GiB' */
    readonly maxDecompressedSize?: string;
    /** Most uncompressed bytes a Parquet row group (or one of its column chunks) may declare, for files loaded into tables. @default '4GiB' */
    readonly maxRowGroupSize?: string;
  };
  /** @default { default: {} }: the demo's row count of recent Parquet files */
  readonly pipelines?: Readonly<Record<string, PipelineInput>>;
}

export interface TableSinkConfig {
  readonly kind: 'table';
  readonly table: string;
  readonly schema: string | null;
  readonly mode: SinkMode;
  readonly key: readonly string[];
  readonly lineage: boolean;
  readonly schemaDrift: SchemaDriftPolicy;
  readonly format: FileFormat | null;
  readonly compression: Compression | null;
  readonly csv: CsvOptions;
  readonly transform: Transform | null;
  readonly sql: string | null;
}

export type SinkConfig = { readonly kind: 'row-count' } | TableSinkConfig;

export interface ResolvedPipeline {
  readonly name: string;
  readonly source: { readonly prefix: string; readonly glob: string; readonly modifiedWithinMs: number | null };
  readonly sink: SinkConfig;
  readonly schedule: Schedule;
}

export interface ResolvedConfig {
  /** The config file that was read, or null. */
  readonly configFile: string | null;
  readonly storage: StorageLocation;
  /** True when no storage was configured: the default inbox is then created if missing. */
  readonly storageIsDefault: boolean;
  /** From AWS_REGION, AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY. Never printed. */
  readonly s3: S3Settings;
  /** From DATABASE_URL; null means the embedded database. */
  readonly databaseUrl: string | null;
  readonly http: { readonly host: string; readonly port: number };
  readonly dataDir: string;
  readonly concurrency: number;
  readonly leaseMs: number;
  readonly retry: { readonly maxAttempts: number; readonly baseDelayMs: number; readonly maxDelayMs: number };
  readonly limits: { readonly maxFileSize: number; readonly maxFooterSize: number; readonly maxDecompressedSize: number; readonly maxRowGroupSize: number };
  /** From FERRY_ADMIN_TOKEN; admin endpoints are off while it is null. */
  readonly adminToken: string | null;
  readonly pipelines: readonly ResolvedPipeline[];
}
