/**
 * One claimed file version through the stages: read → transform → check (in a reader
 * process) → load + record (here, in one transaction). It never throws: every path ends in an
 * outcome that the ledger records (processed, failed and retrying, quarantined, superseded),
 * in a lost lease (the transaction rolls back and the new holder decides), or in an
 * interruption (ferry stopping: rolled back, the lease given back as ferry exits).
 */

import path from 'node:path';
import type { Logger } from 'pino';
import { enqueueAlert, type OutboxSettings } from '../alerts/index.ts';
import { ChecksFailedError, evaluateChecks, mergeTallies, type PartResult } from '../check/index.ts';
import type { ResolvedConfig, ResolvedPipeline } from '../config/index.ts';
import { databaseErrorCode, errorEntry, errorMessage, FerryError, maskDataValues } from '../errors/index.ts';
import {
  clearProgress,
  type FileVersionRecord,
  lockClaimedFile,
  markFileSuperseded,
  markFilesProcessed,
  type RunRecord,
  recordCheckResults,
  recordFileFailure,
  recordProgress,
  releaseClaims,
} from '../ledger/index.ts';
import { loadTable, recordRowCounts } from '../load/index.ts';
import { inTransaction, type Pool, type PoolClient } from '../postgres/index.ts';
import { compareDecoded, countParquetRows, DecodedCounts, readOptionsFor } from '../read/index.ts';
import type { FileRef, Reader, ReaderPool } from '../readers/index.ts';
import { type ObjectStore, versionIdentity } from '../storage/index.ts';
import { retryDelayMs } from './backoff.ts';

export type FileOutcome =
  | { readonly kind: 'processed'; readonly key: string; readonly rows: number; readonly rejected: number; readonly warnings: number }
  | { readonly kind: 'quarantined' | 'retrying'; readonly key: string; readonly step: string; readonly code: string; readonly error: string }
  | { readonly kind: 'superseded'; readonly key: string; readonly reason: string }
  | { readonly kind: 'lease-lost'; readonly key: string }
  | { readonly kind: 'interrupted'; readonly key: string };

export interface ProcessFileContext {
  readonly pool: Pool;
  readonly store: ObjectStore;
  readonly readers: ReaderPool;
  readonly pipeline: ResolvedPipeline;
  readonly retry: ResolvedConfig['retry'];
  readonly limits: ResolvedConfig['limits'];
  readonly log: Logger;
  /** Told a file's rows copied so far, for progress displays. */
  readonly onRows?: (key: string, rows: number) => void;
  /** Where alerts about files go (written in the transaction that records the outcome). */
  readonly alerts?: OutboxSettings;
  /** Told that alerts were written. */
  readonly onAlerts?: () => void;
  /** Aborted when ferry is told to stop: a failure after that is the stop's (rolled back, released), not the file's. */
  readonly signal?: AbortSignal;
}

/** How often a load's rows so far are written for others to see. */
const PROGRESS_MS = 2_000;

export async function processFile(context: ProcessFileContext, file: FileVersionRecord, owner: string, run: RunRecord): Promise<FileOutcome> {
  const { pool, log } = context;
  const fileLog = log.child({ file: file.key, version: file.version, attempt: file.attempts });
  // (The worker that claimed the file renews its lease while it is worked on.)
  // Rows so far, written beside the ledger every few seconds (the dashboard's "in progress").
  const progress = { rows: 0, written: 0 };
  const progressTimer = setInterval(() => {
    if (progress.rows === progress.written) return;
    progress.written = progress.rows;
    recordProgress(pool, file.id, progress.rows).catch(() => {});
  }, PROGRESS_MS);
  progressTimer.unref();
  try {
    // Claims that never reached an outcome mean ferry itself died on this file each time.
    const claimsWithoutOutcome = file.open_claims - 1;
    if (claimsWithoutOutcome >= context.retry.maxAttempts) {
      throw new FerryError(
        'CLAIMS_EXHAUSTED',
        `${file.key} was claimed ${claimsWithoutOutcome} times without any outcome (ferry stopped or died each time); not tried again until ferry retry`,
      );
    }
    const outcome = await loadAndRecord(context, file, owner, run, (rows) => {
      progress.rows = rows;
      context.onRows?.(file.key, rows);
    });
    if (outcome === null) {
      fileLog.warn('lease lost before the load committed; rolled back');
      return { kind: 'lease-lost', key: file.key };
    }
    if ('changed' in outcome) {
      await markFileSuperseded(pool, file.id, owner, outcome.changed, 'FILE_CHANGED');
      fileLog.info({ reason: outcome.changed }, 'file version superseded');
      return { kind: 'superseded', key: file.key, reason: outcome.changed };
    }
    fileLog.info({ rows: outcome.rows, rejected: outcome.rejected, warnings: outcome.warnings }, 'file processed');
    return { kind: 'processed', key: file.key, rows: outcome.rows, rejected: outcome.rejected, warnings: outcome.warnings };
  } catch (thrown) {
    return recordFailure(context, file, owner, run, thrown, fileLog);
  } finally {
    clearInterval(progressTimer);
    // The progress row has served once the file has an outcome.
    if (progress.written > 0) void clearProgress(pool, file.id).catch(() => {});
  }
}

