/**
 * Discovery without listing: object-created events, as S3-compatible stores and AWS deliver
 * them over HTTP — S3's notification records (MinIO's webhook, or the `Message` of an SNS
 * notification) and EventBridge's "Object Created" events — become ledger rows for every
 * pipeline whose source selects the key, written as a listing page is (one statement per
 * pipeline, a repeated event a no-op). Other events are acknowledged and ignored.
 */
import { recordObjectEvents } from '../ledger/index.ts';
import type { Pool } from '../postgres/index.ts';
import type { ObjectStore, StorageLocation, StoredObject } from '../storage/index.ts';
import { type SourceSelection, selectsKey, sourceFilter } from './source-filter.ts';

/** One event, in the store's own terms (the key as stored, not yet under ferry's prefix). */
export interface ObjectEvent {
  /** Whether it says an object was created (S3 `ObjectCreated:*`, EventBridge `Object Created`). */
  readonly created: boolean;
  readonly bucket: string;
  readonly key: string;
  readonly size: number;
  readonly etag: string | null;
  /** ISO 8601, or null when the event carries none. */
  readonly time: string | null;
}

/** What a body holds: events, an SNS subscription to confirm, or nothing ferry knows. */
export type EventBody =
  | { readonly kind: 'events'; readonly events: readonly ObjectEvent[] }
  | { readonly kind: 'sns-confirmation'; readonly subscribeUrl: string; readonly signingCertUrl: string | null }
  | { readonly kind: 'unknown'; readonly reason: string };

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);
const count = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : 0);

/**
 * S3 notification keys are URL-encoded with `+` for a space (as in a form), so `+` must become
 * a space before percent-decoding (a `+` in a key arrives as `%2B`). A malformed encoding is
 * kept as sent: it then selects nothing rather than failing the whole delivery.
 */
export function decodeS3Key(encoded: string): string {
  try {
    return decodeURIComponent(encoded.replace(/\+/g, ' '));
  } catch {
    return encoded;
  }
}

/** S3's `Records` (MinIO's webhook, S3 through SNS): `eventName` `ObjectCreated:Put`, `s3.bucket.name`, `s3.object.key`. */
function s3Records(records: unknown[]): ObjectEvent[] {
  return records.filter(isObject).map((record) => {
    const s3 = isObject(record.s3) ? record.s3 : {};
    const object = isObject(s3.object) ? s3.object : {};
    const name = text(record.eventName) ?? '';
    return {
      // AWS writes `ObjectCreated:Put`; MinIO writes `s3:ObjectCreated:Put`.
      created: /^(s3:)?ObjectCreated:/.test(name),
      bucket: text(isObject(s3.bucket) ? s3.bucket.name : null) ?? '',
      key: decodeS3Key(text(object.key) ?? ''),
      size: count(object.size),
      etag: text(object.eTag) ?? text(object.etag),
      time: text(record.eventTime),
    };
  });
}

/** EventBridge's "Object Created": the key is not URL-encoded there. */
function eventBridgeEvent(body: Json): ObjectEvent {
  const detail = isObject(body.detail) ? body.detail : {};
  const object = isObject(detail.object) ? detail.object : {};
  return {
    created: body['detail-type'] === 'Object Created',
    bucket: text(isObject(detail.bucket) ? detail.bucket.name : null) ?? '',
    key: text(object.key) ?? '',
    size: count(object.size),
    etag: text(object.etag),
    time: text(body.time),
  };
}

