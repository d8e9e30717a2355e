/**
 * The reader API: the requests ferry sends its reader processes over the child's IPC channel,
 * each with its arguments and its answer. Both sides are typed from `ReaderApi` alone: the
 * parent's `Reader.call` and the child's handlers (frame/pipeline.ts), so that adding a request
 * is one entry here and one handler there. Rows never travel here: a reader writes them to a
 * named pipe or temp file that ferry names.
 */
import type { CheckResult, PartResult, RuleTally } from '../check/index.ts';
import type { ConfigOrigin } from '../config/index.ts';
import type { ErrorCode, FerryError, FileStep } from '../errors/index.ts';
import type { DeclaredCounts } from '../formats/index.ts';
import type { WireSpec } from '../load/index.ts';
import type { FrameColumn } from '../postgres/index.ts';

export interface ReaderApi {
  /** Loads the config (the first request a reader gets). */
  readonly init: { readonly args: { readonly origin: ConfigOrigin; readonly options: ReaderOptions }; readonly result: null };
  /**
   * Reads, casts, transforms and checks files, each kept open as its job for writes: each
   * opened, or why it failed. `whole`: each in one part, read at once (a batch's small files);
   * else a large Parquet file is cut in slices of rows, one part each.
   */
  readonly open: {
    readonly args: { readonly pipeline: string; readonly files: readonly OpenFile[]; readonly whole: boolean };
    readonly result: EachResult<OpenResult>[];
  };
  /**
   * Writes part `part` of open jobs to `target` as one stream (several jobs: files of one part
   * with the same columns, each with its own lineage), CSV or Arrow IPC for binary COPY; with
   * checks, the rows rules rejected go to `rejectsDir`. Each job's result; a job that fails
   * fails the write, naming its file (FerryError.file).
   */
  readonly write: {
    readonly args: {
      readonly jobs: readonly number[];
      readonly part: number;
      readonly target: string;
      readonly wire: WireSpec;
      readonly rejectsDir: string | null;
    };
    readonly result: FileWritten[];
  };
  /** Counts files' rows (with the pipeline's checks, their tallies too): each count, or why it failed. */
  readonly count: { readonly args: { readonly pipeline: string; readonly files: readonly FileRef[] }; readonly result: EachResult<Counted>[] };
  /** Releases open jobs (their temp copies). */
  readonly close: { readonly args: { readonly jobs: readonly number[] }; readonly result: null };
  /** A file through read, transform and (with `checks`) the checks, for `ferry preview`. */
  readonly preview: {
    readonly args: { readonly pipeline: string; readonly file: FileRef; readonly rows: number; readonly checks: boolean };
    readonly result: PreviewResult;
  };
}

export type ReaderMethod = keyof ReaderApi;
export type ReaderArgs<M extends ReaderMethod> = ReaderApi[M]['args'];
export type ReaderResult<M extends ReaderMethod> = ReaderApi[M]['result'];

/** What serves the API in a reader process: one handler per request. */
export type ReaderHandlers = { readonly [M in ReaderMethod]: (args: ReaderArgs<M>) => Promise<ReaderResult<M>> };

/** A request as it travels: its method and arguments, paired. */
export type ReaderRequest = { [M in ReaderMethod]: { readonly method: M; readonly args: ReaderArgs<M> } }[ReaderMethod];

export interface ReaderEnvelope {
  readonly id: number;
  readonly request: ReaderRequest;
}

export type ReaderReply =
  | { readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly id: number; readonly ok: false; readonly error: SerializedError };

/** Switches that tests pass to the reader processes (none is set in production). */
export interface ReaderOptions {
  /** Rows per slice of a Parquet file, whatever their size (to test rules across slices). */
  readonly sliceRows?: number;
}

/** The file version a request is about. */
export interface FileRef {
  readonly key: string;
  readonly version: string;
  readonly size: number;
  readonly etag: string | null;
}

export interface OpenFile {
  readonly job: number;
  readonly file: FileRef;
}

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

/** What writing one part of one file did. */
export interface FileWritten {
  /** Rows written for COPY; null for a part streamed without checks (the COPY counts those). */
  readonly rows: number | null;
  /** With checks, the part's rows read, rejected and rules' tallies; null without checks. */
  readonly part: PartResult | null;
  /** With checks, once the file's last part is written: the file rules' tallies; else null. */
  readonly fileTallies: readonly RuleTally[] | null;
}

export interface Counted {
  readonly rows: number;
  /** With the pipeline's checks, every rule's tallies; else null. */
  readonly tallies: readonly RuleTally[] | null;
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
  /** With the checks: the rows a load would load, and those it would reject (the rejects table). */
  readonly loadable: { readonly rows: number; readonly rejected: number } | null;
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

export function serializeError(error: FerryError): SerializedError {
  return { code: error.code, step: error.step, message: error.message, ...(error.file === undefined ? {} : { file: error.file }) };
}
