/**
 * The alert outbox's rows (ferry_alerts): written in the transaction that records what they are
 * about, then claimed with a lease by any instance's sender and marked delivered or failed.
 * What an alert says and to whom is alerts/'s; here is only how the rows are kept.
 */
import type { Pool, PoolClient } from '../postgres/index.ts';

/** A client inside the caller's transaction (or the pool, outside one). */
type Queryable = Pick<PoolClient, 'query'>;

export type AlertRowStatus = 'pending' | 'suppressed';

export interface AlertRow {
  readonly event: string;
  readonly pipeline: string | null;
  readonly destination: string;
  readonly dedupKey: string;
  readonly payload: Readonly<Record<string, unknown>>;
  readonly status: AlertRowStatus;
}

/** One outbox row; false when the event was already there for that destination. */
export async function insertAlert(client: Queryable, row: AlertRow): Promise<boolean> {
  const inserted = await client.query(
    // clock_timestamp(), not now(): inside a long load's transaction now() is when it began.
    `INSERT INTO ferry_alerts (event, pipeline, destination, dedup_key, payload, status, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, clock_timestamp()) ON CONFLICT (destination, dedup_key) DO NOTHING`,
    [row.event, row.pipeline, row.destination, row.dedupKey, JSON.stringify(row.payload), row.status],
  );
  return inserted.rowCount === 1;
}

/** Whether the destination was sent (or is to be sent) the same pipeline's event within the cooldown. */
export async function alertWithinCooldown(
  client: Queryable,
  alert: { readonly destination: string; readonly event: string; readonly pipeline: string | null; readonly cooldownMs: number },
): Promise<boolean> {
  const result = await client.query(
    `SELECT 1 FROM ferry_alerts
      WHERE destination = $1 AND event = $2 AND pipeline IS NOT DISTINCT FROM $3 AND status <> 'suppressed'
        AND created_at > clock_timestamp() - make_interval(secs => $4::double precision / 1000) LIMIT 1`,
    [alert.destination, alert.event, alert.pipeline, alert.cooldownMs],
  );
  return result.rowCount === 1;
}

/** File alerts of a run that the cooldown suppressed, by destination and event, with the first keys. */
export interface SuppressedAlerts {
  readonly destination: string;
  readonly event: string;
  readonly count: number;
  /** Up to ten file keys, in the order they were suppressed. */
  readonly keys: string[];
}

export async function suppressedFileAlertsOfRun(client: Queryable, pipeline: string, runId: number): Promise<SuppressedAlerts[]> {
  const result = await client.query<SuppressedAlerts>(
    `SELECT destination, event, count(*)::int AS count, (array_agg(payload->'file'->>'key' ORDER BY id))[1:10] AS keys
       FROM ferry_alerts
      WHERE status = 'suppressed' AND pipeline = $1 AND (payload->>'run_id')::bigint = $2 AND event IN ('file.quarantined', 'checks.failed')
      GROUP BY destination, event`,
    [pipeline, runId],
  );
  return result.rows;
}

/** An alert claimed for sending. */
export interface ClaimedAlert {
  readonly id: number;
  readonly destination: string;
  readonly event: string;
  /** Including this one. */
  readonly attempts: number;
  readonly payload: Record<string, unknown>;
}

/**
 * Claims up to `limit` due alerts for the given destinations under a lease (SKIP LOCKED: another
 * instance's claims are passed over), counting the attempt.
 */
export async function claimDueAlerts(
  pool: Pool,
  options: { readonly owner: string; readonly leaseMs: number; readonly limit: number; readonly destinations: readonly string[] },
): Promise<ClaimedAlert[]> {
  const result = await pool.query<ClaimedAlert>(
    `UPDATE ferry_alerts SET lease_owner = $1, lease_expires_at = now() + make_interval(secs => $2::double precision / 1000), attempts = attempts + 1
      WHERE id IN (SELECT id FROM ferry_alerts
                    WHERE status = 'pending' AND next_attempt_at <= now() AND (lease_expires_at IS NULL OR lease_expires_at < now())
                      AND destination = ANY($4::text[])
                    ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED)
      RETURNING id, destination, event, attempts, payload`,
    [options.owner, options.leaseMs, options.limit, options.destinations],
  );
  return result.rows;
}

/** The destination took the alert; nothing happens if the lease was lost meanwhile. */
export async function markAlertDelivered(pool: Pool, id: number, owner: string): Promise<void> {
  await pool.query(
    "UPDATE ferry_alerts SET status = 'delivered', delivered_at = now(), lease_owner = NULL, lease_expires_at = NULL, last_error = NULL WHERE id = $1 AND lease_owner = $2",
    [id, owner],
  );
}

/** The destination did not take the alert: tried again after `retryInMs`, or given up (`failed`). */
export async function markAlertFailed(
  pool: Pool,
  id: number,
  owner: string,
  failure: { readonly givingUp: boolean; readonly error: string; readonly retryInMs: number },
): Promise<void> {
  await pool.query(
    `UPDATE ferry_alerts SET status = $3, last_error = $4, lease_owner = NULL, lease_expires_at = NULL,
            next_attempt_at = now() + make_interval(secs => $5::double precision / 1000)
      WHERE id = $1 AND lease_owner = $2`,
    [id, owner, failure.givingUp ? 'failed' : 'pending', failure.error, failure.retryInMs],
  );
}
