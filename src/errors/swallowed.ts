/**
 * Failures ferry lets pass on purpose — a lease renewal the next one redoes, a progress row,
 * the release of a claim whose lease expires anyway, a clean-up — are still counted (the
 * metric `ferry_swallowed_failures_total`) and logged, at most once a minute per kind with how
 * many were not logged, so that minutes of failing renewals show up before a lost lease does.
 */

/** How often one kind of swallowed failure is logged at most. */
const LOG_EVERY_MS = 60_000;

type Listener = (what: string, error: unknown, unlogged: number) => void;

const counts = new Map<string, number>();
const logged = new Map<string, { at: number; unlogged: number }>();
let listener: Listener | null = null;

/** A handler for `.catch()`: the failure is counted under `what` and logged, rate-limited. */
export function swallow(what: string): (error: unknown) => void {
  return (error) => noteSwallowed(what, error);
}

export function noteSwallowed(what: string, error: unknown): void {
  counts.set(what, (counts.get(what) ?? 0) + 1);
  const now = Date.now();
  const last = logged.get(what);
  if (last !== undefined && now - last.at < LOG_EVERY_MS) {
    last.unlogged++;
    return;
  }
  logged.set(what, { at: now, unlogged: 0 });
  listener?.(what, error, last?.unlogged ?? 0);
}

/** Where swallowed failures are logged (the runtime's logger); null: nowhere. */
export function onSwallowed(next: Listener | null): void {
  listener = next;
}

/** Swallowed failures so far, by kind (for the metric). */
export function swallowedCounts(): ReadonlyMap<string, number> {
  return counts;
}
