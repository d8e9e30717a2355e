/**
 * The state machine of a file version once discovered: workers claim due versions with a
 * lease, keep it alive while they work, and record the outcome (processed, failed and due
 * again, quarantined, superseded) guarded by the lease, the load's in the same transaction as
 * the data. Leases of a process that stops or dies are given back here too.
 */

import type { Pool, PoolClient } from '../postgres/index.ts';
import { storableText } from './storable-text.ts';
import type { FileVersionRecord } from './types.ts';

export interface ClaimOptions {
  readonly pipeline: string;
  readonly owner: string;
  readonly leaseMs: number;
  readonly runId: number;
}

/** A due file version, as a worker weighs it before claiming (see planClaim). */
export interface ClaimCandidate {
  readonly id: number;
  readonly size: number;
  /** Claims that ended without any outcome (ferry died on the file). */
  readonly open_claims: number;
  readonly reader_crashes: number;
}

/** The next due versions of a pipeline, in the order they became due; nothing is locked. */
export async function dueCandidates(pool: Pool, pipeline: string, limit: number): Promise<ClaimCandidate[]> {
  const result = await pool.query<ClaimCandidate>(
    `SELECT id, size, open_claims, reader_crashes FROM ferry_files
      WHERE pipeline = $1 AND status = 'pending' AND next_attempt_at <= now() AND (lease_expires_at IS NULL OR lease_expires_at < now())
      ORDER BY next_attempt_at, id
      LIMIT $2`,
    [pipeline, limit],
  );
  return result.rows.map((row) => ({ ...row, id: Number(row.id), size: Number(row.size) }));
}

/**
 * Claims the chosen due versions under one owner, in one statement — those another worker
 * has not claimed meanwhile (SKIP LOCKED; the due conditions are checked again).
 */
export async function claimFiles(pool: Pool, options: ClaimOptions, ids: readonly number[]): Promise<FileVersionRecord[]> {
  const result = await pool.query<FileVersionRecord>(
    `UPDATE ferry_files
        SET lease_owner = $2, lease_expires_at = now() + $3 * interval '1 millisecond',
            attempts = attempts + 1, open_claims = open_claims + 1, started_at = clock_timestamp(), run_id = $4
      WHERE id IN (
        SELECT id FROM ferry_files
         WHERE id = ANY($5::bigint[]) AND pipeline = $1 AND status = 'pending' AND next_attempt_at <= now()
           AND (lease_expires_at IS NULL OR lease_expires_at < now())
         FOR UPDATE SKIP LOCKED)
      RETURNING *`,
    [options.pipeline, options.owner, options.leaseMs, options.runId, ids],
  );
  return result.rows.sort((a, b) => Number(a.id) - Number(b.id));
}

