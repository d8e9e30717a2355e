/** Which listed objects belong to a pipeline's source: under its prefix, matching its glob, recent enough. */
import picomatch from 'picomatch';
import type { StoredObject } from '../storage/index.ts';

/** Where a pipeline's files are: a prefix, a glob under it, and how recent they must be. */
export interface SourceSelection {
  readonly prefix: string;
  readonly glob: string;
  readonly modifiedWithinMs: number | null;
  /** 'last-seen': list only the keys after the greatest key in the ledger. @default 'start' */
  readonly listFrom?: 'start' | 'last-seen';
}

export type SourceFilter = (object: StoredObject) => 'match' | 'no-match' | 'too-old';

export function sourceFilter(source: SourceSelection, now: Date): SourceFilter {
  const isMatch = picomatch(source.glob, { dot: false });
  const oldest = source.modifiedWithinMs === null ? null : now.getTime() - source.modifiedWithinMs;
  return (object) => {
    if (!object.key.startsWith(source.prefix)) return 'no-match';
    if (!isMatch(object.key.slice(source.prefix.length))) return 'no-match';
    if (oldest !== null) {
      const modified = object.lastModified === null ? Number.NaN : Date.parse(object.lastModified);
      // An object without a readable time is taken: skipping it silently would lose it.
      if (!Number.isNaN(modified) && modified < oldest) return 'too-old';
    }
    return 'match';
  };
}

/** Whether a source's prefix and glob select a key, whatever the time window (a changed or named file). */
export function selectsKey(source: SourceSelection, key: string): boolean {
  return sourceFilter({ ...source, modifiedWithinMs: null }, new Date())({ key, size: 0, etag: null, lastModified: null }) === 'match';
}