/** What the load did, for the ledger. */
export interface Loaded {
  readonly rows: number;
  readonly rejected: number;
  readonly warnings: number;
}

type Recorded = Loaded | { changed: string } | null;

/** The file's stages; null when the lease was lost. */
async function loadAndRecord(
  context: ProcessFileContext,
  file: FileVersionRecord,
  owner: string,
  run: RunRecord,
  onRows: (rows: number) => void,
): Promise<Recorded> {
  const { pipeline, store, readers } = context;
  const ref = refOf(file);
  const commit = (load: (client: PoolClient) => Promise<Loaded>) => recordInTransaction(context, file, owner, load);

  if (pipeline.sink.kind === 'row-count') {
    // A plain Parquet file without checks is counted from its footer, here (no Polars at all);
    // other formats, and files with checks, are read by a reader.
    const { format, compression } = readOptionsFor(pipeline.source, file.key, context.limits.maxDecompressedSize);
    const counted =
      format === 'parquet' && compression === 'none' && pipeline.checks.length === 0
        ? { rows: await countParquetRows(store, file, context.limits), tallies: null }
        : await withReader(readers, (reader) => reader.count(pipeline.name, ref));
    const verdict = counted.tallies === null ? null : evaluateChecks(pipeline.checks, counted.tallies, counted.rows);
    if (verdict !== null && verdict.quarantinedBy.length > 0) throw new ChecksFailedError(file.key, verdict);
    return commit(async (client) => {
      await recordRowCounts(client, run.id, [{ key: file.key, rows: counted.rows }]);
      if (verdict !== null) await recordCheckResults(client, file.id, pipeline.name, verdict.results);
      return { rows: counted.rows, rejected: 0, warnings: verdict?.warnings ?? 0 };
    });
  }

  const sink = pipeline.sink;
  return withReader(readers, async (reader) => {
    const job = readers.nextJob();
    try {
      const opened = await reader.open(job, pipeline.name, ref);
      const checked = pipeline.checks.length > 0;
      return await commit(async (client) => {
        const nulls = opened.declared === null ? null : { batches: 0, sums: new Array<number>(opened.columns.length).fill(0) };
        const loaded = await loadTable(client, sink, [file], {
          columns: opened.columns,
          partCount: opened.partCount,
          checked,
          write: (part, target, wire, rejectsDir) =>
            reader.write(job, part, target, wire, file.key, rejectsDir === null ? null : path.join(rejectsDir, `part-${part}.csv`)),
          onRows,
          ...(nulls === null ? {} : { onNulls: (counts: readonly number[]) => addNulls(nulls, counts) }),
        });
        if (opened.declared !== null && nulls !== null) compareDecoded(file.key, opened.declared, decodedCounts(opened.columns, loaded.rows, nulls));
        if (!checked) return { rows: loaded.rows, rejected: 0, warnings: 0 };
        // The rules' verdict on the whole file, from every part's tallies and the file rules';
        // a quarantine rolls back everything this transaction loaded.
        const parts = loaded.parts as PartResult[];
        const tallies = mergeTallies([...parts.map((part) => part.tallies), await reader.finish(job, file.key)]);
        const verdict = evaluateChecks(
          pipeline.checks,
          tallies,
          parts.reduce((sum, part) => sum + part.rows, 0),
        );
        if (verdict.quarantinedBy.length > 0) throw new ChecksFailedError(file.key, verdict);
        await recordCheckResults(client, file.id, pipeline.name, verdict.results);
        return { rows: loaded.rows, rejected: loaded.rejected, warnings: verdict.warnings };
      });
    } finally {
      await reader.close(job);
    }
  });
}

