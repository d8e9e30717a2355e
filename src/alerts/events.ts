/**
 * The events ferry alerts on, and how an alert destination is written in the config and
 * resolved. A destination's URL carries its secret (a Slack webhook, a token in a query): it
 * comes from the environment, is never stored (the outbox keeps a hash of it) and is never
 * printed whole (see redactUrl).
 */
import crypto from 'node:crypto';

export const ALERT_EVENTS = ['file.quarantined', 'checks.failed', 'run.failed', 'run.digest', 'pipeline.late', 'pipeline.recovered'] as const;
export type AlertEvent = (typeof ALERT_EVENTS)[number] | 'test';
export const ALERT_FORMATS = ['json', 'slack'] as const;
export type AlertFormat = (typeof ALERT_FORMATS)[number];

export const SEVERITY: Readonly<Record<AlertEvent, 'error' | 'warning' | 'info'>> = {
  'file.quarantined': 'error',
  'checks.failed': 'warning',
  'run.failed': 'error',
  'run.digest': 'error',
  'pipeline.late': 'error',
  'pipeline.recovered': 'info',
  test: 'info',
};

/** An alert destination as written in `alerts` (its URL from the environment: `process.env.X`). */
export interface AlertInput {
  /** The webhook; an unset variable (undefined or '') leaves this destination off, with a warning at start. */
  readonly url: string | undefined;
  /** @default 'json' */
  readonly format?: AlertFormat;
  /** Events to send, or `['*']`. @default ['*'] */
  readonly on?: readonly string[];
  /** At most one alert per (pipeline, event) this often; the rest are counted into the run's digest. @default '15m' */
  readonly cooldown?: string;
}

export interface AlertDestination {
  /** A hash of the URL: what the outbox stores. */
  readonly id: string;
  readonly url: string;
  /** The URL with its secret parts hidden, for logs and errors. */
  readonly shown: string;
  readonly format: AlertFormat;
  readonly events: ReadonlySet<string> | '*';
  readonly cooldownMs: number;
}

export function destinationId(url: string): string {
  return crypto.createHash('sha256').update(url).digest('hex').slice(0, 16);
}

/** `https://hooks.slack.com/services/T0/B0/secret` → `https://hooks.slack.com/…` (the path and query can hold the secret). */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}/…`;
  } catch {
    return '(an invalid URL)';
  }
}

export function wants(destination: AlertDestination, event: AlertEvent): boolean {
  return event === 'test' || destination.events === '*' || destination.events.has(event);
}
