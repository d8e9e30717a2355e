/** ferry as a user runs it: `bin/ferry.js` in a child process, with a clean environment. */
import { type ChildProcess, type ChildProcessByStdio, spawn } from 'node:child_process';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';

export const FERRY_BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/ferry.js');

/** Only what a shell would pass on, plus the test's own variables: nothing leaks in from the runner. */
export function cleanEnv(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C.UTF-8', ...extra };
}

export interface CommandResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function runFerry(
  args: readonly string[],
  options: { env: Record<string, string | undefined>; cwd?: string; timeoutMs?: number },
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [FERRY_BIN, ...args], {
      cwd: options.cwd ?? process.cwd(),
      env: cleanEnv(options.env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`ferry ${args.join(' ')} did not finish within ${options.timeoutMs ?? 60_000} ms\n${stdout}\n${stderr}`));
    }, options.timeoutMs ?? 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export interface RunningFerry {
  readonly url: string;
  readonly child: ChildProcess;
  /** Everything it has logged so far. */
  logs(): string;
  /** Sends the signal and resolves with the exit code and how long the exit took. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; ms: number }>;
}

/** `ferry start` in a child process (PORT=0 unless given), its output gathered as it comes; not waited for. */
export function spawnFerryStart(options: { env: Record<string, string | undefined>; cwd: string }): {
  readonly child: ChildProcessByStdio<null, Readable, Readable>;
  /** stdout and stderr so far, in arrival order. */
  output(): string;
  /** The exit code once it exits. */
  readonly exited: Promise<number | null>;
} {
  const child = spawn(process.execPath, [FERRY_BIN, 'start'], {
    cwd: options.cwd,
    env: cleanEnv({ PORT: '0', ...options.env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

export async function startFerry(options: { env: Record<string, string | undefined>; cwd: string; timeoutMs?: number }): Promise<RunningFerry> {
  const spawned = spawnFerryStart(options);
  const { child } = spawned;
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`ferry did not start within ${options.timeoutMs ?? 60_000} ms:\n${spawned.output()}`));
    }, options.timeoutMs ?? 60_000);
    const check = () => {
      const match = /"url":"(http:\/\/[^"]+)".*"msg":"ferry started"/.exec(spawned.output());
      if (match) {
        clearTimeout(timer);
        resolve(match[1] as string);
      }
    };
    child.stdout.on('data', check);
    child.on('close', (code) => {
      clearTimeout(timer);
      reject(new Error(`ferry exited with ${code} before it started:\n${spawned.output()}`));
    });
  });
  return {
    url,
    child,
    logs: spawned.output,
    async stop(signal = 'SIGTERM') {
      const started = Date.now();
      if (child.exitCode !== null || child.signalCode !== null) return { code: child.exitCode, ms: 0 };
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill(signal);
      const code = await exited;
      return { code, ms: Date.now() - started };
    },
  };
}

/** Polls `check` until it returns a value, or fails with the last value seen. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

export interface HealthWatch {
  readonly checks: number;
  readonly failures: number;
  stop(): void;
}

/** Asks `/health` every `everyMs` until stopped, counting answers that are not 200 (or none). */
export function watchHealth(url: string, everyMs = 200): HealthWatch {
  const counts = { checks: 0, failures: 0 };
  const timer = setInterval(() => {
    counts.checks++;
    fetch(`${url}/health`).then(
      (response) => {
        if (response.status !== 200) counts.failures++;
      },
      () => counts.failures++,
    );
  }, everyMs);
  return {
    get checks() {
      return counts.checks;
    },
    get failures() {
      return counts.failures;
    },
    stop: () => clearInterval(timer),
  };
}

/** Environment for a ferry whose reader processes abort on files whose key contains `keyPart` (see abort-reader-hook.ts). */
export function abortingReaderEnv(keyPart: string): Record<string, string> {
  const hook = new URL('./abort-reader-hook.ts', import.meta.url).href;
  return { FERRY_TEST_READER_ABORT_ON: keyPart, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${hook}`.trim() };
}
