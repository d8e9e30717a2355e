/**
 * What the reader processes cost while nothing is wrong: how many run, how long an idle one is
 * kept, when one is replaced by a fresh one, and how their C allocator is told to give memory
 * back. (What one file may cost is reader-limits.ts.) Numbers: docs/benchmarks.md, "Footprint".
 */
import fs from 'node:fs';
import type { ResolvedConfig } from '../config/index.ts';

export interface ReaderFootprint {
  /** Reader processes at most (`concurrency`): a worker beyond them waits for one. */
  readonly max: number;
  /** An idle reader exits after this long (`readers.idleExit`); null keeps it. */
  readonly idleExitMs: number | null;
  /** A reader is replaced after this many claims (`readers.recycleAfter`); null keeps it. */
  readonly recycleAfter: number | null;
}

/** A config's reader footprint. */
export function readerFootprintOf(config: Pick<ResolvedConfig, 'concurrency' | 'readers'>): ReaderFootprint {
  return { max: config.concurrency, idleExitMs: config.readers.idleExitMs, recycleAfter: config.readers.recycleAfter };
}

/**
 * nodejs-polars allocates with glibc's malloc, which gives each thread that allocates its own
 * arena (up to 8 per core) and keeps what is freed there for reuse: Polars' thread pool spreads a
 * read over many arenas. Two arenas, and free memory above 64 KiB at the top of a heap given
 * back, saved 16 MiB per reader alone and 30 MiB per reader beside the V8 setting below (130 →
 * 100 MiB after 40 small Parquet files), at no cost to the 3M-row load's time or peak (footprint
 * bench). Set only when the environment sets none of glibc's allocator variables: a user's own
 * allocator settings are taken whole (an empty GLIBC_TUNABLES keeps glibc's defaults).
 */
export const ALLOCATOR_DEFAULTS: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2', MALLOC_TRIM_THRESHOLD_: '65536' };
const ALLOCATOR_VARIABLES = /^(GLIBC_TUNABLES|MALLOC_[A-Z_]+_?)$/;

/** ALLOCATOR_DEFAULTS, unless `env` sets any allocator variable of its own. */
export function allocatorDefaults(env: NodeJS.ProcessEnv): Readonly<Record<string, string>> {
  return Object.keys(env).some((name) => ALLOCATOR_VARIABLES.test(name)) ? {} : ALLOCATOR_DEFAULTS;
}

/**
 * V8 grows a process's young generation up to 2 × 64 MiB (Node 24 on 64 bits) under a high rate of
 * short-lived allocations, and keeps it: a reader that had loaded 40 small Parquet files with
 * checks held 150 MiB of V8 heap of which 14 MiB were live after a full collection. Semi-spaces of
 * 8 MiB keep it near 16 MiB: the two readers' PSS under the footprint bench's load went from
 * 256 + 245 to 132 + 114 MiB (2 MiB saved little more). Not set when the
 * reader's NODE_OPTIONS sets it (a flag given on the command line would override NODE_OPTIONS).
 */
const YOUNG_GENERATION_FLAG = '--max-semi-space-size';
export const READER_NODE_FLAGS: readonly string[] = [`${YOUNG_GENERATION_FLAG}=8`];

/** READER_NODE_FLAGS, unless the reader's NODE_OPTIONS sets the young generation's size itself. */
export function readerNodeFlags(env: NodeJS.ProcessEnv): readonly string[] {
  return (env.NODE_OPTIONS ?? '').includes(YOUNG_GENERATION_FLAG) ? [] : READER_NODE_FLAGS;
}

/** A process's resident memory in bytes (VmRSS in /proc/<pid>/status), or null when it cannot be read (gone, not Linux). */
export function residentBytes(pid: number): number | null {
  try {
    const kib = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kib === undefined ? null : Number(kib) * 1024;
  } catch {
    return null;
  }
}
