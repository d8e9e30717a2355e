/** What /status and `ferry status` show, read from the ledger in a few set-based queries. */
import type { Pool } from '../postgres/index.ts';
import { FILE_STATUSES, type FileStatus, type RunRecord } from './types.ts';

export interface LedgerStatus {
  readonly lastRun: Date | null;
  readonly totalFilesProcessed: number;
  readonly filesByPipeline: ReadonlyMap<string, Readonly<Record<FileStatus, number>>>;
  readonly lastRunByPipeline: ReadonlyMap<string, RunRecord>;
  readonly recentResults: readonly { file_name: string; row_count: number; timestamp: Date }[];
  /** File versions being worked on now (claimed, lease alive), by pipeline. */
  readonly inProgressByPipeline: ReadonlyMap<string, readonly InProgressFile[]>;
  /** When each pipeline last finished a run that completed. */
  readonly lastSuccessByPipeline: ReadonlyMap<string, Date>;
  /** When each pipeline's first recorded run started. */
  readonly firstRunByPipeline: ReadonlyMap<string, Date>;
}

/** A file being loaded now: its rows so far (written every few seconds by its worker), null before the first. */
export interface InProgressFile {
  readonly id: number;
  readonly key: string;
  readonly started_at: Date;
  readonly attempt: number;
  readonly rows_so_far: number | null;
}

export function emptyFileCounts(): Record<FileStatus, number> {
  return Object.fromEntries(FILE_STATUSES.map((status) => [status, 0])) as Record<FileStatus, number>;
}

export async function readLedgerStatus(pool: Pool, recentLimit = 10): Promise<LedgerStatus> {
  const [lastRun, counts, lastRuns, recent, inProgress, lastSuccess] = await Promise.all([
    pool.query<{ last_run: Date | null }>(`SELECT max(finished_at) AS last_run FROM ferry_runs WHERE status = 'completed'`),
    pool.query<{ pipeline: string; status: FileStatus; count: number }>(
      'SELECT pipeline, status, count(*) AS count FROM ferry_files GROUP BY pipeline, status',
    ),
    pool.query<RunRecord>('SELECT DISTINCT ON (pipeline) * FROM ferry_runs ORDER BY pipeline, id DESC'),
    pool.query<{ file_name: string; row_count: number; timestamp: Date }>(
      'SELECT file_name, row_count, "timestamp" FROM etl_results ORDER BY id DESC LIMIT $1',
      [recentLimit],
    ),
    pool.query<InProgressFile & { pipeline: string }>(
      `SELECT f.pipeline, f.id, f.key, f.started_at, f.attempts AS attempt, p.rows AS rows_so_far
         FROM ferry_files f LEFT JOIN ferry_progress p ON p.file_id = f.id AND p.updated_at >= f.started_at
        WHERE f.status = 'pending' AND f.lease_owner IS NOT NULL AND f.lease_expires_at > now() ORDER BY f.started_at LIMIT 100`,
    ),
    pool.query<{ pipeline: string; at: Date | null; first: Date }>(
      `SELECT pipeline, max(finished_at) FILTER (WHERE status = 'completed') AS at, min(started_at) AS first FROM ferry_runs GROUP BY pipeline`,
    ),
  ]);
  const inProgressByPipeline = new Map<string, InProgressFile[]>();
  for (const { pipeline, ...file } of inProgress.rows) inProgressByPipeline.set(pipeline, [...(inProgressByPipeline.get(pipeline) ?? []), file]);
  const filesByPipeline = new Map<string, Record<FileStatus, number>>();
  let totalFilesProcessed = 0;
  for (const row of counts.rows) {
    const byStatus = filesByPipeline.get(row.pipeline) ?? emptyFileCounts();
    byStatus[row.status] = row.count;
    filesByPipeline.set(row.pipeline, byStatus);
    if (row.status === 'processed') totalFilesProcessed += row.count;
  }
  return {
    lastRun: lastRun.rows[0]?.last_run ?? null,
    totalFilesProcessed,
    filesByPipeline,
    lastRunByPipeline: new Map(lastRuns.rows.map((run) => [run.pipeline, run])),
    recentResults: recent.rows,
    inProgressByPipeline,
    lastSuccessByPipeline: new Map(lastSuccess.rows.flatMap((row) => (row.at === null ? [] : [[row.pipeline, row.at] as const]))),
    firstRunByPipeline: new Map(lastSuccess.rows.map((row) => [row.pipeline, row.first])),
  };
}

/**
 * No completed run within expectEvery — counted from the last one, or, for a pipeline that has
 * never completed a run, from its first run (one that never ran at all has not been due).
 */
export function isLate(lastSuccess: Date | null, firstRun: Date | null, expectEveryMs: number, now = Date.now()): boolean {
  const since = lastSuccess ?? firstRun;
  return since !== null && now - new Date(since).getTime() > expectEveryMs;
}
