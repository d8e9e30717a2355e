/**
 * A reader never outlives ferry. Its parent can die in ways that close no channel in time (a
 * SIGKILL, the OOM killer), and the reader may then be busy in Polars' native code, where no
 * JavaScript timer or 'disconnect' handler of its main thread runs. So:
 *
 * - Where util-linux's `setpriv` is installed (every Debian and most Linux systems), the reader
 *   is started through `setpriv --pdeathsig KILL`: the kernel SIGKILLs it when its parent dies,
 *   whatever it is doing. Measured: gone within ~10 ms of its parent's SIGKILL.
 * - Elsewhere, a worker thread (its own event loop, untouched by whatever blocks the main thread)
 *   compares `process.ppid` with the parent's pid a few times a second and SIGKILLs the process
 *   when the reader was re-parented. Its isolate is kept small (by default a worker thread
 *   reserves about 700 MiB of address space for a loop of three lines).
 *
 * Either way, `watchParent` runs first in the reader, before Polars or the config is loaded, and
 * checks the parent's pid at once: a parent that died while the reader was starting (before the
 * death signal was armed) is noticed too.
 *
 * Terminal and supervisor signals (Ctrl-C's SIGINT reaches the whole process group, a systemd
 * stop sends SIGTERM to the whole cgroup, a closed terminal SIGHUP) are left to the parent: it
 * rolls back the files in hand and stops its readers itself. A reader that died of them first
 * would count as a crash against the file it was reading.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';

/** How often the fallback watchdog looks at the parent's pid. */
const WATCH_EVERY_MS = 250;

const WATCHDOG = `
const { workerData } = require('node:worker_threads');
setInterval(() => {
  if (process.ppid !== workerData.parentPid) process.kill(process.pid, 'SIGKILL');
}, workerData.everyMs);
`;

/** How the reader learns of its parent's death: the kernel's death signal, or its own watchdog thread. */
export type ParentWatch = 'pdeathsig' | 'thread';

/** The command that starts a reader with a death signal, or null when this system has none (then: 'thread'). */
export function deathSignalCommand(): { readonly execPath: string; readonly execArgv: readonly string[] } | null {
  if (process.platform !== 'linux') return null;
  const setpriv = onPath('setpriv');
  return setpriv === null ? null : { execPath: setpriv, execArgv: ['--pdeathsig', 'KILL', '--', process.execPath] };
}

/** In the reader, first thing: ends it if its parent is gone, and keeps watching as `how` says. */
export function watchParent(parentPid: number, how: ParentWatch): void {
  if (!Number.isInteger(parentPid) || parentPid <= 0) return;
  if (process.ppid !== parentPid) process.kill(process.pid, 'SIGKILL');
  if (how === 'thread') {
    const worker = new Worker(WATCHDOG, {
      eval: true,
      workerData: { parentPid, everyMs: WATCH_EVERY_MS },
      resourceLimits: { maxOldGenerationSizeMb: 8, maxYoungGenerationSizeMb: 2, codeRangeSizeMb: 4, stackSizeMb: 1 },
    });
    worker.unref();
  }
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => {});
}

function onPath(command: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.join(dir, command);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {}
  }
  for (const dir of ['/usr/bin', '/bin']) {
    const candidate = path.join(dir, command);
    if (fs.existsSync(candidate)) return candidate;
  }
  return null;
}
