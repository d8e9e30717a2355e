/**
 * Retention: the ledger keeps every row that can still matter and lets go of the rest, so that
 * it stays small at millions of files a day.
 *
 * Rows that can no longer matter, once finished longer ago than `retention`:
 * - superseded versions (their bytes are gone; a newer version of the key replaced them);
 * - processed versions whose object was last modified before the pipeline's time window plus a
 *   day: discovery skips such an object as too old, so no row is needed to keep it from being
 *   loaded again (an overwrite is a new, recent version and is loaded anyway);
 * - finished runs no file refers to (the newest run of each pipeline is always kept);
 * - alerts delivered, suppressed or given up.
 * Never pending or quarantined versions, nor processed versions of a pipeline without a time
 * window: those rows are what keeps a file from being loaded twice. Two cases do load a pruned
 * file again (the README says so): a window widened after the prune, and an object rewritten
 * in place with the same ETag, which gets a new time and so comes back into the window. Deleted in batches, so a
 * large first prune never holds many locks or a long transaction.
 */
import type { Pool } from '../postgres/index.ts';

export interface RetentionPipeline {
  readonly name: string;
  /** The pipeline's time window (source.modifiedWithin), or null: then its processed versions are all kept. */
  readonly source: { readonly modifiedWithinMs: number | null };
}

export interface PruneCounts {
  superseded: number;
  processed: number;
  runs: number;
  alerts: number;
}

/** Rows deleted per statement. */
const BATCH = 5_000;
/** How far before the window an object's time must be for its processed row to go. */
const WINDOW_MARGIN_MS = 24 * 3600 * 1000;

/** Deletes (or with dryRun counts) what retention lets go; returns how many rows of each kind. */
export async function pruneLedger(
  pool: Pool,
  pipelines: readonly RetentionPipeline[],
  retentionMs: number,
  options: { readonly dryRun?: boolean } = {},
): Promise<PruneCounts> {
  const counts: PruneCounts = { superseded: 0, processed: 0, runs: 0, alerts: 0 };
  const inBatches = async (from: string, where: string, params: unknown[]): Promise<number> => {
    if (options.dryRun) return (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${from} WHERE ${where}`, params)).rows[0]?.n ?? 0;
    let total = 0;
    for (;;) {
      // The conditions are checked again on each row as it is deleted: a row changed meanwhile
      // (requeued by ferry reprocess, say) stays.
      const result = await pool.query(`DELETE FROM ${from} WHERE id IN (SELECT id FROM ${from} WHERE ${where} LIMIT ${BATCH}) AND ${where}`, params);
      total += result.rowCount ?? 0;
      if ((result.rowCount ?? 0) < BATCH) return total;
    }
  };
  const before = `now() - $2 * interval '1 millisecond'`;
  for (const pipeline of pipelines) {
    counts.superseded += await inBatches('ferry_files', `pipeline = $1 AND status = 'superseded' AND finished_at < ${before}`, [pipeline.name, retentionMs]);
    const window = pipeline.source.modifiedWithinMs;
    if (window !== null) {
      counts.processed += await inBatches(
        'ferry_files',
        `pipeline = $1 AND status = 'processed' AND finished_at < ${before} AND last_modified < now() - $3 * interval '1 millisecond'`,
        [pipeline.name, retentionMs, window + WINDOW_MARGIN_MS],
      );
    }
    counts.runs += await inBatches(
      'ferry_runs',
      `pipeline = $1 AND status <> 'running' AND finished_at < ${before}
       AND id <> (SELECT max(id) FROM ferry_runs WHERE pipeline = $1)
       AND NOT EXISTS (SELECT 1 FROM ferry_files f WHERE f.run_id = ferry_runs.id)
       AND NOT EXISTS (SELECT 1 FROM ferry_files f WHERE f.discovered_run_id = ferry_runs.id)`,
      [pipeline.name, retentionMs],
    );
  }
  counts.alerts += await inBatches('ferry_alerts', `status <> 'pending' AND created_at < now() - $1 * interval '1 millisecond'`, [retentionMs]);
  return counts;
}
