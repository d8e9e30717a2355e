/**
 * One claimed file version, from read to record. It never throws: every path ends in an
 * outcome that the ledger records (processed, failed, retrying, superseded), or in a lost
 * lease, where the transaction rolls back and the new holder decides.
 */
import type { Logger } from 'pino';
import type { ResolvedConfig } from '../config/index.ts';
import { coerceError, FerryError } from '../errors.ts';
import {
  type FileVersionRecord,
  lockClaimedFile,
  markFileProcessed,
  markFileSuperseded,
  type RunRecord,
  recordFileFailure,
  renewLease,
} from '../ledger/index.ts';
import type { Sink } from '../pipeline/index.ts';
import { inTransaction, isTransientDatabaseError, type Pool } from '../postgres/index.ts';
import { type ObjectStore, versionIdentity } from '../storage/index.ts';
import { retryDelayMs } from './backoff.ts';

export type FileOutcome =
  | { readonly kind: 'processed'; readonly key: string; readonly rows: number }
  | { readonly kind: 'quarantined' | 'retrying'; readonly key: string; readonly step: string; readonly error: string }
  | { readonly kind: 'superseded'; readonly key: string; readonly reason: string }
  | { readonly kind: 'lease-lost'; readonly key: string };

export interface ProcessFileContext {
  readonly pool: Pool;
  readonly store: ObjectStore;
  readonly sink: Sink;
  readonly retry: ResolvedConfig['retry'];
  readonly leaseMs: number;
  readonly limits: ResolvedConfig['limits'];
  readonly log: Logger;
}

export async function processFile(context: ProcessFileContext, file: FileVersionRecord, owner: string, run: RunRecord): Promise<FileOutcome> {
  const { pool, store, sink, log } = context;
  const fileLog = log.child({ file: file.key, version: file.version, attempt: file.attempts });
  // Renew the lease while the file is worked on, so that a short lease covers a long file and
  // a crashed worker's file is taken over soon.
  const renewal = setInterval(
    () => {
      renewLease(pool, file.id, owner, context.leaseMs).catch(() => {});
    },
    Math.max(500, Math.floor(context.leaseMs / 3)),
  );
  renewal.unref();
  try {
    const prepared = await sink.prepare(store, file, context.limits);
    let outcome: { rows: number } | { changed: string } | null;
    try {
      outcome = await inTransaction(pool, async (client) => {
        if (!(await lockClaimedFile(client, file.id, owner))) return null;
        const rows = await prepared.load(client, run);
        // The version read must be the version recorded: if the object changed while it was
        // read, this version is gone (the transaction rolls back) and the new one will be
        // discovered and processed instead.
        const changed = await changedSince(store, file);
        if (changed !== null) throw new VersionChanged(changed);
        await markFileProcessed(client, file.id, rows);
        return { rows };
      }).catch((error: unknown) => {
        if (error instanceof VersionChanged) return { changed: error.message };
        throw error;
      });
    } finally {
      await prepared.dispose();
    }
    if (outcome === null) {
      fileLog.warn('lease lost before the load committed; rolled back');
      return { kind: 'lease-lost', key: file.key };
    }
    if ('changed' in outcome) {
      await markFileSuperseded(pool, file.id, owner, outcome.changed);
      fileLog.info({ reason: outcome.changed }, 'file version superseded');
      return { kind: 'superseded', key: file.key, reason: outcome.changed };
    }
    fileLog.info({ rows: outcome.rows }, 'file processed');
    return { kind: 'processed', key: file.key, rows: outcome.rows };
  } catch (thrown) {
    return recordFailure(context, file, owner, thrown, fileLog);
  } finally {
    clearInterval(renewal);
  }
}

async function recordFailure(context: ProcessFileContext, file: FileVersionRecord, owner: string, thrown: unknown, fileLog: Logger): Promise<FileOutcome> {
  const error = coerceError(thrown);
  const step = error.step ?? 'load';
  if (error.code === 'FILE_NOT_FOUND' || error.code === 'FILE_CHANGED') {
    await markFileSuperseded(context.pool, file.id, owner, error.message).catch(() => {});
    return { kind: 'superseded', key: file.key, reason: error.message };
  }
  const retryable = error.retryable || isTransientDatabaseError(thrown);
  const willRetry = retryable && file.attempts < context.retry.maxAttempts;
  const message = retryable && !willRetry ? `gave up after ${file.attempts} attempts: ${error.message}` : error.message;
  const retryAt = willRetry ? new Date(Date.now() + retryDelayMs(file.attempts, context.retry.baseDelayMs, context.retry.maxDelayMs)) : null;
  try {
    await recordFileFailure(context.pool, file.id, owner, { message, step, retryAt });
  } catch (recordError) {
    // The database itself is failing: the lease will expire and the file will be claimed again.
    fileLog.error({ err: recordError }, 'could not record the failure; the file will be retried when its lease expires');
  }
  fileLog.warn({ step, error: message, retryAt }, willRetry ? 'file failed, will retry' : 'file quarantined');
  return { kind: willRetry ? 'retrying' : 'quarantined', key: file.key, step, error: message };
}

class VersionChanged extends Error {}

/** Why the stored object is no longer the version claimed, or null when it still is. */
async function changedSince(store: ObjectStore, file: FileVersionRecord): Promise<string | null> {
  const current = await store.stat(file.key).catch((error: unknown) => {
    throw new FerryError('STORAGE_ERROR', `re-checking ${file.key} failed: ${(error as Error).message}`, { step: 'read', retryable: true, cause: error });
  });
  if (current === null) return 'deleted while it was read';
  const currentVersion = versionIdentity(current);
  return currentVersion === file.version ? null : `changed while it was read (now ${currentVersion})`;
}
