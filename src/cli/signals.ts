/**
 * The signals that stop ferry in order, and the exit code each ends with: 128 + the signal's
 * number, as shells report a process killed by it (130 for Ctrl-C's SIGINT, 143 for a
 * supervisor's SIGTERM, 129 for SIGHUP from a closed terminal), so that scripts and supervisors
 * can tell a stop from a failure (1) and from success (0).
 */
import os from 'node:os';

/** A stop that hangs (a stuck read) still ends the process: in-flight transactions roll back. */
export const HARD_EXIT_MS = 9_500;

export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

export function exitCodeFor(signal: NodeJS.Signals): number {
  return 128 + (os.constants.signals[signal] ?? 0);
}

/** Set once a stop signal came: output that fails from then on (a closed terminal) is not an error. */
export const stopState: { signal: NodeJS.Signals | null } = { signal: null };

/**
 * Calls `onStop` on the first stop signal; a second one (of any of them) exits at once with the
 * first one's code.
 */
export function onStopSignal(onStop: (signal: NodeJS.Signals, code: number) => void): void {
  const handle = (signal: NodeJS.Signals) => {
    if (stopState.signal !== null) process.exit(exitCodeFor(stopState.signal));
    stopState.signal = signal;
    onStop(signal, exitCodeFor(signal));
  };
  for (const signal of STOP_SIGNALS) process.on(signal, handle);
}