/** A loaded file whose checks rejected rows or warned: its alert, in the transaction that records the file. */
export async function enqueueChecksAlert(client: PoolClient, context: ProcessFileContext, file: FileVersionRecord, loaded: Loaded): Promise<void> {
  if ((loaded.rejected === 0 && loaded.warnings === 0) || context.alerts === undefined) return;
  const what = [loaded.rejected > 0 ? `${loaded.rejected} rows rejected` : null, loaded.warnings > 0 ? `${loaded.warnings} rules warned` : null];
  await enqueueAlert(client, context.alerts, {
    event: 'checks.failed',
    severity: 'warning',
    pipeline: context.pipeline.name,
    dedupKey: `checks.failed:${file.id}:loaded`,
    summary: `${context.pipeline.name}: ${file.key} loaded ${loaded.rows} rows; its checks: ${what.filter((part) => part !== null).join(', ')}`,
    file: { id: file.id, key: file.key, version: file.version },
    runId: file.run_id ?? null,
    attempts: file.attempts,
    counts: { rows: loaded.rows, rows_rejected: loaded.rejected, warnings: loaded.warnings },
  });
}

/** Adds a record batch's nulls per column (the columns first; lineage columns after them are not counted). */
function addNulls(nulls: { batches: number; readonly sums: number[] }, counts: readonly number[]): void {
  nulls.batches++;
  for (let i = 0; i < nulls.sums.length; i++) nulls.sums[i] = (nulls.sums[i] as number) + (counts[i] ?? 0);
}

/**
 * What the COPY took of a file: its rows, and nulls per column where record batches were
 * encoded (binary COPY; a CSV COPY tells no nulls, and only the rows are compared).
 */
function decodedCounts(
  columns: readonly { readonly name: string }[],
  rows: number,
  nulls: { readonly batches: number; readonly sums: readonly number[] },
): DecodedCounts {
  const counts = new DecodedCounts();
  counts.add(rows, nulls.batches > 0 ? Object.fromEntries(columns.map((column, index) => [column.name, nulls.sums[index] ?? 0])) : {});
  return counts;
}

/** What a reader is told of a claimed file version. */
export function refOf(file: FileVersionRecord): FileRef {
  return { key: file.key, version: file.version, size: file.size, etag: file.etag };
}

export async function withReader<T>(readers: ReaderPool, use: (reader: Reader) => Promise<T>): Promise<T> {
  const reader = await readers.acquire();
  try {
    return await use(reader);
  } finally {
    readers.release(reader);
  }
}

/**
 * Runs the load and the ledger's record in one transaction, after re-checking the lease, and
 * before committing re-checks that the object is still the version read.
 */
async function recordInTransaction(
  context: ProcessFileContext,
  file: FileVersionRecord,
  owner: string,
  load: (client: PoolClient) => Promise<Loaded>,
): Promise<Recorded> {
  return inTransaction(context.pool, async (client) => {
    if (!(await lockClaimedFile(client, file.id, owner))) return null;
    const loaded = await load(client);
    // The version read must be the version recorded: if the object changed while it was
    // read, this version is gone (the transaction rolls back) and the new one will be
    // discovered and processed instead.
    const changed = await changedSince(context.store, file);
    if (changed !== null) throw new VersionChanged(changed);
    await markFilesProcessed(client, [{ id: file.id, ...loaded }]);
    await enqueueChecksAlert(client, context, file, loaded);
    return loaded;
  }).catch((error: unknown) => {
    if (error instanceof VersionChanged) return { changed: error.message };
    throw error;
  });
}

