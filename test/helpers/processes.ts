/** Processes as the kernel sees them (/proc): a process's children, and whether a pid is gone. */
import fs from 'node:fs';

/** The pids whose parent is `parentPid` and whose command line contains `match`. */
export function childPids(parentPid: number, match = ''): number[] {
  const found: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid …: comm may hold spaces and parentheses, so split after its last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== parentPid) continue;
      if (fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(match)) found.push(Number(entry));
    } catch {}
  }
  return found;
}

/** True when the pid runs no process any more (gone, or a zombie waiting to be reaped). */
export function isGone(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

/** Waits until every pid is gone; resolves with how long that took, or rejects naming those left. */
export async function waitGone(pids: readonly number[], timeoutMs = 10_000): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (pids.every(isGone)) return Date.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`still alive after ${timeoutMs} ms: ${pids.filter((pid) => !isGone(pid)).join(', ')}`);
}
