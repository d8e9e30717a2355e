/**
 * Causes from PostgreSQL mapped to the error table, by SQLSTATE class (as graphile-worker
 * decides retries): the connection and the server going away are transient, so are
 * serialization failures and deadlocks; anything else PostgreSQL says about a load is about
 * the rows themselves.
 */
import type { ErrorCode } from './error-table.ts';

const TRANSIENT_SQLSTATES: Readonly<Record<string, ErrorCode>> = {
  '57P01': 'DATABASE_UNREACHABLE', // admin_shutdown
  '57P02': 'DATABASE_UNREACHABLE', // crash_shutdown
  '57P03': 'DATABASE_UNREACHABLE', // cannot_connect_now
  '53300': 'DATABASE_UNREACHABLE', // too_many_connections
  '40001': 'DATABASE_CONFLICT', // serialization_failure
  '40P01': 'DATABASE_CONFLICT', // deadlock_detected
};
/** Node's errors for a full disk or quota: ferry's temp space, the machine's problem. */
const NO_SPACE_ERRORS = new Set(['ENOSPC', 'EDQUOT']);

/** Whether Node failed because the temp space (a load's pipe, slices, a copy of an object) is full. */
export function isTempSpaceFull(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && NO_SPACE_ERRORS.has(code);
}

/** Node's socket errors from `pg` when the server is not there. */
const SOCKET_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND']);

/**
 * The code for an error `pg` raised: transient ones by SQLSTATE or socket error; `fallback`
 * (by default LOAD_REJECTED: the data did not fit) for the rest.
 */
export function databaseErrorCode(error: unknown, fallback: ErrorCode = 'LOAD_REJECTED'): ErrorCode {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  // ferry's own temp space (a load's pipe or slices) was full: not the rows' fault.
  if (isTempSpaceFull(error)) return 'TEMP_SPACE_FULL';
  if (typeof code === 'string') {
    if (code.startsWith('08')) return 'DATABASE_UNREACHABLE';
    const transient = TRANSIENT_SQLSTATES[code];
    if (transient !== undefined) return transient;
    if (SOCKET_ERRORS.has(code)) return 'DATABASE_UNREACHABLE';
  } else if (/Connection terminated|connection (?:closed|lost)|Client has encountered a connection error/i.test(message)) {
    return 'DATABASE_UNREACHABLE';
  }
  return fallback;
}
