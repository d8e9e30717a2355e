/**
 * What operators ask of the file versions (the CLI and the HTTP API): list them, show one,
 * requeue quarantined ones, reprocess processed ones. Results are the API's shapes: explicit
 * columns, no lease or claim bookkeeping.
 */

import type { Pool } from '../postgres/index.ts';
import type { FileStatus, FileVersionRecord } from './types.ts';

export interface ListFilesOptions {
  readonly pipeline?: string;
  readonly status?: FileStatus;
  /** Only file versions found or finished at or after this time. */
  readonly since?: Date;
  /** Only file versions older than this id (the next page). */
  readonly before?: number;
  readonly limit?: number;
}

export async function listFiles(pool: Pool, options: ListFilesOptions = {}): Promise<FileVersionRecord[]> {
  const result = await pool.query<FileVersionRecord>(
    `SELECT * FROM ferry_files
      WHERE ($1::text IS NULL OR pipeline = $1) AND ($2::text IS NULL OR status = $2)
        AND ($3::timestamptz IS NULL OR coalesce(finished_at, discovered_at) >= $3) AND ($4::bigint IS NULL OR id < $4)
      ORDER BY id DESC LIMIT $5`,
    [options.pipeline ?? null, options.status ?? null, options.since ?? null, options.before ?? null, options.limit ?? 100],
  );
  return result.rows;
}

export interface RequeueOptions {
  /** File version ids, or keys (every quarantined version of the key). */
  readonly files?: readonly string[];
  readonly allQuarantined?: boolean;
  readonly pipeline?: string;
}

/**
 * Puts quarantined file versions (and pending ones waiting for a retry) back in the queue, due
 * now, with their attempts reset. Processed versions are never requeued: that would load them twice.
 */
export async function requeueFiles(pool: Pool, options: RequeueOptions): Promise<FileVersionRecord[]> {
  const files = options.files ?? [];
  const ids = files.filter((file) => /^\d+$/.test(file)).map(Number);
  const result = await pool.query<FileVersionRecord>(
    `UPDATE ferry_files
        SET status = 'pending', attempts = 0, reader_crashes = 0, open_claims = 0, next_attempt_at = now(), lease_owner = NULL, lease_expires_at = NULL
      WHERE (status = 'quarantined' OR (status = 'pending' AND error IS NOT NULL))
        AND ($1::text IS NULL OR pipeline = $1)
        AND ($2::boolean AND status = 'quarantined' OR id = ANY($3::bigint[]) OR key = ANY($4::text[]))
      RETURNING *`,
    [options.pipeline ?? null, options.allQuarantined === true, ids, files],
  );
  return result.rows;
}

export interface ReprocessOptions {
  /** File version ids or keys (their processed versions). */
  readonly files?: readonly string[];
  readonly pipeline?: string;
  /** Only versions processed at or after this time. */
  readonly since?: Date;
}

/** Processed file versions that reprocessFiles would put back (to check what a reload means first). */
export async function findProcessedFiles(pool: Pool, options: ReprocessOptions): Promise<FileVersionRecord[]> {
  const files = options.files ?? [];
  const result = await pool.query<FileVersionRecord>(
    `SELECT * FROM ferry_files
      WHERE status = 'processed' AND ($1::text IS NULL OR pipeline = $1) AND ($2::timestamptz IS NULL OR finished_at >= $2)
        AND (cardinality($3::text[]) = 0 OR id::text = ANY($3) OR key = ANY($3))
      ORDER BY id`,
    [options.pipeline ?? null, options.since ?? null, files],
  );
  return result.rows;
}

/**
 * Puts processed file versions back in the queue, to be loaded again (after a fixed
 * transform, say). What a reload does to the table is the sink's mode: replace and merge
 * converge; append adds the rows again — the caller asks first.
 */
export async function reprocessFiles(pool: Pool, ids: readonly number[]): Promise<FileVersionRecord[]> {
  const result = await pool.query<FileVersionRecord>(
    `UPDATE ferry_files
        SET status = 'pending', attempts = 0, reader_crashes = 0, open_claims = 0, next_attempt_at = now(),
            lease_owner = NULL, lease_expires_at = NULL, error = NULL, error_step = NULL, error_code = NULL
      WHERE id = ANY($1::bigint[]) AND status = 'processed'
      RETURNING *`,
    [ids],
  );
  return result.rows;
}