/** What a delivery's body holds, whichever of the three senders sent it. */
export function parseEventBody(body: unknown): EventBody {
  if (Array.isArray(body)) {
    // EventBridge API destinations can batch events into an array.
    const events = body.filter(isObject).flatMap((event) => (Array.isArray(event.Records) ? s3Records(event.Records) : [eventBridgeEvent(event)]));
    return { kind: 'events', events };
  }
  if (!isObject(body)) return { kind: 'unknown', reason: 'the body is not a JSON object' };
  // An SNS message is read by its envelope only (`Type` first): its signature covers the
  // envelope's fields, and a Records or detail-type added beside them is not signed.
  if (!SNS_TYPES.has(String(body.Type))) {
    if (Array.isArray(body.Records)) return { kind: 'events', events: s3Records(body.Records) };
    if (body.source === 'aws.s3' || 'detail-type' in body) return { kind: 'events', events: [eventBridgeEvent(body)] };
  }
  if (body.Type === 'SubscriptionConfirmation') {
    const subscribeUrl = text(body.SubscribeURL);
    if (subscribeUrl === null) return { kind: 'unknown', reason: 'an SNS subscription confirmation without a SubscribeURL' };
    return { kind: 'sns-confirmation', subscribeUrl, signingCertUrl: text(body.SigningCertURL) };
  }
  if (body.Type === 'Notification') {
    const message = text(body.Message);
    let inner: unknown = null;
    try {
      inner = message === null ? null : JSON.parse(message);
    } catch {
      // Not S3's JSON: said below.
    }
    // S3's test message (`"Event": "s3:TestEvent"`) has no records: nothing to record.
    if (isObject(inner) && Array.isArray(inner.Records)) return { kind: 'events', events: s3Records(inner.Records) };
    return { kind: 'events', events: [] };
  }
  if (body.Type === 'UnsubscribeConfirmation') return { kind: 'events', events: [] };
  return { kind: 'unknown', reason: 'neither S3 notification records, an EventBridge event nor an SNS message' };
}

/** The `Type`s of SNS's own messages. */
export const SNS_TYPES: ReadonlySet<string> = new Set(['Notification', 'SubscriptionConfirmation', 'UnsubscribeConfirmation']);

/**
 * SNS's own hosts: `sns.<region>.amazonaws.com` (and China's `.com.cn`), the region as AWS
 * names regions (`eu-west-1`, `us-gov-west-1`, `cn-north-1`). Not any `sns.<x>.amazonaws.com`:
 * `sns.s3.amazonaws.com` is an S3 bucket named `sns`, which anyone could own.
 */
const SNS_HOST = /^sns\.[a-z]{2}(?:-[a-z]+)+-\d+\.amazonaws\.com(?:\.cn)?$/;

/**
 * Whether a URL from an SNS message may be fetched: https on an SNS host only. A forged
 * confirmation could otherwise make ferry request any address it can reach (an internal
 * service, a cloud metadata endpoint).
 */
export function isSnsUrl(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' && parsed.username === '' && parsed.password === '' && parsed.port === '' && SNS_HOST.test(parsed.hostname);
  } catch {
    return false;
  }
}

/**
 * The key relative to ferry's storage, or null when the event is about another place: on S3,
 * the bucket must be the configured one and the key under its prefix. A local folder or another
 * scheme receives no events ferry can place.
 */
export function storageKey(location: StorageLocation, event: Pick<ObjectEvent, 'bucket' | 'key'>): string | null {
  if (location.kind !== 's3' || event.bucket !== location.bucket || event.key === '' || event.key.endsWith('/')) return null;
  if (!event.key.startsWith(location.prefix)) return null;
  return event.key.slice(location.prefix.length);
}

/** Why an event recorded nothing. */
export type IgnoredReason = 'not-created' | 'other-place' | 'unselected' | 'gone';

export interface EventCounts {
  /** Events in the delivery. */
  readonly records: number;
  /** Events whose object version is now pending in at least one pipeline, seen for the first time. */
  readonly recorded: number;
  /** Events whose object's version is already in the ledger (a repeat, or a version recorded since). */
  readonly known: number;
  /** Events that recorded nothing (the sum of `ignoredBecause`). */
  readonly ignored: number;
  /**
   * Why: not about a created object; about another bucket or outside the storage's prefix (a
   * sender configured for another place); selected by no pipeline; no longer in the store.
   */
  readonly ignoredBecause: Readonly<Record<IgnoredReason, number>>;
  /** The pipelines that have pending files from these events: they should run. */
  readonly pipelines: readonly string[];
}

/** Objects asked of the store at once while a delivery is recorded. */
const STATS_IN_FLIGHT = 16;

