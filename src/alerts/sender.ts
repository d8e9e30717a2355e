/**
 * Delivers the outbox: any instance claims due alerts with a lease (`FOR UPDATE SKIP LOCKED`),
 * posts each to its destination, and marks it delivered — or schedules the next attempt with
 * backoff, up to MAX_ATTEMPTS. An instance killed while it held an alert leaves a lease that
 * expires; another instance then sends it. Sending never touches a load: it runs beside them.
 * Receivers see each alert once, unless an instance dies between the POST and the mark: the
 * `dedup_key` lets them drop that rare repeat.
 */

import { swallow } from '../errors/index.ts';
import { claimDueAlerts, markAlertDelivered, markAlertFailed } from '../ledger/index.ts';
import type { Pool } from '../postgres/index.ts';
import type { AlertDestination, AlertFormat } from './events.ts';

const MAX_ATTEMPTS = 12;
const BATCH = 20;
const REQUEST_TIMEOUT_MS = 10_000;

export interface SenderOptions {
  readonly pool: Pool;
  readonly destinations: readonly AlertDestination[];
  /** Who holds the lease (the instance). */
  readonly owner: string;
  /** How long a claimed alert stays this sender's. @default 30 s */
  readonly leaseMs?: number;
  readonly log?: { warn(object: object, message: string): void; info(object: object, message: string): void };
}

/** The body a destination gets: the JSON payload, or Slack's `{ text }`. */
export function formatAlert(format: AlertFormat, payload: Record<string, unknown>): Record<string, unknown> {
  if (format === 'json') return payload;
  // Slack reads <…> as links and mentions (<!channel>): a file name must not be able to make one.
  const slackText = (text: unknown) => String(text).replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
  const icon = payload.severity === 'error' ? ':rotating_light:' : payload.severity === 'warning' ? ':warning:' : ':white_check_mark:';
  return { text: `${icon} ferry ${slackText(payload.event)}: ${slackText(payload.summary)} <${slackText(payload.dashboard)}|dashboard>` };
}

/**
 * A webhook URL with credentials in it (`https://user:pw@host/…`, as many receivers are given)
 * is sent with them as HTTP basic auth: fetch refuses such a URL as it is ("did not answer:
 * TypeError"). Redirects stay refused, so the credentials go to that host only.
 */
export function webhookRequest(url: string): { readonly url: string; readonly headers: Readonly<Record<string, string>> } {
  const parsed = new URL(url);
  if (parsed.username === '' && parsed.password === '') return { url, headers: {} };
  const credentials = `${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`;
  parsed.username = '';
  parsed.password = '';
  return { url: parsed.href, headers: { authorization: `Basic ${Buffer.from(credentials).toString('base64')}` } };
}

/** Posts one alert; resolves with null when it was taken (2xx), else the reason, with secrets hidden. */
export async function post(destination: AlertDestination, payload: Record<string, unknown>): Promise<string | null> {
  try {
    const target = webhookRequest(destination.url);
    const response = await fetch(target.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'ferry-alerts', ...target.headers },
      body: JSON.stringify(formatAlert(destination.format, payload)),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      redirect: 'error',
    });
    await response.body?.cancel().catch(swallow('discarding an alert receiver’s answer'));
    return response.ok ? null : `${destination.shown} answered HTTP ${response.status}`;
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const reason = cause?.code ?? cause?.message ?? (error as Error).name;
    // Never the URL itself: it holds the secret.
    return `${destination.shown} did not answer: ${String(reason).replaceAll(destination.url, destination.shown)}`;
  }
}

function backoffMs(attempts: number): number {
  return Math.min(10 * 60_000, 1_000 * 2 ** Math.max(0, attempts - 1));
}

/** Claims, sends and records one batch of due alerts; returns how many were handled. */
export async function deliverDue(options: SenderOptions): Promise<number> {
  const { pool, owner } = options;
  const leaseMs = options.leaseMs ?? 30_000;
  const claimed = await claimDueAlerts(pool, {
    owner,
    leaseMs,
    limit: BATCH,
    // Only alerts for destinations this process knows: another instance (or a later config) may
    // have one whose URL is not set here; those wait for a sender that can reach them.
    destinations: options.destinations.map((destination) => destination.id),
  });
  await Promise.all(
    claimed.map(async (alert) => {
      const destination = options.destinations.find((candidate) => candidate.id === alert.destination);
      const failure = destination === undefined ? 'its destination is no longer in the config' : await post(destination, alert.payload);
      if (failure === null) {
        await markAlertDelivered(pool, alert.id, owner);
        options.log?.info({ alert: alert.id, event: alert.event, to: destination?.shown }, 'alert delivered');
        return;
      }
      const givingUp = destination === undefined || alert.attempts >= MAX_ATTEMPTS;
      await markAlertFailed(pool, alert.id, owner, { givingUp, error: failure, retryInMs: backoffMs(alert.attempts) });
      options.log?.warn(
        { alert: alert.id, event: alert.event, attempts: alert.attempts, error: failure },
        givingUp ? 'alert not delivered: gave up' : 'alert not delivered: will retry',
      );
    }),
  );
  return claimed.length;
}

/** A loop that delivers due alerts every `intervalMs` (and at once when kicked); stop() ends it. */
export function startSender(options: SenderOptions & { readonly intervalMs?: number }): { kick(): void; stop(): Promise<void> } {
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | null = null;
  const tick = () => {
    if (stopped) return;
    if (timer !== null) clearTimeout(timer);
    running = running
      .then(async () => {
        while (!stopped && (await deliverDue(options)) > 0) {}
      })
      .catch((error: unknown) => options.log?.warn({ err: error }, 'alert delivery failed; trying again'))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, options.intervalMs ?? 2_000);
        timer?.unref();
      });
  };
  if (options.destinations.length > 0) tick();
  return {
    kick: () => {
      if (options.destinations.length > 0) tick();
    },
    stop: async () => {
      stopped = true;
      if (timer !== null) clearTimeout(timer);
      await running;
    },
  };
}

/** Sends what is due now and waits, up to `deadlineMs` (the end of `ferry run --once`). */
export async function drainAlerts(options: SenderOptions, deadlineMs: number): Promise<void> {
  if (options.destinations.length === 0) return;
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    if ((await deliverDue(options)) === 0) return;
  }
}
