/**
 * Config as users write it (every field optional, documented defaults) and as ferry uses it
 * (resolved once at start: frozen, every field present).
 */

import type { AlertDestination, AlertInput } from '../alerts/index.ts';
import type { CheckInput, ResolvedCheck } from '../check/index.ts';
import type { Compression, CsvOptions, FileFormat, SourceFormat } from '../formats/index.ts';
import type { SchemaDriftPolicy, SinkMode, TableSink } from '../load/index.ts';
import type { ConfigOrigin } from '../project.ts';
import type { Schedule } from '../schedule/index.ts';
import type { StorageInput, StorageLocation, StoreSettings } from '../storage/index.ts';
import type { TransformFunction, TransformSpec } from '../transform/index.ts';
import type { TrustProxy } from './trust-proxy.ts';

export { LINEAGE_COLUMNS, SCHEMA_DRIFT_POLICIES, SINK_MODES } from '../load/index.ts';

/** A transform: a Polars LazyFrame in, a LazyFrame out. */
export type Transform = TransformFunction;

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
  /** Where rows rejected by checks go (same schema as the table). @default '<table>_rejects' */
  readonly rejects?: string;
}

export interface PipelineInput {
  readonly source?: {
    /** Only keys under this prefix (relative to the storage root). @default '' */
    readonly prefix?: string;
    /** Keys (relative to the prefix) must match this glob. @default '**\/*.parquet' */
    readonly glob?: string;
    /** Only files modified within this duration; `null` for no limit. @default none for a table sink; '24h' for the row-count sink */
    readonly modifiedWithin?: string | null;
    /** @default from the extension: .parquet, .csv, .ndjson/.jsonl, .arrow/.ipc/.feather */
    readonly format?: FileFormat;
    /** @default from the extension: .gz → gzip, .zst → zstd, else none */
    readonly compression?: Compression;
    readonly csv?: CsvOptions;
    /**
     * Rows read to infer the column types of CSV and NDJSON files; `null` reads all rows (JSON
     * arrays and Arrow files always use all rows). @default 10000
     */
    readonly inferSchemaLength?: number | null;
    /** Column types that override inference, e.g. `{ zip: 'text', amount: 'double precision' }`. @default {} */
    readonly schema?: Readonly<Record<string, string>>;
    /**
     * `'last-seen'`: list only keys after the greatest key already in the ledger (S3 StartAfter),
     * for keys that arrive in order (a date or a sequence number in the key); a key that sorts
     * before it is then never seen. @default 'start': list everything under the prefix
     */
    readonly listFrom?: 'start' | 'last-seen';
    /**
     * Load hidden files too: those with a name (or a folder in their key) that starts with `.`.
     * They are left out by default — editors, sync tools and uploads in progress leave such
     * files (`.~lock.x.csv`, `.x.parquet.part`) — and each run counts them (`files_hidden`).
     * @default false
     */
    readonly includeHidden?: boolean;
    /**
     * Object-created events tell ferry of new files, so that a run need not list the store:
     * `'http'` (they are posted to `POST /events`) or `{ sqs: queueUrl }` (ferry polls the
     * queue). Runs then list the store only to reconcile (`reconcile`). Without it every run
     * lists (events posted to `POST /events` are still recorded). @default none
     */
    readonly events?: 'http' | { readonly sqs: string };
    /**
     * With `events`: how often a run also lists the store, recording what the events missed
     * (lost or late events); `null` never lists. A manual run always lists. @default '1d'
     */
    readonly reconcile?: string | null;
  };
  /** A Polars transform applied to each file before it is loaded (table sinks). */
  readonly transform?: Transform;
  /** Or Polars SQL over the table `source` (table sinks). */
  readonly sql?: string;
  /**
   * Data quality rules (see Checks) run on every file, in the pass that loads it (a row-count
   * sink then reads the rows); or `{ samples: 0, rules: [...] }` to keep no sample values of
   * failing rows. @default []
   */
  readonly checks?: readonly CheckInput[] | { readonly samples?: number; readonly rules: readonly CheckInput[] };
  /** @default 'row-count': one `etl_results` row per file version with its row count; or a table */
  readonly sink?: 'row-count' | TableSinkInput;
  /** `'5m'`, `'0 * * * *'`, `{ every: '5m' }` or `{ cron, timezone }`. @default { every: '5m' } */
  readonly schedule?: string | { readonly every: string } | { readonly cron: string; readonly timezone?: string };
  /** The pipeline is late (an alert, and the dashboard says so) without a successful run this long. @default twice the schedule's interval */
  readonly expectEvery?: string;
  /**
   * Small files loaded together: up to `files` files and `bytes` bytes in one transaction (one
   * COPY when their columns match), each recorded in the ledger in it. A file larger than a
   * quarter of `bytes` is loaded alone; `false` loads every file alone. @default { files: 100, bytes: '16MiB' }
   */
  readonly batch?: false | { readonly files?: number; readonly bytes?: string };
}

