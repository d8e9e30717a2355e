/** Runs: one row per schedule tick or manual run of a pipeline. */
import { FerryError } from '../errors/index.ts';
import type { Pool, PoolClient } from '../postgres/index.ts';
import type { RunListing, RunRecord, RunStatus, RunTrigger } from './types.ts';

/** The columns of RunRecord, each run's table prefix `r`. */
const RUN_COLUMNS = `r.id, r.pipeline, r.trigger, r.scheduled_for, r.instance, r.status, r.started_at, r.finished_at, r.files_listed, r.files_discovered,
  r.files_processed, r.files_failed, r.files_retrying, r.files_skipped, r.files_outside_window, r.files_hidden, r.listing, r.error`;

export interface StartRunInput {
  readonly pipeline: string;
  readonly trigger: RunTrigger;
  /** For schedule ticks: the tick's time. A tick already taken by another instance gives null. */
  readonly scheduledFor: Date | null;
  readonly instance: string;
}

export async function startRun(pool: Pool, input: StartRunInput): Promise<RunRecord | null> {
  const result = await pool.query<RunRecord>(
    `INSERT INTO ferry_runs (pipeline, trigger, scheduled_for, instance)
     VALUES ($1, $2, $3, $4)
     ON CONFLICT (pipeline, scheduled_for) WHERE trigger = 'schedule' DO NOTHING
     RETURNING *`,
    [input.pipeline, input.trigger, input.scheduledFor, input.instance],
  );
  return result.rows[0] ?? null;
}

/** What discovery saw; the outcomes of the files are counted from the ledger when the run finishes. */
export interface DiscoveryCounts {
  readonly files_listed: number;
  readonly files_discovered: number;
  /** Listed but needing no work: already in the ledger. */
  readonly files_skipped: number;
  /** Listed but modified before the pipeline's time window (`source.modifiedWithin`): not loaded. */
  readonly files_outside_window: number;
  /** Listed, selected by the glob, but hidden (a name starting with `.`; `source.includeHidden`): not loaded. */
  readonly files_hidden: number;
}

/**
 * Closes a run: completed, failed (with `error`), or interrupted (ferry was stopped by a signal
 * before it finished). File outcomes are counted from the ledger (every file version claimed in
 * the run, by this process or by instances that helped), not from one process's memory.
 */
export async function finishRun(
  pool: Pool | PoolClient,
  runId: number,
  discovery: DiscoveryCounts,
  error: string | null,
  interrupted = false,
  listing: RunListing | null = null,
): Promise<RunRecord> {
  const result = await pool.query<RunRecord>(
    `UPDATE ferry_runs r
        SET status = $2, finished_at = now(), error = $3,
            files_listed = $4, files_discovered = $5,
            files_processed = c.processed, files_failed = c.failed, files_retrying = c.retrying,
            files_skipped = $6 + c.superseded, files_outside_window = $7, files_hidden = $8, listing = $9
       FROM (SELECT count(*) FILTER (WHERE status = 'processed') AS processed,
                    count(*) FILTER (WHERE status = 'quarantined') AS failed,
                    count(*) FILTER (WHERE status = 'pending') AS retrying,
                    count(*) FILTER (WHERE status = 'superseded') AS superseded
               FROM ferry_files WHERE run_id = $1) c
      WHERE r.id = $1
      RETURNING r.*`,
    [
      runId,
      interrupted ? 'interrupted' : error === null ? 'completed' : 'failed',
      error,
      discovery.files_listed,
      discovery.files_discovered,
      discovery.files_skipped,
      discovery.files_outside_window,
      discovery.files_hidden,
      listing,
    ],
  );
  return result.rows[0] as RunRecord;
}

/** When the pipeline's store was last listed (a listing that completed), or null. */
export async function lastListingAt(pool: Pool, pipeline: string): Promise<Date | null> {
  const result = await pool.query<{ started_at: Date }>(
    `SELECT started_at FROM ferry_runs WHERE pipeline = $1 AND listing IS NOT NULL ORDER BY started_at DESC LIMIT 1`,
    [pipeline],
  );
  return result.rows[0]?.started_at ?? null;
}

