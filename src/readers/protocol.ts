/**
 * The messages between ferry and its reader processes, over the child's IPC channel. Rows
 * never travel here: a reader writes them to a named pipe or temp file that ferry names.
 */
import type { CheckResult } from '../check/index.ts';
import type { ConfigOrigin } from '../config/index.ts';
import type { ErrorCode, FileStep } from '../errors/index.ts';
import type { WireSpec } from '../load/index.ts';
import type { FrameColumn } from '../postgres/index.ts';

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
  /** Release an open job (its temp copy). */
  | { readonly type: 'close'; readonly job: number }
  /** Count a file's rows (formats whose count needs Polars). */
  | { readonly type: 'count'; readonly pipeline: string; readonly file: FileRef }
  /** A file through read, transform and check, for `ferry preview`. */
  | { readonly type: 'preview'; readonly pipeline: string; readonly file: FileRef; readonly rows: number; readonly checks: boolean };

export interface OpenResult {
  readonly columns: readonly FrameColumn[];
  readonly partCount: number;
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
}

export interface SerializedError {
  readonly code: ErrorCode;
  readonly step: FileStep | undefined;
  readonly message: string;
}

export type ReaderReply =
  | { readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly id: number; readonly ok: false; readonly error: SerializedError };

export interface ReaderEnvelope {
  readonly id: number;
  readonly request: ReaderRequest;
}