export interface FerryConfigInput {
  /** @default './data/inbox' */
  readonly storage?: StorageInput;
  readonly http?: {
    /** @default '127.0.0.1' */
    readonly host?: string;
    /** @default 8000 */
    readonly port?: number;
    /** The address people reach ferry at, for links in alerts. @default http://<host>:<port> (or FERRY_PUBLIC_URL) */
    readonly publicUrl?: string;
  };
  /** Where alerts go: webhooks (URLs from the environment, never written here), JSON or Slack. */
  readonly alerts?: readonly AlertInput[];
  /** Where ferry keeps its embedded database and lock files. @default '.ferry' */
  readonly dataDir?: string;
  /** Files processed at the same time by one process. @default 2 */
  readonly concurrency?: number;
  /** How long a claimed file stays reserved for its worker; renewed while it is worked on. @default '1m' */
  readonly leaseDuration?: string;
  /**
   * Ledger rows that can no longer matter (superseded versions, processed versions older than
   * their pipeline's time window, old runs and alerts) are deleted once finished this long ago;
   * `null` keeps everything. @default '30d'
   */
  readonly retention?: string | null;
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
    /** A file that killed this many reader processes is quarantined as a poison file. @default 2 */
    readonly maxReaderCrashes?: number;
    /**
     * Memory of each reader process (its data segment: what it allocates), enforced by the
     * kernel (Linux, with util-linux's `prlimit`); a reader that needs more dies, which counts
     * as a reader crash. At least 1GiB. @default '4GiB'
     */
    readonly readerMemory?: string;
    /** A reader still working on one file (or batch) after this long is killed, which counts as a reader crash. @default '30m' */
    readonly fileTimeout?: string;
  };
  /** The reader processes that run Polars (at most `concurrency` of them): what they cost while idle or busy. */
  readonly readers?: {
    /**
     * A reader with no file to read for this long exits (the next file starts one again, in
     * about 0.4 s); `null` keeps readers running. @default '1m'
     */
    readonly idleExit?: string | null;
    /** A reader is replaced by a fresh process after this many claims (a file or a batch each); `null` keeps it. @default null */
    readonly recycleAfter?: number | null;
  };
  /** @default { default: {} }: the demo's row count of recent Parquet files */
  readonly pipelines?: Readonly<Record<string, PipelineInput>>;
}

export type TableSinkConfig = TableSink;
export type SinkConfig = { readonly kind: 'row-count' } | TableSink;

export interface ResolvedSource extends SourceFormat {
  readonly prefix: string;
  readonly glob: string;
  readonly modifiedWithinMs: number | null;
  readonly listFrom: 'start' | 'last-seen';
  readonly includeHidden: boolean;
  /** How new files are told of besides listing; null: every run lists. */
  readonly events: SourceEvents | null;
  /** With events: the least time between two listings of the store; null: none unless a person asks. */
  readonly reconcileMs: number | null;
}

