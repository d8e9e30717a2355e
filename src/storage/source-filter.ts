/** Which listed objects belong to a pipeline's source: under its prefix, matching its glob, recent enough. */
import picomatch from 'picomatch';
import type { ResolvedPipeline } from '../config/index.ts';
import type { StoredObject } from './object-store.ts';

export type SourceFilter = (object: StoredObject) => 'match' | 'no-match' | 'too-old';

export function sourceFilter(source: ResolvedPipeline['source'], now: Date): SourceFilter {
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