/** File versions of a pipeline that a worker could claim now (for progress displays). */
export async function countDueFiles(pool: Pool, pipeline: string): Promise<number> {
  const result = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ferry_files
      WHERE pipeline = $1 AND status = 'pending' AND next_attempt_at <= now() AND (lease_expires_at IS NULL OR lease_expires_at < now())`,
    [pipeline],
  );
  return result.rows[0]?.n ?? 0;
}

/** A load's rows so far (beside the file's row, which the load's transaction holds locked). */
export async function recordProgress(pool: Pool, fileId: number, rows: number): Promise<void> {
  await pool.query(
    'INSERT INTO ferry_progress (file_id, rows, updated_at) VALUES ($1, $2, now()) ON CONFLICT (file_id) DO UPDATE SET rows = excluded.rows, updated_at = now()',
    [fileId, rows],
  );
}

export async function clearProgress(pool: Pool, fileId: number): Promise<void> {
  await pool.query('DELETE FROM ferry_progress WHERE file_id = $1', [fileId]);
}

/**
 * Extends the leases of a claim's file versions still in hand, while its worker is busy with
 * them, so that a short lease covers a long file and a crashed worker's files are taken over soon.
 */
export async function renewLeases(pool: Pool, fileIds: readonly number[], owner: string, leaseMs: number): Promise<void> {
  // Rows the worker's own batch transaction holds locked are skipped, not waited for.
  await pool.query(
    `UPDATE ferry_files SET lease_expires_at = now() + $3 * interval '1 millisecond'
      WHERE id IN (SELECT id FROM ferry_files WHERE id = ANY($1::bigint[]) AND lease_owner = $2 AND status = 'pending' FOR UPDATE SKIP LOCKED)`,
    [fileIds, owner, leaseMs],
  );
}

/**
 * Inside a batch's load transaction: locks the rows of the claim's file versions and returns
 * the ids this worker still holds (the others' leases were lost: they are not loaded).
 */
export async function lockClaimedFiles(client: PoolClient, fileIds: readonly number[], owner: string): Promise<Set<number>> {
  const result = await client.query<{ id: string | number }>(
    `SELECT id FROM ferry_files WHERE id = ANY($1::bigint[]) AND lease_owner = $2 AND status = 'pending' ORDER BY id FOR UPDATE`,
    [fileIds, owner],
  );
  return new Set(result.rows.map((row) => Number(row.id)));
}

export interface ProcessedFile {
  readonly id: number;
  readonly rows: number;
  readonly rejected: number;
  readonly warnings: number;
}

/** Inside the load transaction, after lockClaimedFile(s): the file versions are processed (one statement for a batch). */
export async function markFilesProcessed(client: PoolClient, files: readonly ProcessedFile[]): Promise<void> {
  // A file fixed by replacing it: once a newer version of a key is processed, its earlier
  // quarantined versions are superseded in the same transaction (they leave the quarantine and
  // its counts; their error stays for the record) and an alert not yet sent for them is dropped.
  await client.query(
    `WITH processed AS (
       UPDATE ferry_files f
          SET status = 'processed', rows = p.rows, rows_rejected = p.rejected, warnings = p.warnings, error = NULL, error_step = NULL, error_code = NULL,
              open_claims = 0, finished_at = clock_timestamp(), processed_by = f.lease_owner,
              duration_ms = (extract(epoch FROM clock_timestamp() - f.started_at) * 1000)::int,
              lease_owner = NULL, lease_expires_at = NULL
         FROM unnest($1::bigint[], $2::bigint[], $3::int[], $4::int[]) AS p(id, rows, rejected, warnings)
        WHERE f.id = p.id
        RETURNING f.id, f.pipeline, f.key
     ), fixed AS (
       UPDATE ferry_files o SET status = 'superseded', finished_at = clock_timestamp()
         FROM processed p
        WHERE o.pipeline = p.pipeline AND o.key = p.key AND o.id < p.id AND o.status = 'quarantined'
        RETURNING o.id
     )
     UPDATE ferry_alerts a SET status = 'suppressed', last_error = 'the file was replaced by a version that loaded'
       FROM fixed
      WHERE a.status = 'pending' AND a.lease_owner IS NULL AND a.event IN ('file.quarantined', 'checks.failed')
        AND split_part(a.dedup_key, ':', 2) = fixed.id::text`,
    [files.map((file) => file.id), files.map((file) => file.rows), files.map((file) => file.rejected), files.map((file) => file.warnings)],
  );
}

/**
 * Inside the load transaction: locks the file's row and checks that this worker still holds
 * it. False means the lease was lost (taken over after expiry, or superseded): roll back.
 */
export async function lockClaimedFile(client: PoolClient, fileId: number, owner: string): Promise<boolean> {
  return (await lockClaimedFiles(client, [fileId], owner)).has(Number(fileId));
}

export interface FileFailure {
  readonly message: string;
  readonly step: string;
  /** The error table's code. */
  readonly code: string;
  /** A reader process died on the file: counted towards limits.maxReaderCrashes. */
  readonly readerCrashed?: boolean;
  /** When set, the file goes back to pending and is tried again at this time. */
  readonly retryAt: Date | null;
}

/** Records a failure of a claimed file; does nothing if the lease was lost meanwhile. */
export async function recordFileFailure(pool: Pool | PoolClient, fileId: number, owner: string, failure: FileFailure): Promise<boolean> {
  const result = await pool.query(
    `UPDATE ferry_files
        SET status = CASE WHEN $5::timestamptz IS NULL THEN 'quarantined' ELSE 'pending' END,
            next_attempt_at = COALESCE($5::timestamptz, next_attempt_at),
            error = $3, error_step = $4, error_code = $6, open_claims = 0,
            reader_crashes = reader_crashes + CASE WHEN $7::boolean THEN 1 ELSE 0 END,
            finished_at = clock_timestamp(), processed_by = lease_owner,
            duration_ms = (extract(epoch FROM clock_timestamp() - started_at) * 1000)::int,
            lease_owner = NULL, lease_expires_at = NULL
      WHERE id = $1 AND lease_owner = $2 AND status = 'pending'`,
    [fileId, owner, storableText(failure.message), failure.step, failure.retryAt, failure.code, failure.readerCrashed === true],
  );
  return result.rowCount === 1;
}

/** The version this worker claimed is no longer the one in the store. */
export async function markFileSuperseded(pool: Pool, fileId: number, owner: string, reason: string, code: string): Promise<void> {
  await pool.query(
    `UPDATE ferry_files SET status = 'superseded', error = $3, error_step = 'read', error_code = $4, open_claims = 0,
            finished_at = clock_timestamp(), lease_owner = NULL, lease_expires_at = NULL
      WHERE id = $1 AND lease_owner = $2 AND status = 'pending'`,
    [fileId, owner, storableText(reason), code],
  );
}

/** Gives back claims whose loads did not happen (interrupted, or not started as ferry stops): due again at once, not counted as attempts. */
export async function releaseClaims(pool: Pool, fileIds: readonly number[], owner: string): Promise<void> {
  if (fileIds.length === 0) return;
  await pool.query(
    `UPDATE ferry_files
        SET lease_owner = NULL, lease_expires_at = NULL, attempts = GREATEST(attempts - 1, 0), open_claims = GREATEST(open_claims - 1, 0)
      WHERE id = ANY($1::bigint[]) AND lease_owner = $2 AND status = 'pending'`,
    [fileIds, owner],
  );
}

/**
 * The instances (`host:pid:suffix`, as runtime.ts names them) on `host` that hold live leases:
 * for a run to find those of processes that are gone.
 */
export async function leaseHoldersOnHost(pool: Pool, host: string): Promise<string[]> {
  const result = await pool.query<{ instance: string }>(
    `SELECT DISTINCT split_part(lease_owner, '#', 1) AS instance FROM ferry_files
      WHERE status = 'pending' AND lease_expires_at > now() AND split_part(lease_owner, ':', 1) = $1`,
    [host],
  );
  return result.rows.map((row) => row.instance);
}

/**
 * Ends now the leases of instances known to be gone, so that their files are claimed at once
 * instead of when the leases run out. The owner stays until the next claim: a claim that never
 * reached an outcome is still counted (open_claims). Returns how many files were freed.
 */
export async function expireLeasesOf(pool: Pool, instances: readonly string[]): Promise<number> {
  if (instances.length === 0) return 0;
  const result = await pool.query(
    `UPDATE ferry_files SET lease_expires_at = clock_timestamp() - interval '1 millisecond'
      WHERE status = 'pending' AND lease_expires_at > now() AND split_part(lease_owner, '#', 1) = ANY($1::text[])`,
    [instances],
  );
  return result.rowCount ?? 0;
}

/**
 * Gives back the leases of every claim this process still holds (owners `instance#n`), as it
 * stops: those files are due again at once, and the claim counts neither as an attempt nor as
 * a claim without an outcome. A claim whose transaction is still open waits here until it
 * rolls back (its row is locked), so callers end their loads first.
 */
export async function releaseLeases(pool: Pool, instance: string): Promise<number> {
  const result = await pool.query(
    `UPDATE ferry_files
        SET lease_owner = NULL, lease_expires_at = NULL, attempts = GREATEST(attempts - 1, 0), open_claims = GREATEST(open_claims - 1, 0)
      WHERE lease_owner LIKE $1 || '#%' AND status = 'pending'`,
    [instance.replace(/[\\%_]/g, '\\$&')],
  );
  return result.rowCount ?? 0;
}
