/**
 * The inbox is the boundary: nothing outside a local storage root is read, whatever links the
 * folder holds. A key is read through its real path (every link resolved), and only when that
 * path is under the root's own real path; a link that leads out of the root is refused
 * (KEY_UNREADABLE, so the file is quarantined with the reason and shows in `ferry files`).
 * Links that stay inside the root are followed.
 *
 * The real path, not the key, is what is handed to Polars and OpenDAL: a link swapped for one
 * that leads outside after this check is not followed, since the path read holds no link. (A
 * folder inside the root replaced by a link in the instant between the check and the open is
 * the one race left; the operating system offers no portable way to open a path under a root
 * without following links.)
 */
import fs from 'node:fs';
import path from 'node:path';
import { FerryError } from '../errors/index.ts';

/** The root's real path (the root itself may be a link, or lie under one, as /tmp on macOS). */
function realRoot(root: string): string {
  // Asked for every key read: resolved once per root (a root moved while ferry runs is a new
  // process's business: the storage path is checked at start).
  let real = realRoots.get(root);
  if (real === undefined) {
    try {
      real = fs.realpathSync(root);
    } catch {
      return root;
    }
    realRoots.set(root, real);
  }
  return real;
}
const realRoots = new Map<string, string>();

/** Where `key` really is, when that is under `root`; null when it leads outside (or nowhere). */
export function realPathInside(root: string, key: string): string | null {
  const base = realRoot(root);
  let real: string;
  try {
    real = fs.realpathSync(path.join(root, key));
  } catch {
    return null;
  }
  return real.startsWith(base + path.sep) ? real : null;
}

/**
 * `key` with every link resolved (its real path, and its key relative to the root's real path),
 * or a KEY_UNREADABLE naming why not. A key that names nothing is given back as it is: reading
 * it then fails as any missing object does.
 */
export function resolveKeyInside(root: string, key: string): { readonly path: string; readonly key: string } {
  const real = realPathInside(root, key);
  if (real === null) {
    let present = true;
    try {
      fs.lstatSync(path.join(root, key));
    } catch {
      present = false;
    }
    if (!present) return { path: path.join(root, key), key };
    throw new FerryError(
      'KEY_UNREADABLE',
      `${JSON.stringify(key)} leads outside the storage root (or nowhere) through a link; links are followed only within the root, so the file is not read`,
    );
  }
  return { path: real, key: path.relative(realRoot(root), real).split(path.sep).join('/') };
}