/**
 * Records the created objects among `events` for every pipeline whose source selects them.
 * An event says which key changed; what is recorded is what the store holds under that key,
 * asked of the store (one HEAD request an object), as a listing would record it: an event's
 * size, ETag and time are the sender's word, and a wrong size would make the file's footer be
 * looked for in the wrong place. A key named twice in one delivery is asked once; a key the
 * store no longer holds records nothing; a store that fails to answer fails the delivery (the
 * sender, or the queue, delivers it again).
 */
export async function recordEvents(
  pool: Pool,
  store: Pick<ObjectStore, 'location' | 'stat'>,
  pipelines: readonly { readonly name: string; readonly source: SourceSelection }[],
  events: readonly ObjectEvent[],
  now = new Date(),
): Promise<EventCounts> {
  const ignoredBecause: Record<IgnoredReason, number> = { 'not-created': 0, 'other-place': 0, unselected: 0, gone: 0 };
  /** Events by the key they name (relative to the storage), for keys some pipeline selects. */
  const named = new Map<string, number>();
  for (const event of events) {
    if (!event.created) {
      ignoredBecause['not-created']++;
      continue;
    }
    const key = storageKey(store.location, event);
    if (key === null) ignoredBecause['other-place']++;
    else if (!pipelines.some((pipeline) => selectsKey(pipeline.source, key))) ignoredBecause.unselected++;
    else named.set(key, (named.get(key) ?? 0) + 1);
  }
  const keys = [...named.keys()];
  const held: StoredObject[] = [];
  for (let start = 0; start < keys.length; start += STATS_IN_FLIGHT) {
    const stats = await Promise.all(keys.slice(start, start + STATS_IN_FLIGHT).map((key) => store.stat(key)));
    stats.forEach((object, index) => {
      if (object === null) ignoredBecause.gone += named.get(keys[start + index] as string) ?? 0;
      else held.push(object);
    });
  }
  const recorded = new Set<string>();
  const selected = new Set<string>();
  const toRun: string[] = [];
  for (const pipeline of pipelines) {
    const matches = sourceFilter(pipeline.source, now);
    const wanted = held.filter((object) => matches(object) === 'match');
    if (wanted.length === 0) continue;
    for (const object of wanted) selected.add(object.key);
    const result = await recordObjectEvents(pool, pipeline.name, wanted);
    for (const key of result.discovered) recorded.add(key);
    if (result.discovered.length > 0 || result.pending > 0) toRun.push(pipeline.name);
  }
  // Held, but outside every pipeline's time window (modifiedWithin).
  for (const object of held) if (!selected.has(object.key)) ignoredBecause.unselected += named.get(object.key) ?? 0;
  const ignored = Object.values(ignoredBecause).reduce((sum, count) => sum + count, 0);
  // A key named by several events of the delivery is recorded once: the others count as known.
  return { records: events.length, recorded: recorded.size, known: events.length - ignored - recorded.size, ignored, ignoredBecause, pipelines: toRun };
}

/** A warning at most once a minute: one warner per app (HTTP route, queue consumers). */
const WARN_EVERY_MS = 60_000;

/**
 * Warns, at most once a minute, about events that point at a mistake: events about another
 * bucket or outside the storage's prefix (a sender set up for another place) are otherwise
 * only counted. Objects selected by no pipeline and other event types are normal.
 */
export function ignoredEventsWarner(
  log: { warn(object: object, message: string): void } | undefined,
  location: StorageLocation,
): (counts: EventCounts) => void {
  let lastWarned = 0;
  const where = location.kind === 's3' ? `s3://${location.bucket}/${location.prefix}` : 'this storage';
  return (counts) => {
    const count = counts.ignoredBecause['other-place'];
    if (log === undefined || count === 0 || Date.now() - lastWarned < WARN_EVERY_MS) return;
    lastWarned = Date.now();
    log.warn(
      { events: count },
      `${count} object-created event(s) named a bucket or key outside ${where} and were ignored: is the sender set up for this bucket and prefix? (said at most once a minute)`,
    );
  };
}
