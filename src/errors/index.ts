/**
 * One error type for the whole of ferry. Every failure that reaches a user or the ledger is a
 * FerryError: a `code` from the error table (which decides whether retrying can help), the
 * step it happened in, and the original cause. `coerceError` turns anything else into one.
 */
import { isTempSpaceFull } from './classify.ts';
import { type ErrorCode, errorEntry, type FileStep } from './error-table.ts';

export { databaseErrorCode } from './classify.ts';
export { ERROR_CODES, ERROR_TABLE, type ErrorCode, type ErrorEntry, type ErrorOutcome, errorEntry, FILE_STEPS, type FileStep } from './error-table.ts';
export { maskDataValues } from './mask.ts';
export { noteSwallowed, onSwallowed, swallow, swallowedCounts } from './swallowed.ts';

export interface FerryErrorOptions {
  /** @default the code's step in the error table */
  readonly step?: FileStep;
  readonly cause?: unknown;
  /** In a batch of files, the key of the file the error is about. */
  readonly file?: string;
}

export class FerryError extends Error {
  readonly code: ErrorCode;
  readonly step: FileStep | undefined;
  /** In a batch of files, the key of the file the error is about (that file is then tried alone). */
  readonly file: string | undefined;

  constructor(code: ErrorCode, message: string, options: FerryErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = 'FerryError';
    this.code = code;
    this.step = options.step ?? errorEntry(code).step ?? undefined;
    this.file = options.file;
  }

  /** Whether trying the same file again later can help (from the error table). */
  get retryable(): boolean {
    return errorEntry(this.code).outcome === 'retry';
  }
}

/** Turns anything thrown into a FerryError, keeping FerryErrors as they are. */
export function coerceError(error: unknown, fallback: ErrorCode = 'INTERNAL'): FerryError {
  if (error instanceof FerryError) return error;
  const message = error instanceof Error ? error.message : String(error);
  // A temp folder that is full is the machine's problem: the file is tried again later.
  if (isTempSpaceFull(error)) return new FerryError('TEMP_SPACE_FULL', message, { cause: error });
  return new FerryError(fallback, message, { cause: error });
}

/** The message of anything thrown, for logs and the ledger. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
