/** Runs: one row per schedule tick or manual run of a pipeline. */
import type { Pool } from '../postgres/index.ts';
import type { RunCounts, RunRecord, RunTrigger } from './types.ts';

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

export async function finishRun(pool: Pool, runId: number, counts: RunCounts, error: string | null): Promise<RunRecord> {
  const result = await pool.query<RunRecord>(
    `UPDATE ferry_runs
        SET status = $2, finished_at = now(), error = $3,
            files_listed = $4, files_discovered = $5, files_processed = $6,
            files_failed = $7, files_retrying = $8, files_skipped = $9
      WHERE id = $1
      RETURNING *`,
    [
      runId,
      error === null ? 'completed' : 'failed',
      error,
      counts.files_listed,
      counts.files_discovered,
      counts.files_processed,
      counts.files_failed,
      counts.files_retrying,
      counts.files_skipped,
    ],
  );
  return result.rows[0] as RunRecord;
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
  readonly limit?: number;
}

export async function listRuns(pool: Pool, options: ListRunsOptions = {}): Promise<RunRecord[]> {
  const result = await pool.query<RunRecord>(`SELECT * FROM ferry_runs WHERE ($1::text IS NULL OR pipeline = $1) ORDER BY id DESC LIMIT $2`, [
    options.pipeline ?? null,
    options.limit ?? 50,
  ]);
  return result.rows;
}
