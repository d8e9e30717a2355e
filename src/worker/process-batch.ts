/**
 * A batch of small files of one pipeline through the stages together: opened by one reader
 * request, their rows loaded by one COPY (their columns match) and each file recorded in the
 * ledger in that same transaction — so each file is still loaded exactly once, all or nothing,
 * while the claim, the reader's round trips, the table's preparation, the COPY and the commit
 * are paid once per batch instead of once per file.
 *
 * A file that fails inside a batch does not fail the others: the transaction rolls back, that
 * file is left to be processed alone (where it gets its own outcome, error code and retries),
 * and the rest is loaded again as a batch. What cannot be pinned on one file (a reader that
 * died, a COPY the database refused) sends every file of the batch to be processed alone.
 */

import type { Logger } from 'pino';
import { evaluateChecks, mergeTallies } from '../check/index.ts';
import { coerceError, FerryError, maskDataValues } from '../errors/index.ts';
import {
  type FileVersionRecord,
  lockClaimedFiles,
  markFilesProcessed,
  type ProcessedFile,
  type RunRecord,
  recordCheckResults,
  releaseClaims,
} from '../ledger/index.ts';
import { loadTable, recordRowCounts, type TableSink } from '../load/index.ts';
import { type FrameColumn, inTransaction, type PoolClient } from '../postgres/index.ts';
import { countParquetRows, readOptionsFor } from '../read/index.ts';
import type { BatchFileResult } from '../readers/index.ts';
import { changedSince, enqueueChecksAlert, type FileOutcome, type ProcessFileContext, refOf, withReader } from './process-file.ts';

export interface BatchResult {
  /** The outcomes of the files the batch settled: processed, or lease lost (another worker has them). */
  readonly outcomes: readonly FileOutcome[];
  /** The files to be processed alone (processFile), in the order they were claimed. */
  readonly alone: readonly FileVersionRecord[];
}

/** How many failing files a batch sheds (each tried alone) before its remaining files are all processed alone. */
const MAX_SHED = 3;
/** Objects re-checked at once before a batch commits. */
const STAT_CONCURRENCY = 16;

/** What one file of a batch did, before the ledger records it. */
interface Settled {
  readonly file: FileVersionRecord;
  readonly rows: number;
  readonly rejected: number;
  readonly warnings: number;
  readonly checkResults: Parameters<typeof recordCheckResults>[3] | null;
}

export async function processBatch(context: ProcessFileContext, files: readonly FileVersionRecord[], owner: string, run: RunRecord): Promise<BatchResult> {
  const log = context.log.child({ batch: files.length, first: files[0]?.key });
  const outcomes: FileOutcome[] = [];
  const alone: FileVersionRecord[] = [];
  let members = [...files];
  for (let shed = 0; members.length >= 2; ) {
    try {
      const settled = context.pipeline.sink.kind === 'row-count' ? await countBatch(context, members, owner, run) : await loadBatch(context, members, owner);
      outcomes.push(...settled.outcomes);
      alone.push(...settled.alone);
      members = [];
    } catch (thrown) {
      const error = coerceError(thrown);
      if (error.code === 'INTERRUPTED' || context.signal?.aborted === true) {
        // ferry is stopping: the transaction rolled back; the leases are given back now.
        await releaseClaims(
          context.pool,
          members.map((file) => file.id),
          owner,
        ).catch(() => {});
        log.info({ files: members.length }, 'batch interrupted by the stop; rolled back and released');
        return { outcomes: [...outcomes, ...members.map((file) => ({ kind: 'interrupted' as const, key: file.key }))], alone };
      }
      const culprit = error.file === undefined || shed >= MAX_SHED ? undefined : members.find((file) => file.key === error.file);
      logBatchFailure(log, members.length, error, culprit);
      if (culprit === undefined) {
        alone.push(...members);
        members = [];
      } else {
        shed++;
        alone.push(culprit);
        members = members.filter((file) => file !== culprit);
      }
    }
  }
  // A batch of one is a file like any other.
  alone.push(...members);
  return { outcomes, alone: alone.sort((a, b) => Number(a.id) - Number(b.id)) };
}

