/**
 * The messages between ferry and its reader processes, over the child's IPC channel. Rows
 * never travel here: a reader writes them to a named pipe or temp file that ferry names.
 */
import type { CheckResult, PartResult, RuleTally } from '../check/index.ts';
import type { ConfigOrigin } from '../config/index.ts';
import type { ErrorCode, FerryError, FileStep } from '../errors/index.ts';
import type { WireSpec } from '../load/index.ts';
import type { FrameColumn } from '../postgres/index.ts';
import type { DeclaredCounts } from '../read/index.ts';

/** The file version a request is about. */
export interface FileRef {
  readonly key: string;
  readonly version: string;
  readonly size: number;
  readonly etag: string | null;
}

export type ReaderRequest =
  | { readonly type: 'init'; readonly origin: ConfigOrigin }
  /** Read, transform and check a file; keep it open as `job` for writes. */
  | { readonly type: 'open'; readonly job: number; readonly pipeline: string; readonly file: FileRef }
  /** Write part `part` of an open job's rows to `target` (CSV, or Arrow IPC for binary COPY). */
  | {
      readonly type: 'write';
      readonly job: number;
      readonly part: number;
      readonly target: string;
      readonly wire: WireSpec;
      readonly rejectsTarget: string | null;
    }
  /** The file rules' tallies of an open job, once all its parts are written. */
  | { readonly type: 'finish'; readonly job: number }
  /** Open several small files at once (a batch): each opened as its job, or its error. */
  | { readonly type: 'open-many'; readonly pipeline: string; readonly files: readonly { readonly job: number; readonly file: FileRef }[] }
  /** Write the rows of several open one-part jobs with the same columns to `target`, one after the other, as one stream. */
  | {
      readonly type: 'write-many';
      readonly jobs: readonly number[];
      readonly target: string;
      readonly wire: WireSpec;
      readonly rejectsDir: string | null;
    }
  /** Count the rows of several files (a batch of the row-count sink): each count, or its error. */
  | { readonly type: 'count-many'; readonly pipeline: string; readonly files: readonly FileRef[] }
  /** Release an open job (its temp copy). */
  | { readonly type: 'close'; readonly job: number }
  /** Count a file's rows (formats whose count needs Polars). */
  | { readonly type: 'count'; readonly pipeline: string; readonly file: FileRef }
  /** A file through read, transform and check, for `ferry preview`. */
  | { readonly type: 'preview'; readonly pipeline: string; readonly file: FileRef; readonly rows: number; readonly checks: boolean };

export interface OpenResult {
  readonly columns: readonly FrameColumn[];
  readonly partCount: number;
  /**
   * What a plain Parquet file's footer declares (rows, nulls per column), for the parent to
   * hold the rows it encodes to (see load/copy-stream.ts); null where the reader does it.
   */
  readonly declared: DeclaredCounts | null;
}

/** One file of a request about several: its result, or why it failed. */
export type EachResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: SerializedError };

/** What writing one file of a batch did: its rows loaded, its rows' check tallies, its file rules' tallies. */
export interface BatchFileResult {
  readonly rows: number;
  /** With checks, the file's one part (rows read, rejected, tallies); null without checks. */
  readonly part: PartResult | null;
  readonly fileTallies: readonly RuleTally[];
}

export interface PreviewResult {
  readonly format: string;
  readonly transformed: boolean;
  readonly columns: readonly FrameColumn[];
  readonly rows: number;
  readonly head: readonly Record<string, unknown>[];
  readonly table: string;
  /** The pipeline's checks on the file (with --checks), else null. */
  readonly checks: readonly CheckResult[] | null;
  /** What ferry decided beyond Polars' inference, and why: the CSV dialect, then column by column. */
  readonly inferred: readonly { readonly column: string | null; readonly type: string; readonly reason: string }[];
}

export interface SerializedError {
  readonly code: ErrorCode;
  readonly step: FileStep | undefined;
  readonly message: string;
  /** In a batch, the key of the file the error is about. */
  readonly file?: string | undefined;
}

export type ReaderReply =
  | { readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly id: number; readonly ok: false; readonly error: SerializedError };

export interface ReaderEnvelope {
  readonly id: number;
  readonly request: ReaderRequest;
}

export function serializeError(error: FerryError): SerializedError {
  return { code: error.code, step: error.step, message: error.message, ...(error.file === undefined ? {} : { file: error.file }) };
}
