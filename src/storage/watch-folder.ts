/**
 * Watches a local storage folder (recursively) and calls back once changes have settled, so
 * that a file being copied in is not read before its last write.
 */
import fs from 'node:fs';
import path from 'node:path';

/** Quiet time after the last change before the callback fires. */
export const SETTLE_MS = 1_000;

export interface FolderWatcher {
  close(): void;
}

/**
 * `onChange` gets the paths that changed (relative to the root, `/`-separated), or null when
 * the platform did not say which.
 */
export function watchFolder(
  root: string,
  onChange: (paths: readonly string[] | null) => void,
  onError: (error: Error) => void,
  settleMs = SETTLE_MS,
): FolderWatcher {
  let timer: NodeJS.Timeout | undefined;
  let watcher: fs.FSWatcher;
  let changed: Set<string> | null = new Set();
  try {
    watcher = fs.watch(root, { recursive: true, persistent: false }, (_event, filename) => {
      if (filename === null) changed = null;
      else changed?.add(filename.toString().split(path.sep).join('/'));
      clearTimeout(timer);
      timer = setTimeout(() => {
        const paths = changed === null ? null : [...changed];
        changed = new Set();
        onChange(paths);
      }, settleMs);
    });
  } catch (error) {
    onError(error as Error);
    return { close() {} };
  }
  watcher.on('error', onError);
  return {
    close() {
      clearTimeout(timer);
      watcher.close();
    },
  };
}
