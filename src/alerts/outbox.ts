/**
 * The alert outbox: an event is written here in the same transaction that records what it is
 * about (a file's quarantine, a run's failure, a pipeline turning late), so it exists exactly
 * when the fact does; senders deliver it afterwards (sender.ts). One row per destination that
 * wants the event. Alerts are about changes: within a destination's cooldown a second
 * (pipeline, event) alert is kept as `suppressed`, and a run that had suppressed alerts ends
 * with one digest.
 */
import { alertWithinCooldown, insertAlert, suppressedFileAlertsOfRun } from '../ledger/index.ts';
import type { PoolClient } from '../postgres/index.ts';
import { type AlertDestination, type AlertEvent, SEVERITY, wants } from './events.ts';

type Queryable = Pick<PoolClient, 'query'>;

/** First key of the advisory locks that serialise alerts of one kind ("Alrt"). */
const ALERT_LOCK_NAMESPACE = 0x416c_7274;

export interface AlertFacts {
  readonly event: AlertEvent;
  /** @default the event's (see SEVERITY) */
  readonly severity?: 'error' | 'warning' | 'info';
  readonly pipeline: string | null;
  /** Unique per event: `file.quarantined:12:1732550000000`. */
  readonly dedupKey: string;
  /** One line for people (the Slack text, the JSON summary). */
  readonly summary: string;
  readonly file?: { readonly id: number; readonly key: string; readonly version: string } | null;
  readonly runId?: number | null;
  readonly attempts?: number | null;
  readonly error?: { readonly code: string; readonly step: string; readonly message: string } | null;
  readonly counts?: Readonly<Record<string, number>> | null;
}

export interface OutboxSettings {
  readonly destinations: readonly AlertDestination[];
  /** The base of links: `${publicUrl}/ui#file-12`. */
  readonly publicUrl: string;
}

/** The JSON payload every format is made from. */
export function alertPayload(facts: AlertFacts, publicUrl: string, occurredAt = new Date()): Record<string, unknown> {
  const link = facts.file ? `${publicUrl}/ui#file-${facts.file.id}` : `${publicUrl}/ui`;
  return {
    event: facts.event,
    severity: facts.severity ?? SEVERITY[facts.event],
    summary: facts.summary,
    pipeline: facts.pipeline,
    file: facts.file ? { key: facts.file.key, version: facts.file.version } : null,
    run_id: facts.runId ?? null,
    attempts: facts.attempts ?? null,
    error: facts.error ?? null,
    counts: facts.counts ?? null,
    occurred_at: occurredAt.toISOString(),
    dashboard: link,
    dedup_key: facts.dedupKey,
  };
}

/**
 * Writes the event for each destination that wants it, on `client` (inside the caller's
 * transaction). Returns how many rows will be sent (not suppressed).
 */
export async function enqueueAlert(client: Queryable, settings: OutboxSettings, facts: AlertFacts, options: { cooldown?: boolean } = {}): Promise<number> {
  let sent = 0;
  const payload = alertPayload(facts, settings.publicUrl);
  for (const destination of settings.destinations) {
    if (!wants(destination, facts.event)) continue;
    // Cooldown: one alert per (destination, pipeline, event) per period; the others are kept,
    // suppressed. Alerts of one kind are written one transaction at a time (a lock held to the
    // commit), so that two files quarantined at once do not both see an empty period.
    if (options.cooldown !== false && destination.cooldownMs > 0) {
      await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [ALERT_LOCK_NAMESPACE, `${destination.id}:${facts.pipeline ?? ''}:${facts.event}`]);
    }
    const cooling =
      options.cooldown !== false && destination.cooldownMs > 0
        ? await alertWithinCooldown(client, { destination: destination.id, event: facts.event, pipeline: facts.pipeline, cooldownMs: destination.cooldownMs })
        : false;
    const inserted = await insertAlert(client, { ...alertRow(destination.id, facts, payload), status: cooling ? 'suppressed' : 'pending' });
    if (!cooling && inserted) sent++;
  }
  return sent;
}

/**
 * At the end of a run: the file alerts that the cooldown suppressed in it, as one digest per
 * destination (which the cooldown does not hold back).
 */
export async function enqueueRunDigest(client: Queryable, settings: OutboxSettings, pipeline: string, runId: number): Promise<void> {
  if (settings.destinations.length === 0) return;
  const suppressed = await suppressedFileAlertsOfRun(client, pipeline, runId);
  for (const row of suppressed) {
    const destination = settings.destinations.find((candidate) => candidate.id === row.destination);
    // A destination gets the digest of the alerts it would have had.
    if (destination === undefined) continue;
    const what = row.event === 'file.quarantined' ? 'files quarantined' : 'files that failed their checks';
    const facts: AlertFacts = {
      event: 'run.digest',
      pipeline,
      dedupKey: `run.digest:${runId}:${row.event}`,
      summary: `${pipeline}: ${row.count} more ${what} in run ${runId} (alerts held back by the cooldown): ${row.keys.join(', ')}${row.count > row.keys.length ? ', …' : ''}`,
      runId,
      counts: { [row.event]: row.count },
    };
    await insertAlert(client, { ...alertRow(destination.id, facts, alertPayload(facts, settings.publicUrl)), status: 'pending' });
  }
}

/** The outbox row of an event for one destination. */
function alertRow(destination: string, facts: AlertFacts, payload: Record<string, unknown>) {
  return { event: facts.event, pipeline: facts.pipeline, destination, dedupKey: facts.dedupKey, payload };
}
