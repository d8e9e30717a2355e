/**
 * Watches a local storage folder (recursively) and calls back once changes have settled, so
 * that a file being copied in is not read before its last write.
 */
import fs from 'node:fs';

/** Quiet time after the last change before the callback fires. */
export const SETTLE_MS = 1_000;

export interface FolderWatcher {
  close(): void;
}

export function watchFolder(root: string, onChange: () => void, onError: (error: Error) => void, settleMs = SETTLE_MS): FolderWatcher {
  let timer: NodeJS.Timeout | undefined;
  let watcher: fs.FSWatcher;
  try {
    watcher = fs.watch(root, { recursive: true, persistent: false }, () => {
      clearTimeout(timer);
      timer = setTimeout(onChange, settleMs);
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