function logBatchFailure(log: Logger, files: number, error: FerryError, culprit: FileVersionRecord | undefined): void {
  const detail = { files, file: error.file, code: error.code, error: maskDataValues(error.message) };
  if (culprit !== undefined) log.info(detail, 'a file failed in a batch: it is processed alone, the others again as a batch');
  else log.info(detail, 'a batch failed: its files are processed alone');
}

/** A batch of a table sink: opened together, one COPY, one transaction. */
async function loadBatch(context: ProcessFileContext, members: readonly FileVersionRecord[], owner: string): Promise<BatchResult> {
  const { readers, pipeline } = context;
  return withReader(readers, async (reader) => {
    const jobs = members.map(() => readers.nextJob());
    try {
      const opened = await reader.openMany(
        pipeline.name,
        members.map((file, index) => ({ job: jobs[index] as number, file: refOf(file) })),
      );
      // One COPY takes files of one layout: the first opened file's columns decide; a file that
      // did not open, has other columns or is read in several parts is processed alone.
      const alone: FileVersionRecord[] = [];
      const batch: { file: FileVersionRecord; job: number; columns: readonly FrameColumn[] }[] = [];
      let layout: string | null = null;
      for (const [index, result] of opened.entries()) {
        const file = members[index] as FileVersionRecord;
        if (!result.ok || result.value.partCount !== 1) {
          alone.push(file);
          continue;
        }
        const columns = JSON.stringify(result.value.columns);
        layout ??= columns;
        if (columns === layout) batch.push({ file, job: jobs[index] as number, columns: result.value.columns });
        else alone.push(file);
      }
      if (batch.length < 2) return { outcomes: [], alone: [...alone, ...batch.map((each) => each.file)] };
      const outcomes = await commitBatch(
        context,
        owner,
        batch.map((each) => each.file),
        async (client, live) => {
          const jobOf = new Map(batch.map((each) => [each.file.id, each.job]));
          const loaded = await loadTable(client, pipeline.sink as TableSink, live, {
            columns: batch[0]?.columns ?? [],
            partCount: 1,
            checked: pipeline.checks.length > 0,
            write: (_part, target, wire, rejectsDir) =>
              reader.writeMany(
                live.map((file) => jobOf.get(file.id) as number),
                target,
                wire,
                rejectsDir,
              ),
          });
          const results = loaded.parts[0] as BatchFileResult[];
          const written = results.reduce((sum, result) => sum + result.rows, 0);
          if (written !== loaded.rows) throw new FerryError('INTERNAL', `a batch's files wrote ${written} rows but COPY took ${loaded.rows}`);
          return live.map((file, index) => settleChecks(context, file, results[index] as BatchFileResult));
        },
      );
      return { outcomes, alone };
    } finally {
      await Promise.all(jobs.map((job) => reader.close(job)));
    }
  });
}

/** One file's rows and the verdict of its checks; a quarantine fails the batch naming the file (which is then processed alone). */
function settleChecks(context: ProcessFileContext, file: FileVersionRecord, result: BatchFileResult): Settled {
  const { checks } = context.pipeline;
  if (result.part === null || checks.length === 0) return { file, rows: result.rows, rejected: 0, warnings: 0, checkResults: null };
  const verdict = evaluateChecks(checks, mergeTallies([result.part.tallies, [...result.fileTallies]]), result.part.rows);
  if (verdict.quarantinedBy.length > 0) {
    throw new FerryError('CHECK_FAILED', `${file.key}: a quarantine rule failed (${verdict.quarantinedBy.join(', ')})`, { file: file.key });
  }
  return { file, rows: result.rows, rejected: result.part.rejected, warnings: verdict.warnings, checkResults: verdict.results };
}

