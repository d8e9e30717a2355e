/**
 * The discover stage: list the store under the pipeline's prefix (with `listFrom: 'last-seen'`
 * only after the greatest key already recorded), keep what its source selects, and record each
 * listing page in the ledger in one statement (new versions become pending; older pending
 * versions of the same keys are superseded).
 */
import { analyzeLedger, type DiscoveryCounts, lastSeenKey, recordListingPage } from '../ledger/index.ts';
import type { Pool } from '../postgres/index.ts';
import type { ObjectStore } from '../storage/index.ts';
import { type SourceSelection, sourceFilter } from './source-filter.ts';

/** New versions recorded before the ledger's statistics are refreshed (see analyzeLedger). */
const ANALYZE_AFTER = 20_000;

export async function discoverFiles(
  pool: Pool,
  store: ObjectStore,
  pipeline: { readonly name: string; readonly source: SourceSelection },
  runId: number,
  now = new Date(),
): Promise<DiscoveryCounts> {
  const counts = { files_listed: 0, files_discovered: 0, files_skipped: 0, files_outside_window: 0, files_hidden: 0 };
  const matches = sourceFilter(pipeline.source, now);
  // Keys that arrive in order: only the tail after the greatest key already recorded is listed.
  const startAfter = pipeline.source.listFrom === 'last-seen' ? await lastSeenKey(pool, pipeline.name, pipeline.source.prefix) : null;
  // A page is recorded while the next one is listed: one ledger statement in flight at a time.
  let recording: Promise<void> | null = null;
  let sinceAnalyze = 0;
  for await (const page of store.list(pipeline.source.prefix, 1000, startAfter)) {
    const wanted = page.filter((object) => {
      const verdict = matches(object);
      if (verdict === 'too-old') counts.files_outside_window++;
      if (verdict === 'hidden') counts.files_hidden++;
      return verdict === 'match';
    });
    counts.files_listed += wanted.length;
    await recording;
    recording = recordListingPage(pool, pipeline.name, runId, wanted).then(async (recorded) => {
      counts.files_discovered += recorded.discovered;
      sinceAnalyze += recorded.discovered;
      if (sinceAnalyze >= ANALYZE_AFTER) {
        sinceAnalyze = 0;
        await analyzeLedger(pool);
      }
      // Skipped: already done. Versions still pending from an earlier run are work, not skipped.
      counts.files_skipped += wanted.length - recorded.discovered - recorded.pending;
    });
    // A failed statement fails the discovery once the listing has caught up with it.
    recording.catch(() => {});
  }
  await recording;
  return counts;
}
