/**
 * Which listed objects belong to a pipeline's source: under its prefix, matching its glob, recent
 * enough. Hidden files (a name, or a folder in the key, that starts with `.`) are left out
 * unless `includeHidden`, and said so ('hidden'), to be counted. Keys are matched whatever bytes
 * they hold: the glob's `.` and `*` match a CR or LF too (picomatch's regular expressions are
 * made with the `s` flag; without it a key starting with `\r` matched no glob and vanished).
 */
import picomatch from 'picomatch';
import type { StoredObject } from '../storage/index.ts';

/** Where a pipeline's files are: a prefix, a glob under it, and how recent they must be. */
export interface SourceSelection {
  readonly prefix: string;
  readonly glob: string;
  readonly modifiedWithinMs: number | null;
  /** 'last-seen': list only the keys after the greatest key in the ledger. @default 'start' */
  readonly listFrom?: 'start' | 'last-seen';
  /** Select files whose name or folder starts with `.` too. @default false */
  readonly includeHidden?: boolean;
}

export type SourceFilter = (object: StoredObject) => 'match' | 'no-match' | 'too-old' | 'hidden';

export function sourceFilter(source: SourceSelection, now: Date): SourceFilter {
  const includeHidden = source.includeHidden === true;
  const isMatch = picomatch(source.glob, { dot: includeHidden, flags: 's' });
  const isHiddenMatch = includeHidden ? null : picomatch(source.glob, { dot: true, flags: 's' });
  const oldest = source.modifiedWithinMs === null ? null : now.getTime() - source.modifiedWithinMs;
  return (object) => {
    if (!object.key.startsWith(source.prefix)) return 'no-match';
    const key = object.key.slice(source.prefix.length);
    if (!isMatch(key)) return isHiddenMatch?.(key) ? 'hidden' : 'no-match';
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
