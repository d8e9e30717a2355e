/**
 * Version identity of a stored object: the ETag when the store gives one, else size and
 * last-modified time. Two listings that give the same identity are the same file version.
 */

export interface ObjectVersion {
  readonly etag: string | null;
  readonly size: number;
  /** ISO 8601, as precise as the store reports it. */
  readonly lastModified: string | null;
}

export function versionIdentity(version: ObjectVersion): string {
  if (version.etag !== null && version.etag !== '') return `etag:${version.etag.replace(/^W\//, '').replace(/"/g, '')}`;
  return `size:${version.size};mtime:${version.lastModified ?? 'unknown'}`;
}

/** An object as a listing or a stat gives it. */
export interface StoredObject extends ObjectVersion {
  /** Key relative to the storage root, with `/` separators. */
  readonly key: string;
}
