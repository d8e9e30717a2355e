/**
 * File versions: discovery records them, workers claim them with a lease, and the load records
 * the outcome in the same transaction as the data.
 */

import type { Pool, PoolClient } from '../postgres/index.ts';
import type { StoredObject } from '../storage/index.ts';
import { versionIdentity } from '../storage/index.ts';
import type { FileStatus, FileVersionRecord } from './types.ts';

export interface RecordPageResult {
  /** Versions not seen before, now pending. */
  readonly discovered: number;
  /** Versions already in the ledger and still pending (an earlier run's, waiting for a retry or a worker). */
  readonly pending: number;
  /** Pending versions replaced by a newer version of the same key. */
  readonly superseded: number;
}

/**
 * Records one listing page in one statement: new versions become pending, and pending older
 * versions of the same keys are superseded (their bytes are gone; the new version replaces them).
 */
export async function recordListingPage(pool: Pool, pipeline: string, runId: number, objects: readonly StoredObject[]): Promise<RecordPageResult> {
  if (objects.length === 0) return { discovered: 0, superseded: 0, pending: 0 };
  const result = await pool.query<RecordPageResult>({
    // Prepared once per connection: planning this statement took about a millisecond a page.
    name: 'ferry-record-listing-page',
    // The page's keys are the listing's, in order: the ledger's rows between its first and last
    // key are read in one range of the unique index (pipeline, key, version), and joined. When
    // that range holds many more rows than the page (keys deleted from the store but still in the
    // ledger), each key's versions are looked up by the same index instead: the range is read
    // only up to four rows a key. Both plans are fixed (no statistics involved); only keys not
    // known in the listed version are inserted (ON CONFLICT covers another instance's insert).
    text: `WITH page AS (
       SELECT * FROM unnest($2::text[], $3::text[], $4::text[], $5::bigint[], $6::timestamptz[])
         AS p(key, version, etag, size, last_modified)
     ), span AS MATERIALIZED (
       SELECT o.key, o.id, o.version, o.status FROM ferry_files o
        WHERE o.pipeline = $1 AND o.key >= (SELECT min(key) FROM page) AND o.key <= (SELECT max(key) FROM page)
        LIMIT 4 * cardinality($2::text[])
     ), dense AS (
       SELECT count(*) < 4 * cardinality($2::text[]) AS yes FROM span
     ), existing AS MATERIALIZED (
       SELECT p.key, p.version AS listed, s.id, s.version, s.status FROM page p JOIN span s ON s.key = p.key
        WHERE (SELECT yes FROM dense)
       UNION ALL
       SELECT p.key, p.version AS listed, o.id, o.version, o.status FROM page p
         CROSS JOIN LATERAL (SELECT id, version, status FROM ferry_files o WHERE o.pipeline = $1 AND o.key = p.key) o
        WHERE NOT (SELECT yes FROM dense)
     ), superseded AS (
       UPDATE ferry_files f SET status = 'superseded', finished_at = now(), lease_owner = NULL, lease_expires_at = NULL
         FROM existing e
        WHERE f.id = e.id AND e.version <> e.listed AND e.status = 'pending' AND f.status = 'pending'
       RETURNING f.id
     ), inserted AS (
       INSERT INTO ferry_files (pipeline, key, version, etag, size, last_modified, discovered_run_id)
       SELECT $1, p.key, p.version, p.etag, p.size, p.last_modified, $7 FROM page p
        WHERE NOT EXISTS (SELECT 1 FROM existing e WHERE e.key = p.key AND e.version = p.version)
       ON CONFLICT (pipeline, key, version) DO NOTHING
       RETURNING id
     )
     SELECT (SELECT count(*) FROM inserted) AS discovered, (SELECT count(*) FROM superseded) AS superseded,
            (SELECT count(*) FROM existing WHERE version = listed AND status = 'pending') AS pending`,
    values: [
      pipeline,
      arrayLiteral(objects.map((object) => object.key)),
      arrayLiteral(objects.map((object) => versionIdentity(object))),
      arrayLiteral(objects.map((object) => object.etag)),
      `{${objects.map((object) => object.size).join(',')}}`,
      arrayLiteral(objects.map((object) => object.lastModified)),
      runId,
    ],
  });
  return result.rows[0] as RecordPageResult;
}

const ARRAY_ESCAPED = /[\\"]/;

/**
 * Text values as one PostgreSQL array literal (`{"a","b",NULL}`), for a `text[]` parameter.
 * pg builds the same from a JavaScript array, escaping every element with two replacements:
 * for the 5,000 values of a listing page that was more of this thread (the one that lists the
 * store) than the statement's own round trip. Here values without NULLs, `"` or `\` (keys and
 * versions, nearly always) are joined at once; others go one by one.
 */
function arrayLiteral(values: readonly (string | null)[]): string {
  if (!values.includes(null) && !ARRAY_ESCAPED.test(values.join(''))) return values.length === 0 ? '{}' : `{"${values.join('","')}"}`;
  const parts = values.map((value) => (value === null ? 'NULL' : `"${value.replace(/[\\"]/g, '\\$&')}"`));
  return `{${parts.join(',')}}`;
}

/**
 * Refreshes the planner's statistics of the ledger: after a listing recorded many new versions
 * (a first run over a large bucket), a plan made for a small table would read every version of
 * the pipeline for each page. Best effort: a role that may not analyze leaves it to autovacuum.
 */
export async function analyzeLedger(pool: Pool): Promise<void> {
  await pool.query('ANALYZE ferry_files').catch(() => {});
}

/**
 * The greatest key recorded for a pipeline under a prefix, in byte order (S3's listing order),
 * or null: where a `listFrom: 'last-seen'` listing starts after. Any status counts — a key
 * quarantined or superseded was seen.
 */
export async function lastSeenKey(pool: Pool, pipeline: string, prefix: string): Promise<string | null> {
  const result = await pool.query<{ key: string }>(
    `SELECT key FROM ferry_files WHERE pipeline = $1 AND starts_with(key, $2) ORDER BY key COLLATE "C" DESC LIMIT 1`,
    [pipeline, prefix],
  );
  return result.rows[0]?.key ?? null;
}

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

/**
 * Text as PostgreSQL can store it: a NUL character (which a corrupt file's bytes can put into
 * a parser's error message) is written as the six characters \u0000. Without this the failure
 * could not be recorded, and the file would wait for its lease to expire, again and again.
 */
export function storableText(text: string): string {
  return text.replaceAll('\u0000', '\\u0000');
}

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
