/**
 * The objects a pipeline's source selects but its time window (`source.modifiedWithin`) leaves
 * out: not in the ledger, so only a listing of the storage finds them (`ferry files --outside-window`).
 */
import type { ObjectStore } from '../storage/index.ts';
import { formatDuration } from '../units/index.ts';
import { type SourceSelection, sourceFilter } from './source-filter.ts';

export interface FileOutsideWindow {
  readonly pipeline: string;
  readonly key: string;
  readonly last_modified: string | null;
  /** The pipeline's window, as people write it (`7d`). */
  readonly window: string;
}

/** Lists the storage under each pipeline's prefix (or one pipeline's), up to `limit` objects found. */
export async function filesOutsideWindow(
  store: ObjectStore,
  pipelines: readonly { readonly name: string; readonly source: SourceSelection }[],
  options: { readonly pipeline?: string; readonly limit: number },
): Promise<FileOutsideWindow[]> {
  const found: FileOutsideWindow[] = [];
  for (const pipeline of pipelines) {
    if ((options.pipeline !== undefined && pipeline.name !== options.pipeline) || pipeline.source.modifiedWithinMs === null) continue;
    const matches = sourceFilter(pipeline.source, new Date());
    for await (const page of store.list(pipeline.source.prefix)) {
      for (const object of page) {
        if (matches(object) !== 'too-old') continue;
        found.push({ pipeline: pipeline.name, key: object.key, last_modified: object.lastModified, window: formatDuration(pipeline.source.modifiedWithinMs) });
        if (found.length >= options.limit) return found;
      }
    }
  }
  return found;
}
