/**
 * What one file may cost a reader process, enforced from outside the reader: its memory by the
 * kernel (set with util-linux's `prlimit`, as Node has no setrlimit), its time by the parent,
 * which kills it. Either way the reader dies, and the file is charged a reader crash whose
 * message names the limit; a file that keeps hitting one becomes a poison file.
 *
 * The memory limit is RLIMIT_DATA (the writable private memory a process maps: its heap, V8's
 * and Polars' allocations), not RLIMIT_AS (all address space). Address space counts reservations
 * that are never used: measured on Node 24, stripping the types of a `ferry.config.ts` loads a
 * WebAssembly module that reserves 4–8 GiB (V8 takes what the limit leaves, up to 4 GiB, so an
 * address-space limit of 4 GiB left Polars too little to start its threads), while the reader's
 * data segment stays near 100 MiB. A reader past RLIMIT_DATA fails its allocation and dies (Rust
 * aborts; V8 reports a fatal out-of-memory), or Polars answers ENOMEM.
 */
import { execFile } from 'node:child_process';
import type { ResolvedConfig } from '../config/index.ts';

export interface ReaderLimits {
  /** Memory of each reader process (`limits.readerMemory`), in bytes. */
  readonly memoryBytes: number;
  /** How long a reader may work on one file or batch (`limits.fileTimeout`) before it is killed. */
  readonly fileTimeoutMs: number;
}

/** A config's limits.readerMemory and limits.fileTimeout. */
export function readerLimitsOf(config: Pick<ResolvedConfig, 'limits'>): ReaderLimits {
  return { memoryBytes: config.limits.readerMemory, fileTimeoutMs: config.limits.fileTimeoutMs };
}

/**
 * Caps a running process's memory (RLIMIT_DATA). Resolves with null once set, or with why it could
 * not be (no `prlimit` on this system, say): the reader then runs without the cap, and the
 * caller says so once.
 */
export function limitMemory(pid: number, bytes: number): Promise<string | null> {
  return new Promise((resolve) => {
    execFile('prlimit', ['--pid', String(pid), `--data=${bytes}`], { timeout: 10_000 }, (error, _stdout, stderr) => {
      if (error === null) resolve(null);
      else if ((error as NodeJS.ErrnoException).code === 'ENOENT') resolve('prlimit (util-linux) is not installed');
      else resolve(`prlimit failed: ${String(stderr).trim() || error.message}`);
    });
  });
}

/**
 * Whether a reader's last words, or an error it answered with, say it ran out of memory: Rust's
 * allocator, V8, the C library, or an mmap that the address-space limit refused (Polars then
 * answers ENOMEM instead of dying).
 */
export function outOfMemory(text: string): boolean {
  return /memory allocation of \d+ bytes failed|Cannot allocate memory \(os error 12\)|JavaScript heap out of memory|Fatal process out of memory|std::bad_alloc/.test(
    text,
  );
}
