/**
 * Whether a run lists the store. A pipeline without events lists at every run ('full'). A
 * pipeline with events (`source.events`) hears of new files from them: its first listing is a
 * whole one ('full': what the store held before its events began), and after that it lists only
 * to reconcile ('reconcile': what it finds is what the events missed) — when the last listing is
 * older than `source.reconcile`, and when a person asks for a run. A run started by events never
 * lists: that is what events are for.
 */
import type { SourceEvents } from '../config/index.ts';
import { lastListingAt, type RunListing, type RunTrigger } from '../ledger/index.ts';
import type { Pool } from '../postgres/index.ts';

export interface ListingSource {
  readonly events: SourceEvents | null;
  readonly reconcileMs: number | null;
}

export async function plannedListing(
  pool: Pool,
  pipeline: { readonly name: string; readonly source: ListingSource },
  trigger: RunTrigger,
  now = new Date(),
): Promise<RunListing | null> {
  if (trigger === 'event') return null;
  if (pipeline.source.events === null) return 'full';
  const last = await lastListingAt(pool, pipeline.name);
  if (trigger === 'manual') return last === null ? 'full' : 'reconcile';
  if (pipeline.source.reconcileMs === null) return null;
  if (last === null) return 'full';
  return now.getTime() - last.getTime() >= pipeline.source.reconcileMs ? 'reconcile' : null;
}
