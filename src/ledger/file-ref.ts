/**
 * What a user types for a file version — its id, or its key — turned into ids, by one rule
 * for every command that takes either (`ferry retry`, `ferry reprocess`, `ferry checks`):
 *
 * - a string of digits is an id when the ledger has a file version with that id (in the
 *   pipeline, when one is given); else it is a key;
 * - anything else is a key, and names every version of that key (newest first);
 * - a string of digits that is an id and also the key of another file is refused, with an
 *   error naming both: acting on the wrong one could requeue or reload the wrong file.
 */

import { FerryError } from '../errors/index.ts';
import type { Pool } from '../postgres/index.ts';

/** What a reference named: one version by its id, or every version of a key. */
export interface FileRefMatch {
  /** As the user typed it. */
  readonly ref: string;
  readonly by: 'id' | 'key';
  /** The key of the version(s) named. */
  readonly key: string;
  /** The file version ids, newest first (one for an id). */
  readonly ids: readonly number[];
}

const DIGITS = /^\d+$/;

/**
 * Resolves an id or a key (see the rule above); null when it names no file version in scope.
 * Throws CONFIG_INVALID (a usage error) when a number is both an id and another file's key.
 */
export async function resolveFileRef(pool: Pool, ref: string, scope: { readonly pipeline?: string } = {}): Promise<FileRefMatch | null> {
  const id = DIGITS.test(ref) && Number.isSafeInteger(Number(ref)) ? Number(ref) : null;
  const result = await pool.query<{ id: number; pipeline: string; key: string }>(
    `SELECT id, pipeline, key FROM ferry_files
      WHERE ($1::text IS NULL OR pipeline = $1) AND (key = $2 OR id = $3)
      ORDER BY id DESC`,
    [scope.pipeline ?? null, ref, id],
  );
  const byId = result.rows.find((row) => row.id === id);
  const byKey = result.rows.filter((row) => row.key === ref);
  if (byId !== undefined) {
    // The id's own key may be the same digits: then both name the same file, and the id wins.
    if (byKey.length > 0 && byId.key !== ref) {
      const versions = byKey.map((row) => row.id).join(', ');
      const plural = byKey.length > 1 ? 's' : '';
      throw new FerryError(
        'CONFIG_INVALID',
        `"${ref}" is both file version ${byId.id} (${byId.pipeline}: ${byId.key}) and the key "${ref}" (file version${plural} ${versions}): give the key ${JSON.stringify(byId.key)} or the id${plural} ${versions} instead`,
      );
    }
    return { ref, by: 'id', key: byId.key, ids: [byId.id] };
  }
  if (byKey.length === 0) return null;
  return { ref, by: 'key', key: ref, ids: byKey.map((row) => row.id) };
}

/** Resolves each reference; those that name nothing are returned apart, in the order given. */
export async function resolveFileRefs(
  pool: Pool,
  refs: readonly string[],
  scope: { readonly pipeline?: string } = {},
): Promise<{ readonly ids: number[]; readonly unknown: string[] }> {
  const ids = new Set<number>();
  const unknown: string[] = [];
  for (const ref of refs) {
    const match = await resolveFileRef(pool, ref, scope);
    if (match === null) unknown.push(ref);
    else for (const id of match.ids) ids.add(id);
  }
  return { ids: [...ids], unknown };
}