async function recordFailure(
  context: ProcessFileContext,
  file: FileVersionRecord,
  owner: string,
  run: RunRecord,
  thrown: unknown,
  fileLog: Logger,
): Promise<FileOutcome> {
  // An error no stage classified: PostgreSQL's (by SQLSTATE), or a bug.
  let error = thrown instanceof FerryError ? thrown : new FerryError(databaseErrorCode(thrown, 'INTERNAL'), errorMessage(thrown), { cause: thrown });
  if (error.code === 'INTERRUPTED' || context.signal?.aborted === true) {
    // ferry is stopping (a load that failed as it stopped failed because of the stop: a child
    // process killed by the terminal's Ctrl-C, a connection closed): the transaction rolled
    // back; the lease is given back now, so that the
    // next run (or another instance) claims the file at once.
    await releaseClaims(context.pool, [file.id], owner).catch(() => {});
    fileLog.info('interrupted by the stop; rolled back and released');
    return { kind: 'interrupted', key: file.key };
  }
  const entry = errorEntry(error.code);
  if (entry.outcome === 'supersede') {
    await markFileSuperseded(context.pool, file.id, owner, error.message, error.code).catch(() => {});
    return { kind: 'superseded', key: file.key, reason: error.message };
  }
  const readerCrashed = error.code === 'READER_CRASHED';
  if (readerCrashed && file.reader_crashes + 1 >= context.limits.maxReaderCrashes) {
    error = new FerryError(
      'POISON_FILE',
      `${error.message}; this file has killed ${file.reader_crashes + 1} reader processes (limits.maxReaderCrashes), so it is quarantined as a poison file until ferry retry`,
      { step: error.step },
    );
  }
  const step = error.step ?? 'load';
  const willRetry = error.retryable && file.attempts < context.retry.maxAttempts;
  const message = error.retryable && !willRetry ? `gave up after ${file.attempts} attempts: ${error.message}` : error.message;
  const retryAt = willRetry ? new Date(Date.now() + retryDelayMs(file.attempts, context.retry.baseDelayMs, context.retry.maxDelayMs)) : null;
  try {
    const failure = { message, step, code: error.code, retryAt, readerCrashed };
    const checks = error instanceof ChecksFailedError ? error.results : null;
    const code = error.code;
    // The failure, the rules' results and (for a quarantine) its alert: one transaction.
    await inTransaction(context.pool, async (client) => {
      if (!(await recordFileFailure(client, file.id, owner, failure))) return;
      if (checks !== null) await recordCheckResults(client, file.id, context.pipeline.name, checks);
      if (!willRetry && context.alerts !== undefined) {
        const event = code === 'CHECK_FAILED' ? 'checks.failed' : 'file.quarantined';
        await enqueueAlert(client, context.alerts, {
          event,
          pipeline: context.pipeline.name,
          dedupKey: `${event}:${file.id}:${Date.now()}`,
          summary: `${context.pipeline.name}: ${file.key} quarantined at ${step} (${code}): ${maskDataValues(message)}`,
          file: { id: file.id, key: file.key, version: file.version },
          runId: run.id,
          attempts: file.attempts,
          error: { code, step, message: maskDataValues(message) },
        });
      }
    });
    if (!willRetry) context.onAlerts?.();
  } catch (recordError) {
    // The database itself is failing: the lease will expire and the file will be claimed again.
    fileLog.error({ err: recordError }, 'could not record the failure; the file will be retried when its lease expires');
  }
  // The log gets the message with values from the file masked (the ledger keeps it whole).
  fileLog.warn({ step, code: error.code, error: maskDataValues(message), retryAt }, willRetry ? 'file failed, will retry' : 'file quarantined');
  return { kind: willRetry ? 'retrying' : 'quarantined', key: file.key, step, code: error.code, error: message };
}

class VersionChanged extends Error {}

/** Why the stored object is no longer the version claimed, or null when it still is. */
export async function changedSince(store: ObjectStore, file: FileVersionRecord): Promise<string | null> {
  const current = await store.stat(file.key).catch((error: unknown) => {
    throw new FerryError('STORAGE_ERROR', `re-checking ${file.key} failed: ${(error as Error).message}`, { cause: error });
  });
  if (current === null) return 'deleted while it was read';
  const currentVersion = versionIdentity(current);
  return currentVersion === file.version ? null : `changed while it was read (now ${currentVersion})`;
}
