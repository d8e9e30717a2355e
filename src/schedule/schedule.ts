/**
 * A pipeline's schedule: a fixed interval (`every: '5m'`) or a cron expression with a time
 * zone. Interval ticks fall on whole multiples of the interval since the Unix epoch (every 5m:
 * :00, :05, :10 …), so that every instance computes the same tick times and a tick is run
 * once across all of them; cron schedules tick at the expression's fire times.
 */
import { Cron } from 'croner';
import { formatDuration, parseDuration } from '../units/index.ts';

export type Schedule =
  | { readonly kind: 'every'; readonly everyMs: number; readonly text: string }
  | { readonly kind: 'cron'; readonly expression: string; readonly timezone: string; readonly text: string };

/** Minimum interval: shorter ones would only hammer the store's listing API. */
export const MIN_INTERVAL_MS = 1_000;

export function everySchedule(everyMs: number): Schedule {
  return { kind: 'every', everyMs, text: `every ${formatDuration(everyMs)}` };
}

/**
 * Parses `10s`/`5m`/`24h` as an interval, anything else as a cron expression.
 * Returns an error message instead of throwing so that callers can name the field.
 */
export function parseSchedule(text: string, timezone = 'UTC'): Schedule | string {
  const everyMs = parseDuration(text);
  if (everyMs !== null) {
    if (everyMs < MIN_INTERVAL_MS) return `interval ${text} is shorter than 1s`;
    return everySchedule(everyMs);
  }
  return cronSchedule(text, timezone);
}

export function cronSchedule(expression: string, timezone = 'UTC'): Schedule | string {
  if (!isValidTimezone(timezone)) return `unknown time zone "${timezone}" (use an IANA name such as UTC or Europe/Berlin)`;
  try {
    new Cron(expression, { timezone, paused: true }).stop();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return `"${expression}" is neither a duration (10s, 5m, 24h) nor a cron expression: ${reason}`;
  }
  return { kind: 'cron', expression, timezone, text: `cron ${expression} (${timezone})` };
}

export function isValidTimezone(timezone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}

/** The next time the schedule fires strictly after `after`. */
export function nextFireTime(schedule: Schedule, after: Date): Date {
  if (schedule.kind === 'every') return new Date((Math.floor(after.getTime() / schedule.everyMs) + 1) * schedule.everyMs);
  const next = new Cron(schedule.expression, { timezone: schedule.timezone, paused: true }).nextRun(after);
  if (next === null) throw new Error(`cron expression ${schedule.expression} never fires again`);
  return next;
}

/** The time between two runs of a schedule (for a cron expression: between its next two fire times). */
export function scheduleIntervalMs(schedule: Schedule): number {
  if (schedule.kind === 'every') return schedule.everyMs;
  const first = nextFireTime(schedule, new Date());
  return Math.max(1_000, nextFireTime(schedule, first).getTime() - first.getTime());
}
