/**
 * Whether a run lists the store. A pipeline without events lists at every run. A pipeline with
 * events (`source.events`) hears of new files from them and lists only to reconcile: when the
 * last reconciliation is older than `source.reconcile` (or there has been none), and when a
 * person asks for a run. A run started by events never lists: that is what events are for.
 */
import type { SourceEvents } from '../config/index.ts';
import { lastReconcileAt, type RunListing, type RunTrigger } from '../ledger/index.ts';
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
  if (trigger === 'manual') return 'reconcile';
  if (pipeline.source.reconcileMs === null) return null;
  const last = await lastReconcileAt(pool, pipeline.name);
  return last === null || now.getTime() - last.getTime() >= pipeline.source.reconcileMs ? 'reconcile' : null;
}
