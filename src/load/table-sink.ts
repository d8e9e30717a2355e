/**
 * What the load stage needs to know of a table sink, and the rows it is given: the load
 * stage's own input types (config resolves into them; nothing here imports the config).
 */
import type { FrameColumn } from '../postgres/index.ts';
import { quoteIdentifier } from '../postgres/index.ts';

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

export interface TableSink {
  readonly kind: 'table';
  readonly table: string;
  readonly schema: string | null;
  readonly mode: SinkMode;
  readonly key: readonly string[];
  readonly lineage: boolean;
  readonly schemaDrift: SchemaDriftPolicy;
  /** The table for rows rejected by checks (in the sink's schema). */
  readonly rejects: string;
}

/** The rejects table's name, qualified as the sink's table is. */
export function qualifiedRejectsName(sink: Pick<TableSink, 'schema' | 'rejects'>): string {
  return qualifiedTableName({ schema: sink.schema, table: sink.rejects });
}

export function qualifiedTableName(sink: Pick<TableSink, 'schema' | 'table'>): string {
  return sink.schema === null ? quoteIdentifier(sink.table) : `${quoteIdentifier(sink.schema)}.${quoteIdentifier(sink.table)}`;
}

/** How rows cross to COPY: Arrow IPC of the columns' binary wire forms, or CSV text; plus, when on, each file's lineage values. */
export interface WireSpec {
  readonly binary: boolean;
  readonly lineage: boolean;
}

/**
 * The rows of one file (or of a batch of small files with the same columns), written by
 * whoever holds Polars (a reader process): the columns after the transform, and the rows in
 * `partCount` parts (slices of a large file, or one), each written on request to a path (a
 * named pipe or a temp file) as a complete CSV or IPC stream. Rows checks reject are written
 * as CSV files into `rejectsDir`, named with a number that orders them.
 */
export interface RowSource<Report = unknown> {
  readonly columns: readonly FrameColumn[];
  readonly partCount: number;
  /** Checks run on the rows: each write may also write rejected rows to `rejectsTarget`. */
  readonly checked: boolean;
  /** Resolves with what the writer reports of the part (its check tallies), kept in order for the caller. */
  write(part: number, target: string, wire: WireSpec, rejectsDir: string | null): Promise<Report>;
  /** Told the rows copied so far (binary COPY), for progress displays. */
  readonly onRows?: (rows: number) => void;
  /** Told each Arrow record batch's nulls per column as it is encoded (binary COPY), for the read guard. */
  readonly onNulls?: (nullCounts: readonly number[]) => void;
}

/** What a load did: rows copied into the table and into its rejects table, and each part's report. */
export interface LoadResult<Report = unknown> {
  readonly rows: number;
  readonly rejected: number;
  readonly parts: readonly Report[];
}
