/**
 * Polars errors mapped to the error table. Polars raises plain strings; which of them mean
 * "the store failed", "the file is gone", "the file is corrupt", "a type could not be
 * inferred" or "the transform is wrong" is decided here, and only here, from their text.
 */
import type { ErrorCode } from '../errors/index.ts';

/** Messages from Polars' object-store layer that mean the store, not the file, failed. */
const TRANSIENT_STORE_ERROR =
  /object-store error|error sending request|connection (?:refused|reset|closed)|timed out|timeout|status code: (5\d\d|429)|dns error|reset by peer|broken pipe/i;
const NOT_FOUND = /not found|No such file or directory|os error 2\b/i;
/** A full disk or quota where Polars wrote a slice, a pipe's overflow or rejects: not the file's fault. */
const NO_SPACE = /No space left on device|os error 28\b|Disk quota exceeded|os error 122\b/i;
const INFERENCE =
  /infer_schema_length|could not parse .* as dtype|error deserializing value|got non-null value for NULL-typed column|cannot (?:infer|determine) .*schema/i;
const ENCODING = /utf-?8/i;
/** A valid file with a feature Polars cannot read (a Parquet INTERVAL, a logical type it does not know). */
const UNSUPPORTED = /could not import from `|LogicalType union has no variant|not yet implemented/i;
/** Errors of the plan, not of the file's bytes: a missing column, a type error, bad SQL. */
const PLAN =
  /ColumnNotFound|not found: unable to find column|unable to find column|SchemaMismatch|InvalidOperation|cannot compare|cannot cast|SQL(?:Syntax|Interface)|sql parser error|unsupported SQL|no table named|DuplicateError|is not a valid column/i;

export interface PolarsErrorContext {
  /** A transform ran in the same query: plan errors are then the transform's. */
  readonly transformed: boolean;
}

/** The code for an error Polars raised while reading (and transforming) a file. */
export function polarsErrorCode(message: string, context: PolarsErrorContext): ErrorCode {
  if (NO_SPACE.test(message)) return 'TEMP_SPACE_FULL';
  if (UNSUPPORTED.test(message)) return 'FILE_UNSUPPORTED';
  if (TRANSIENT_STORE_ERROR.test(message) && !/parquet:|out of specification/i.test(message)) return 'STORAGE_ERROR';
  if (NOT_FOUND.test(message) && !/column/i.test(message)) return 'FILE_NOT_FOUND';
  if (INFERENCE.test(message)) return 'SCHEMA_INFERENCE_FAILED';
  if (ENCODING.test(message)) return 'ENCODING_INVALID';
  if (context.transformed && PLAN.test(message)) return 'TRANSFORM_FAILED';
  return 'FILE_CORRUPT';
}

/** A Polars message without its `Error: ` prefix and the help text after the first blank line. */
export function polarsMessage(error: unknown): string {
  const text = (error instanceof Error ? error.message : String(error)).replace(/^Error: /, '');
  const cut = text.indexOf('\n\n');
  return (cut >= 0 ? text.slice(0, cut) : text).trim();
}
