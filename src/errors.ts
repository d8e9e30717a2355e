/**
 * One error type for the whole of ferry. Every failure that reaches a user or the ledger is a
 * FerryError: a `code` from a fixed list, whether retrying can help, the step it happened in,
 * and the original cause.
 */

export const ERROR_CODES = [
  'CONFIG_INVALID',
  'DATABASE_UNREACHABLE',
  'STORAGE_UNREACHABLE',
  'STORAGE_ERROR',
  'FILE_NOT_FOUND',
  'FILE_UNREADABLE',
  'FILE_CHANGED',
  'ALREADY_RUNNING',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** The steps of a file's processing, in the order of the data flow. */
export const FILE_STEPS = ['discover', 'claim', 'read', 'transform', 'check', 'load', 'record'] as const;
export type FileStep = (typeof FILE_STEPS)[number];

export interface FerryErrorOptions {
  readonly retryable?: boolean;
  readonly step?: FileStep;
  readonly cause?: unknown;
}

export class FerryError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly step: FileStep | undefined;

  constructor(code: ErrorCode, message: string, options: FerryErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = 'FerryError';
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.step = options.step;
  }
}

/** Turns anything thrown into a FerryError, keeping FerryErrors as they are. */
export function coerceError(error: unknown, fallback: ErrorCode = 'INTERNAL'): FerryError {
  if (error instanceof FerryError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new FerryError(fallback, message, { cause: error });
}

/** The message of anything thrown, for logs and the ledger. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
