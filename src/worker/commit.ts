/**
 * The transaction that ends every load, of one file or of a batch: the files this worker still
 * holds are locked, their rows loaded, each object re-checked against the store, and the files
 * recorded as processed with their checks' results and alerts — data, ledger and outbox commit
 * together or not at all. Files whose lease was lost are left to their new holder.
 */

import { enqueueAlert, type OutboxSettings } from '../alerts/index.ts';
import type { CheckResult } from '../check/index.ts';
import { FerryError } from '../errors/index.ts';
import { type FileVersionRecord, lockClaimedFiles, markFilesProcessed, recordCheckResults } from '../ledger/index.ts';
import { inTransaction, type Pool, type PoolClient } from '../postgres/index.ts';
import { type ObjectStore, storageErrorMessage, versionIdentity } from '../storage/index.ts';

/** What loading one file did, before the ledger records it. */
export interface Settled {
  readonly file: FileVersionRecord;
  readonly rows: number;
  readonly rejected: number;
  readonly warnings: number;
  /** Every rule's result, with checks; else null. */
  readonly checkResults: readonly CheckResult[] | null;
}

export interface CommitContext {
  readonly pool: Pool;
  readonly store: ObjectStore;
  readonly pipeline: string;
  /** Where alerts about files go (written in this transaction). */
  readonly alerts?: OutboxSettings;
}

export type Committed = { readonly kind: 'processed'; readonly settled: Settled } | { readonly kind: 'lease-lost'; readonly file: FileVersionRecord };

/** Objects re-checked at once before a batch commits. */
const STAT_CONCURRENCY = 16;

/**
 * Loads (`load`, given the files still held) and records `files` in one transaction. A file
 * whose object changed while it was read fails it with FILE_CHANGED naming the file (alone,
 * that version is superseded; in a batch, the others are loaded again without it).
 */
export async function commitFiles(
  context: CommitContext,
  owner: string,
  files: readonly FileVersionRecord[],
  load: (client: PoolClient, live: readonly FileVersionRecord[]) => Promise<readonly Settled[]>,
): Promise<Committed[]> {
  return inTransaction(context.pool, async (client) => {
    const held = await lockClaimedFiles(
      client,
      files.map((file) => file.id),
      owner,
    );
    const live = files.filter((file) => held.has(Number(file.id)));
    const lost = files.filter((file) => !held.has(Number(file.id))).map((file): Committed => ({ kind: 'lease-lost', file }));
    if (live.length === 0) return lost;
    const settled = await load(client, live);
    // The version read must be the version recorded: if an object changed while it was read,
    // this version is gone (the transaction rolls back) and the new one will be discovered.
    await eachConcurrently(live, STAT_CONCURRENCY, async (file) => {
      const changed = await changedSince(context.store, file);
      if (changed !== null) throw new FerryError('FILE_CHANGED', `${file.key} ${changed}`, { file: file.key });
    });
    await markFilesProcessed(
      client,
      settled.map((each) => ({ id: each.file.id, rows: each.rows, rejected: each.rejected, warnings: each.warnings })),
    );
    for (const each of settled) {
      if (each.checkResults !== null) await recordCheckResults(client, each.file.id, context.pipeline, each.checkResults);
      await enqueueChecksAlert(client, context, each);
    }
    return [...settled.map((each): Committed => ({ kind: 'processed', settled: each })), ...lost];
  });
}

/** A loaded file whose checks rejected rows or warned: its alert, in the transaction that records the file. */
async function enqueueChecksAlert(client: PoolClient, context: CommitContext, loaded: Settled): Promise<void> {
  const { file } = loaded;
  if ((loaded.rejected === 0 && loaded.warnings === 0) || context.alerts === undefined) return;
  const what = [loaded.rejected > 0 ? `${loaded.rejected} rows rejected` : null, loaded.warnings > 0 ? `${loaded.warnings} rules warned` : null];
  await enqueueAlert(client, context.alerts, {
    event: 'checks.failed',
    severity: 'warning',
    pipeline: context.pipeline,
    dedupKey: `checks.failed:${file.id}:loaded`,
    summary: `${context.pipeline}: ${file.key} loaded ${loaded.rows} rows; its checks: ${what.filter((part) => part !== null).join(', ')}`,
    file: { id: file.id, key: file.key, version: file.version },
    runId: file.run_id ?? null,
    attempts: file.attempts,
    counts: { rows: loaded.rows, rows_rejected: loaded.rejected, warnings: loaded.warnings },
  });
}

/** Why the stored object is no longer the version claimed, or null when it still is. */
async function changedSince(store: ObjectStore, file: FileVersionRecord): Promise<string | null> {
  const current = await store.stat(file.key).catch((error: unknown) => {
    throw new FerryError('STORAGE_ERROR', `re-checking ${file.key} failed: ${storageErrorMessage(error)}`, { cause: error, file: file.key });
  });
  if (current === null) return 'deleted while it was read';
  const currentVersion = versionIdentity(current);
  return currentVersion === file.version ? null : `changed while it was read (now ${currentVersion})`;
}

/** Runs `work` on every item, at most `limit` at a time; the first failure is thrown once all settled. */
export async function eachConcurrently<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | null = null;
  const lane = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      try {
        await work(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  if (failure !== null) throw (failure as { error: unknown }).error;
}
