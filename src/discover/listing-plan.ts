/**
 * Whether a run lists the store, and why.
 *
 * A pipeline without events lists at every run ('full'). A pipeline with events
 * (`source.events`) hears of new files from them: its first listing is a whole one ('full': what
 * the store held before its events began), and after that it lists only to reconcile
 * ('reconcile': what it finds is what the events missed) — when the last listing is older than
 * `source.reconcile`, and when a person asks for a run.
 *
 * Runs that events start list only when a listing is overdue: events that arrive all the time
 * keep a run going, and a schedule tick that finds its pipeline running is not run, so without
 * this the listing that catches lost events would wait for a quiet moment that never comes.
 */
import type { SourceEvents } from '../config/index.ts';
import { lastListingAt, type RunListing, type RunTrigger } from '../ledger/index.ts';
import type { Pool } from '../postgres/index.ts';
import { type Schedule, scheduleIntervalMs } from '../schedule/index.ts';

export interface ListingSource {
  readonly events: SourceEvents | null;
  readonly reconcileMs: number | null;
}

export interface ListingFacts {
  readonly trigger: RunTrigger;
  readonly source: ListingSource;
  /** The time between the pipeline's schedule ticks. */
  readonly intervalMs: number;
  /** When the pipeline's store was last listed (a listing that completed), or null. */
  readonly lastListing: Date | null;
  readonly now: Date;
}

/** The decision itself, from what is known. */
export function listingFor(facts: ListingFacts): RunListing | null {
  const { trigger, source, lastListing } = facts;
  const since = lastListing === null ? Number.POSITIVE_INFINITY : facts.now.getTime() - lastListing.getTime();
  if (source.events === null) {
    // Every run lists; a run that events started, only when the schedule's listing is overdue.
    return trigger !== 'event' || since >= facts.intervalMs ? 'full' : null;
  }
  if (trigger === 'manual') return lastListing === null ? 'full' : 'reconcile';
  // reconcile: null — never on its own, not even the first time (a person's run lists).
  if (source.reconcileMs === null) return null;
  if (lastListing === null) return 'full';
  return since >= source.reconcileMs ? 'reconcile' : null;
}

export async function plannedListing(
  pool: Pool,
  pipeline: { readonly name: string; readonly source: ListingSource; readonly schedule: Schedule },
  trigger: RunTrigger,
  now = new Date(),
): Promise<RunListing | null> {
  // A pipeline without events lists at every run but those events start: no need to ask.
  const lastListing = pipeline.source.events === null && trigger !== 'event' ? null : await lastListingAt(pool, pipeline.name);
  return listingFor({ trigger, source: pipeline.source, intervalMs: scheduleIntervalMs(pipeline.schedule), lastListing, now });
}
