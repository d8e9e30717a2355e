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
  readonly inProgressByPipeline: ReadonlyMap<string, readonly { key: string; started_at: Date; attempt: number }[]>;
}

export function emptyFileCounts(): Record<FileStatus, number> {
  return Object.fromEntries(FILE_STATUSES.map((status) => [status, 0])) as Record<FileStatus, number>;
}

export async function readLedgerStatus(pool: Pool, recentLimit = 10): Promise<LedgerStatus> {
  const [lastRun, counts, lastRuns, recent, inProgress] = await Promise.all([
    pool.query<{ last_run: Date | null }>(`SELECT max(finished_at) AS last_run FROM ferry_runs WHERE status = 'completed'`),
    pool.query<{ pipeline: string; status: FileStatus; count: number }>(
      'SELECT pipeline, status, count(*) AS count FROM ferry_files GROUP BY pipeline, status',
    ),
    pool.query<RunRecord>('SELECT DISTINCT ON (pipeline) * FROM ferry_runs ORDER BY pipeline, id DESC'),
    pool.query<{ file_name: string; row_count: number; timestamp: Date }>(
      'SELECT file_name, row_count, "timestamp" FROM etl_results ORDER BY id DESC LIMIT $1',
      [recentLimit],
    ),
    pool.query<{ pipeline: string; key: string; started_at: Date; attempt: number }>(
      `SELECT pipeline, key, started_at, attempts AS attempt FROM ferry_files
        WHERE status = 'pending' AND lease_owner IS NOT NULL AND lease_expires_at > now() ORDER BY started_at LIMIT 100`,
    ),
  ]);
  const inProgressByPipeline = new Map<string, { key: string; started_at: Date; attempt: number }[]>();
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
  };
}