/** A batch of the row-count sink: counted together (footers here, other formats in a reader), recorded in one transaction. */
async function countBatch(context: ProcessFileContext, members: readonly FileVersionRecord[], owner: string, run: RunRecord): Promise<BatchResult> {
  const { pipeline, store, limits, readers } = context;
  const footerOnly = (file: FileVersionRecord) => {
    const { format, compression } = readOptionsFor(pipeline.source, file.key, limits.maxDecompressedSize);
    return format === 'parquet' && compression === 'none' && pipeline.checks.length === 0;
  };
  const counts = new Map<number, BatchFileResult>();
  const byFooter = members.filter(footerOnly);
  await eachConcurrently(byFooter, STAT_CONCURRENCY, async (file) => {
    // A file whose footer cannot be read is processed alone, where its failure is recorded.
    const rows = await countParquetRows(store, file, limits).catch(() => null);
    if (rows !== null) counts.set(file.id, { rows, part: null, fileTallies: [] });
  });
  const byReader = members.filter((file) => !footerOnly(file));
  if (byReader.length > 0) {
    const results = await withReader(readers, (reader) => reader.countMany(pipeline.name, byReader.map(refOf)));
    for (const [index, result] of results.entries()) {
      const file = byReader[index] as FileVersionRecord;
      if (!result.ok) continue;
      const { rows, tallies } = result.value;
      counts.set(file.id, { rows, part: tallies === null ? null : { rows, rejected: 0, tallies }, fileTallies: [] });
    }
  }
  const counted = members.filter((file) => counts.has(file.id));
  const alone = members.filter((file) => !counts.has(file.id));
  if (counted.length < 2) return { outcomes: [], alone: members };
  const outcomes = await commitBatch(context, owner, counted, async (client, live) => {
    const settled = live.map((file) => settleChecks(context, file, counts.get(file.id) as BatchFileResult));
    await recordRowCounts(
      client,
      run.id,
      settled.map((each) => ({ key: each.file.key, rows: each.rows })),
    );
    return settled;
  });
  return { outcomes, alone };
}

/**
 * The batch's transaction: the files this worker still holds are locked, loaded (by `load`),
 * re-checked against the store, and recorded as processed with their checks' results and
 * alerts. Files whose lease was lost are left to their new holder.
 */
async function commitBatch(
  context: ProcessFileContext,
  owner: string,
  files: readonly FileVersionRecord[],
  load: (client: PoolClient, live: readonly FileVersionRecord[]) => Promise<Settled[]>,
): Promise<FileOutcome[]> {
  return inTransaction(context.pool, async (client) => {
    const held = await lockClaimedFiles(
      client,
      files.map((file) => file.id),
      owner,
    );
    const live = files.filter((file) => held.has(Number(file.id)));
    const lost: FileOutcome[] = files.filter((file) => !held.has(Number(file.id))).map((file) => ({ kind: 'lease-lost', key: file.key }));
    if (live.length === 0) return lost;
    const settled = await load(client, live);
    // Each version read must be the version recorded (see process-file.ts): a file that changed
    // fails the batch, and alone it is superseded.
    await eachConcurrently(live, STAT_CONCURRENCY, async (file) => {
      const changed = await changedSince(context.store, file).catch((error: unknown) => {
        throw new FerryError('STORAGE_ERROR', (error as Error).message, { file: file.key });
      });
      if (changed !== null) throw new FerryError('FILE_CHANGED', `${file.key} ${changed}`, { file: file.key });
    });
    await markFilesProcessed(
      client,
      settled.map((each): ProcessedFile => ({ id: each.file.id, rows: each.rows, rejected: each.rejected, warnings: each.warnings })),
    );
    for (const each of settled) {
      if (each.checkResults !== null) await recordCheckResults(client, each.file.id, context.pipeline.name, each.checkResults);
      await enqueueChecksAlert(client, context, each.file, each);
    }
    const processed = settled.map(
      (each): FileOutcome => ({ kind: 'processed', key: each.file.key, rows: each.rows, rejected: each.rejected, warnings: each.warnings }),
    );
    return [...processed, ...lost];
  });
}

/** Runs `work` on every item, at most `limit` at a time; the first failure is thrown once all settled. */
async function eachConcurrently<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
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