/** Where a pipeline's object-created events come from. */
export type SourceEvents = { readonly kind: 'http' } | { readonly kind: 'sqs'; readonly queueUrl: string };

/** How many small files go in one transaction (files: 1 is no batching). */
export interface ResolvedBatch {
  readonly files: number;
  readonly bytes: number;
}

export interface ResolvedPipeline {
  readonly name: string;
  readonly source: ResolvedSource;
  readonly transform: TransformSpec;
  readonly checks: readonly ResolvedCheck[];
  readonly sink: SinkConfig;
  readonly schedule: Schedule;
  /** See PipelineInput.expectEvery. */
  readonly expectEveryMs: number;
  readonly batch: ResolvedBatch;
}

export type { ConfigOrigin };

export interface ResolvedConfig {
  /** The config file that was read, or null. */
  readonly configFile: string | null;
  /** The project's folder (relative paths and state are resolved there); null outside any project. */
  readonly projectRoot: string | null;
  readonly storage: StorageLocation;
  /** True when no storage was configured: the default inbox is then created if missing. */
  readonly storageIsDefault: boolean;
  /**
   * The stores' connection settings: S3's from AWS_REGION, AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID,
   * AWS_SECRET_ACCESS_KEY; Azure's from AZURE_STORAGE_ACCOUNT_NAME, AZURE_STORAGE_ACCOUNT_KEY,
   * AZURE_STORAGE_SAS_TOKEN, AZURE_STORAGE_CONNECTION_STRING, AZURE_STORAGE_ENDPOINT. Never printed.
   */
  readonly stores: StoreSettings;
  /** From DATABASE_URL; null means the embedded database. */
  readonly databaseUrl: string | null;
  readonly http: { readonly host: string; readonly port: number };
  readonly dataDir: string;
  readonly concurrency: number;
  readonly leaseMs: number;
  /** See FerryConfigInput.retention; null keeps every row. */
  readonly retentionMs: number | null;
  readonly retry: { readonly maxAttempts: number; readonly baseDelayMs: number; readonly maxDelayMs: number };
  readonly limits: {
    readonly maxFileSize: number;
    readonly maxFooterSize: number;
    readonly maxDecompressedSize: number;
    readonly maxRowGroupSize: number;
    readonly maxReaderCrashes: number;
    readonly readerMemory: number;
    readonly fileTimeoutMs: number;
  };
  /** See FerryConfigInput.readers; null: never. */
  readonly readers: { readonly idleExitMs: number | null; readonly recycleAfter: number | null };
  /** From FERRY_ADMIN_TOKEN; admin endpoints are off while it is null. */
  readonly adminToken: string | null;
  /** From FERRY_READ_TOKEN: when set, every route but /health (and the dashboard's assets) needs it or the admin token. */
  readonly readToken: string | null;
  /** From FERRY_METRICS_TOKEN: opens /metrics (as do the read and admin tokens). */
  readonly metricsToken: string | null;
  /** From FERRY_EVENTS_TOKEN: opens POST /events only (as does the admin token); the route is off while neither is set. */
  readonly eventsToken: string | null;
  /** FERRY_PUBLIC_READ=true: reading without a token on a non-loopback address is intended. */
  readonly publicRead: boolean;
  /** FERRY_TRUST_PROXY: the proxies whose X-Forwarded-For entries are believed (see trust-proxy.ts). */
  readonly trustProxy: TrustProxy;
  /** The alert destinations whose URL is set. */
  readonly alerts: readonly AlertDestination[];
  /** Destinations left off (their URL's variable is unset): one line each, logged at start. */
  readonly alertsOff: readonly string[];
  /** Links in alerts point here (the dashboard is at /ui). */
  readonly publicUrl: string;
  readonly pipelines: readonly ResolvedPipeline[];
  readonly origin: ConfigOrigin;
}
