/**
 * Discovery's side of the ledger: a listing page becomes rows (new versions pending, older
 * pending versions of the same keys superseded), in one statement per page.
 */

import { swallow } from '../errors/index.ts';
import type { Pool } from '../postgres/index.ts';
import type { StoredObject } from '../storage/index.ts';
import { versionIdentity } from '../storage/index.ts';

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
    values: [pipeline, ...objectColumns(objects), runId],
  });
  return result.rows[0] as RecordPageResult;
}

export interface RecordEventsResult {
  /** The keys whose event version was not seen before, now pending. */
  readonly discovered: readonly string[];
  /** Events whose version is in the ledger and still pending. */
  readonly pending: number;
}

/**
 * Records the objects that events named, as the store gave them (a stat each: see
 * recordEvents), for one pipeline in one statement, as a listing page is recorded, with one
 * difference: no pending version is superseded. Two deliveries about one key can be recorded
 * out of order (each stat'ed, then recorded), so the version recorded last need not be the newer
 * one, and times cannot tell (a HEAD's Last-Modified has whole seconds where a listing's may
 * have milliseconds). Two versions pending for a key are safe: a version is loaded only if the
 * store still holds it when the load commits, and the other is superseded then. A repeated
 * event finds its version and changes nothing. `objects` holds each key once.
 */
export async function recordObjectEvents(pool: Pool, pipeline: string, objects: readonly StoredObject[]): Promise<RecordEventsResult> {
  if (objects.length === 0) return { discovered: [], pending: 0 };
  const result = await pool.query<{ discovered: string[]; pending: string }>({
    name: 'ferry-record-object-events',
    // The versions of a few keys, found by the unique index (pipeline, key, version).
    text: `WITH event AS (
       SELECT * FROM unnest($2::text[], $3::text[], $4::text[], $5::bigint[], $6::timestamptz[])
         AS p(key, version, etag, size, last_modified)
     ), existing AS MATERIALIZED (
       SELECT e.key, e.version AS listed, o.version, o.status
         FROM event e JOIN ferry_files o ON o.pipeline = $1 AND o.key = e.key
     ), inserted AS (
       INSERT INTO ferry_files (pipeline, key, version, etag, size, last_modified, discovered_run_id)
       SELECT $1, e.key, e.version, e.etag, e.size, e.last_modified, NULL FROM event e
        WHERE NOT EXISTS (SELECT 1 FROM existing x WHERE x.key = e.key AND x.version = e.version)
       ON CONFLICT (pipeline, key, version) DO NOTHING
       RETURNING key
     )
     SELECT ARRAY(SELECT key FROM inserted) AS discovered, (SELECT count(*) FROM existing WHERE version = listed AND status = 'pending') AS pending`,
    values: [pipeline, ...objectColumns(objects)],
  });
  const row = result.rows[0] as { discovered: string[]; pending: string };
  return { discovered: row.discovered, pending: Number(row.pending) };
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
  await pool.query('ANALYZE ferry_files').catch(swallow('analyzing the ledger'));
}

/**
 * The greatest key recorded for a pipeline under a prefix, in byte order (S3's listing order),
 * or null: where a `listFrom: 'last-seen'` listing starts after. Any status counts — a key
 * quarantined or superseded was seen.
 */
export async function lastSeenKey(pool: Pool, pipeline: string, prefix: string): Promise<string | null> {
  const result = await pool.query<{ key: string }>(
    // Keys a listing recorded only: a key an event recorded says nothing of the keys before it
    // (their events may be the ones lost), and a reconciliation must still list them.
    `SELECT key FROM ferry_files WHERE pipeline = $1 AND starts_with(key, $2) AND discovered_run_id IS NOT NULL ORDER BY key COLLATE "C" DESC LIMIT 1`,
    [pipeline, prefix],
  );
  return result.rows[0]?.key ?? null;
}

/** Objects as the array parameters the recording statements unnest: key, version, ETag, size, last modified. */
function objectColumns(objects: readonly StoredObject[]): string[] {
  return [
    arrayLiteral(objects.map((object) => object.key)),
    arrayLiteral(objects.map((object) => versionIdentity(object))),
    arrayLiteral(objects.map((object) => object.etag)),
    `{${objects.map((object) => object.size).join(',')}}`,
    arrayLiteral(objects.map((object) => object.lastModified)),
  ];
}
