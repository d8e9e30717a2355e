/**
 * What operators ask of the file versions (the CLI and the HTTP API): list them, show one,
 * requeue quarantined ones, reprocess processed ones. Results are the API's shapes (FileVersion):
 * explicit columns, never the lease and claim bookkeeping.
 */

import type { Pool } from '../postgres/index.ts';
import type { FileStatus, FileVersion, OtherVersion } from './types.ts';

/** The columns of FileVersion, for every statement that returns one. */
const FILE_VERSION_COLUMNS = `id, pipeline, key, version, etag, size, last_modified, status, attempts, next_attempt_at, error, error_step, error_code,
  reader_crashes, rows, rows_rejected, warnings, discovered_at, started_at, finished_at, duration_ms, run_id`;

export interface ListFilesOptions {
  readonly pipeline?: string;
  readonly status?: FileStatus;
  /** Only file versions found or finished at or after this time. */
  readonly since?: Date;
  /** Only file versions older than this id (the next page). */
  readonly before?: number;
  /** Only the file versions claimed by this run (those it loaded, quarantined or left to retry). */
  readonly run?: number;
  /** Only keys that contain this text, in any case. */
  readonly key?: string;
  /** Only file versions that kept rows aside in the rejects table. */
  readonly rejected?: boolean;
  /** Only file versions on which a check rule warned. */
  readonly warned?: boolean;
  readonly limit?: number;
}

/**
 * File versions, newest first. A key search is a substring test on every row the other filters
 * leave (no index helps it); the dashboard pages by `before`, so it reads at most a page's worth
 * of matches at a time.
 */
export async function listFiles(pool: Pool, options: ListFilesOptions = {}): Promise<FileVersion[]> {
  const result = await pool.query<FileVersion>(
    `SELECT ${FILE_VERSION_COLUMNS} FROM ferry_files
      WHERE ($1::text IS NULL OR pipeline = $1) AND ($2::text IS NULL OR status = $2)
        AND ($3::timestamptz IS NULL OR coalesce(finished_at, discovered_at) >= $3) AND ($4::bigint IS NULL OR id < $4)
        AND ($6::bigint IS NULL OR run_id = $6) AND ($7::text IS NULL OR strpos(lower(key), lower($7)) > 0)
        AND (NOT $8::boolean OR rows_rejected > 0) AND (NOT $9::boolean OR warnings > 0)
      ORDER BY id DESC LIMIT $5`,
    [
      options.pipeline ?? null,
      options.status ?? null,
      options.since ?? null,
      options.before ?? null,
      options.limit ?? 100,
      options.run ?? null,
      options.key ?? null,
      options.rejected === true,
      options.warned === true,
    ],
  );
  return result.rows;
}

/** One file version, or null when the ledger has no such id. */
export async function getFile(pool: Pool, id: number): Promise<FileVersion | null> {
  const result = await pool.query<FileVersion>(`SELECT ${FILE_VERSION_COLUMNS} FROM ferry_files WHERE id = $1`, [id]);
  return result.rows[0] ?? null;
}

/** The other versions of a file version's key, newest first: what happened to it before and after. */
export async function otherVersionsOf(pool: Pool, file: Pick<FileVersion, 'id' | 'pipeline' | 'key'>, limit = 50): Promise<OtherVersion[]> {
  const result = await pool.query<OtherVersion>(
    `SELECT id, version, status, attempts, rows, error_code, discovered_at, finished_at FROM ferry_files
      WHERE pipeline = $1 AND key = $2 AND id <> $3 ORDER BY id DESC LIMIT $4`,
    [file.pipeline, file.key, file.id, limit],
  );
  return result.rows;
}

export interface RequeueOptions {
  /** File version ids (resolveFileRef turns what a user typed into them). */
  readonly ids?: readonly number[];
  /** Every quarantined version (of the pipeline, when one is given). */
  readonly allQuarantined?: boolean;
  readonly pipeline?: string;
}

/**
 * Puts quarantined file versions (and pending ones waiting for a retry) back in the queue, due
 * now, with their attempts reset. Processed versions are never requeued: that would load them twice.
 */
export async function requeueFiles(pool: Pool, options: RequeueOptions): Promise<FileVersion[]> {
  const result = await pool.query<FileVersion>(
    `UPDATE ferry_files
        SET status = 'pending', attempts = 0, reader_crashes = 0, open_claims = 0, next_attempt_at = now(), lease_owner = NULL, lease_expires_at = NULL
      WHERE (status = 'quarantined' OR (status = 'pending' AND error IS NOT NULL))
        AND ($1::text IS NULL OR pipeline = $1)
        AND ($2::boolean AND status = 'quarantined' OR id = ANY($3::bigint[]))
      RETURNING ${FILE_VERSION_COLUMNS}`,
    [options.pipeline ?? null, options.allQuarantined === true, options.ids ?? []],
  );
  return result.rows;
}

export interface ReprocessOptions {
  /** File version ids; null or absent: every processed version (of the pipeline, since the time). */
  readonly ids?: readonly number[] | null;
  readonly pipeline?: string;
  /** Only versions processed at or after this time. */
  readonly since?: Date;
}

/** Processed file versions that reprocessFiles would put back (to check what a reload means first). */
export async function findProcessedFiles(pool: Pool, options: ReprocessOptions): Promise<FileVersion[]> {
  const result = await pool.query<FileVersion>(
    `SELECT ${FILE_VERSION_COLUMNS} FROM ferry_files
      WHERE status = 'processed' AND ($1::text IS NULL OR pipeline = $1) AND ($2::timestamptz IS NULL OR finished_at >= $2)
        AND ($3::bigint[] IS NULL OR id = ANY($3))
      ORDER BY id`,
    [options.pipeline ?? null, options.since ?? null, options.ids ?? null],
  );
  return result.rows;
}

/**
 * Puts processed file versions back in the queue, to be loaded again (after a fixed
 * transform, say). What a reload does to the table is the sink's mode: replace and merge
 * converge; append adds the rows again — the caller asks first (reprocess-policy).
 */
export async function reprocessFiles(pool: Pool, ids: readonly number[]): Promise<FileVersion[]> {
  const result = await pool.query<FileVersion>(
    `UPDATE ferry_files
        SET status = 'pending', attempts = 0, reader_crashes = 0, open_claims = 0, next_attempt_at = now(),
            lease_owner = NULL, lease_expires_at = NULL, error = NULL, error_step = NULL, error_code = NULL
      WHERE id = ANY($1::bigint[]) AND status = 'processed'
      RETURNING ${FILE_VERSION_COLUMNS}`,
    [ids],
  );
  return result.rows;
}