/**
 * When a run started, as the database's text (`2026-12-04 10:00:00.123456+00`): exact to the
 * microsecond, which a JavaScript Date would not be, for stamping rows with the run's time.
 * On the caller's client, so that it can be read inside a load's transaction.
 */
export async function runStartedAt(client: Pool | PoolClient, runId: number): Promise<string> {
  const result = await client.query<{ started_at: string }>('SELECT started_at::text AS started_at FROM ferry_runs WHERE id = $1', [runId]);
  const startedAt = result.rows[0]?.started_at;
  if (startedAt === undefined) throw new FerryError('INTERNAL', `run ${runId} is not in the ledger`);
  return startedAt;
}

/** The run of a pipeline in progress, if any (for instances that come to help it). */
export async function findRunningRun(pool: Pool, pipeline: string): Promise<RunRecord | null> {
  const result = await pool.query<RunRecord>(`SELECT * FROM ferry_runs WHERE pipeline = $1 AND status = 'running' ORDER BY id DESC LIMIT 1`, [pipeline]);
  return result.rows[0] ?? null;
}

export async function isRunRunning(pool: Pool, runId: number): Promise<boolean> {
  const result = await pool.query(`SELECT 1 FROM ferry_runs WHERE id = $1 AND status = 'running'`, [runId]);
  return result.rowCount === 1;
}

/** Waits (at most `timeoutMs`) until no file of the run is held under a live lease: helpers have finished. */
export async function waitForRunClaims(pool: Pool, runId: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const result = await pool.query(`SELECT 1 FROM ferry_files WHERE run_id = $1 AND lease_owner IS NOT NULL AND lease_expires_at > now() LIMIT 1`, [runId]);
    if (result.rowCount === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Runs of a pipeline left 'running' by a process that died are closed as failed. Called by the
 * holder of the pipeline's run lock, so no such run can still be alive.
 */
export async function closeAbandonedRuns(pool: Pool, pipeline: string): Promise<number> {
  const result = await pool.query(
    `UPDATE ferry_runs SET status = 'failed', finished_at = now(), error = 'the process running it stopped before it finished'
      WHERE pipeline = $1 AND status = 'running'`,
    [pipeline],
  );
  return result.rowCount ?? 0;
}

export interface ListRunsOptions {
  readonly pipeline?: string;
  readonly status?: RunStatus;
  /** Only runs started at or after this time. */
  readonly since?: Date;
  /** Only runs older than this id (the next page). */
  readonly before?: number;
  readonly limit?: number;
}

/** A run as `/runs` and `ferry runs` show it: its record, with the rows its files loaded and rejected. */
export interface RunSummary extends RunRecord {
  readonly rows_loaded: number;
  readonly rows_rejected: number;
}

export async function listRuns(pool: Pool, options: ListRunsOptions = {}): Promise<RunSummary[]> {
  const result = await pool.query<RunSummary>(
    `SELECT ${RUN_COLUMNS}, coalesce(f.rows, 0)::bigint AS rows_loaded, coalesce(f.rejected, 0)::bigint AS rows_rejected
       FROM ferry_runs r
       LEFT JOIN LATERAL (SELECT sum(rows) FILTER (WHERE status = 'processed') AS rows, sum(rows_rejected) FILTER (WHERE status = 'processed') AS rejected
                            FROM ferry_files WHERE run_id = r.id) f ON true
      WHERE ($1::text IS NULL OR r.pipeline = $1) AND ($2::text IS NULL OR r.status = $2)
        AND ($3::timestamptz IS NULL OR r.started_at >= $3) AND ($4::bigint IS NULL OR r.id < $4)
      ORDER BY r.id DESC LIMIT $5`,
    [options.pipeline ?? null, options.status ?? null, options.since ?? null, options.before ?? null, options.limit ?? 50],
  );
  return result.rows;
}
