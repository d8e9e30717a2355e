/**
 * The pool of reader processes: long-lived children (one per unit of `concurrency`) that do
 * all Polars work on files, so that a file which makes Polars abort kills a reader, not ferry.
 *
 * A reader serves one worker at a time. When it dies, every request it had in hand fails with
 * READER_CRASHED, naming the signal or exit code, what it was doing, and the panic line it
 * printed if any; the worker records that against the file, and the next request gets a new
 * reader. When the pool is closed (ferry stopping), requests in hand fail with INTERRUPTED.
 *
 * Each reader is bounded (see reader-limits.ts): its memory by the kernel, its time on a
 * file by a timer here that kills it; both end as READER_CRASHED naming the limit.
 */
import { type ChildProcess, fork } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ConfigOrigin } from '../config/index.ts';
import { FerryError, type FileStep, swallow } from '../errors/index.ts';
import { formatDuration, formatSize } from '../units/index.ts';
import { deathSignalCommand } from './parent-watch.ts';
import type { ReaderArgs, ReaderMethod, ReaderOptions, ReaderReply, ReaderRequest, ReaderResult, SerializedError } from './protocol.ts';
import { allocatorDefaults, type ReaderFootprint, readerNodeFlags, residentBytes } from './reader-footprint.ts';
import { limitMemory, outOfMemory, type ReaderLimits } from './reader-limits.ts';

/** The entry point beside this file, with this file's extension (.ts in the repository, .js when compiled). */
const READER_ENTRY = fileURLToPath(new URL(`../frame/reader-process${path.extname(fileURLToPath(import.meta.url))}`, import.meta.url));
/** How a reader is started so that it dies with this process (looked up once). */
const DEATH_SIGNAL = deathSignalCommand();
/**
 * Polars' own S3 client retries a failing request internally (by default up to 10 times over
 * several minutes) before ferry sees the error, while the file's lease is renewed and nothing in
 * the ledger says the store is failing. ferry retries files itself, with backoff recorded in the
 * ledger, so readers are told to give up sooner (unless the environment says otherwise).
 */
const POLARS_DEFAULTS: Readonly<Record<string, string>> = { POLARS_CLOUD_MAX_RETRIES: '2', POLARS_CLOUD_RETRY_TIMEOUT_MS: '30000' };

export interface ReaderPoolOptions {
  /** Switches for the readers, passed in by tests (see ReaderOptions). */
  readonly reader?: ReaderOptions;
  /** The module a reader process runs; tests give one that crashes on demand. @default frame/reader-process */
  readonly entry?: string;
}

/** How much of a reader's stderr is kept to explain its death. */
const STDERR_TAIL_BYTES = 8192;

interface Pending {
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: FerryError) => void;
  readonly doing: string;
  readonly step: FileStep;
}

/** One reader process and the requests it has in hand. */
export class Reader {
  private readonly child: ChildProcess;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private stderrTail = '';
  private exited = false;
  private closing = false;
  private readonly started: Promise<void>;
  /** Settled once the reader's memory is capped (or it could not be). */
  private limited: Promise<void> = Promise.resolve();
  private limits: ReaderLimits | null = null;
  /** Set when the parent killed the reader for a limit: what its death is blamed on. */
  private killedFor: string | null = null;
  /** What explains a death better than stderr: the error a reader answered before it was stopped. */
  private lastWords: string | null = null;
  private clock: NodeJS.Timeout | undefined;
  /** Set when the process ended. */
  private ended: FerryError | null = null;
  /** Settles when the process has exited. */
  private readonly exited$: Promise<void>;
  /** Times this reader was handed to a worker (see readers.recycleAfter). */
  uses = 0;

  constructor(origin: ConfigOrigin, options: ReaderPoolOptions = {}) {
    // The reader dies with ferry: by the kernel's death signal where it can, else by a watchdog
    // thread; either way the parent's pid is its first argument (see parent-watch.ts).
    const given = { ...process.env, ...origin.env };
    // Node's compile cache halves a reader's start (its modules are parsed once per machine).
    const env = { NODE_COMPILE_CACHE: path.join(os.tmpdir(), 'node-compile-cache'), ...POLARS_DEFAULTS, ...allocatorDefaults(given), ...given };
    const flags = readerNodeFlags(env);
    this.child = fork(options.entry ?? READER_ENTRY, [String(process.pid), DEATH_SIGNAL === null ? 'thread' : 'pdeathsig'], {
      env,
      ...(DEATH_SIGNAL === null ? { execArgv: [...flags] } : { execPath: DEATH_SIGNAL.execPath, execArgv: [...DEATH_SIGNAL.execArgv, ...flags] }),
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    });
    this.child.stderr?.setEncoding('utf8');
    this.child.stderr?.on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-STDERR_TAIL_BYTES);
    });
    this.child.on('message', (reply: ReaderReply) => this.settle(reply));
    this.child.on('exit', (code, signal) => this.onExit(code, signal));
    this.exited$ = new Promise((resolve) => this.child.once('exit', () => resolve()));
    this.child.on('error', () => {}); // 'exit' follows and says what happened
    this.started = this.call('init', { origin, options: options.reader ?? {} }, 'starting').then(() => {});
    this.started.catch(() => {});
  }

  /** Settles when the reader has loaded the config and is bounded by its limits. */
  get ready(): Promise<void> {
    return this.limited.then(() => this.started);
  }

  get alive(): boolean {
    return !this.exited;
  }

  /** Settles when the process has exited, however it ended. */
  get whenExited(): Promise<void> {
    return this.exited$;
  }

  /** The process's resident memory in bytes, or null when it is gone. */
  residentBytes(): number | null {
    return this.exited || this.child.pid === undefined ? null : residentBytes(this.child.pid);
  }

  /** Caps the reader's memory; `warn` hears once why it could not be. */
  applyLimits(limits: ReaderLimits, warn: (message: string) => void): void {
    this.limits = limits;
    const pid = this.child.pid;
    if (pid === undefined || this.exited) return;
    this.limited = limitMemory(pid, limits.memoryBytes).then((failure) => {
      if (failure !== null) warn(`limits.readerMemory is not enforced: ${failure}`);
    });
  }

  /** Starts the time a worker's file (or batch) may take in this reader: past limits.fileTimeout the reader is killed. */
  startClock(): void {
    this.stopClock();
    const limits = this.limits;
    if (limits === null) return;
    this.clock = setTimeout(() => {
      this.killedFor = `was killed after limits.fileTimeout (${formatDuration(limits.fileTimeoutMs)})`;
      this.child.kill('SIGKILL');
    }, limits.fileTimeoutMs);
    this.clock.unref();
  }

  stopClock(): void {
    clearTimeout(this.clock);
    this.clock = undefined;
  }

  /**
   * Asks the reader: `method` with `args` (typed by the reader API, readers/protocol.ts).
   * `doing` and `step` say what a death of the reader interrupted.
   */
  call<M extends ReaderMethod>(method: M, args: ReaderArgs<M>, doing: string, step: FileStep = 'read'): Promise<ReaderResult<M>> {
    return this.request({ method, args } as ReaderRequest, doing, step) as Promise<ReaderResult<M>>;
  }

  /** Releases open jobs; a reader that is gone has nothing left to release. */
  close(jobs: readonly number[]): Promise<void> {
    if (this.exited || jobs.length === 0) return Promise.resolve();
    return this.call('close', { jobs }, 'closing files').then(() => {}, swallow('closing files in a reader'));
  }

  private request(request: ReaderRequest, doing: string, step: FileStep): Promise<unknown> {
    if (this.ended !== null) return Promise.reject(this.ended);
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, doing, step });
      this.child.send({ id, request }, (error) => {
        if (error && this.pending.has(id)) {
          this.pending.delete(id);
          reject(new FerryError('READER_CRASHED', `the reader process could not be asked (${error.message}) while ${doing}`, { step }));
        }
      });
    });
  }

  private settle(reply: ReaderReply): void {
    const pending = this.pending.get(reply.id);
    if (pending === undefined) return;
    if (!reply.ok && this.limits !== null && outOfMemory(reply.error.message)) {
      // Refused memory under its limit, the reader answered instead of dying: it is ended all the
      // same (half its allocations may have failed), and the file is charged a reader crash.
      this.killedFor = `ran out of memory under limits.readerMemory (${formatSize(this.limits.memoryBytes)}) and was stopped`;
      this.lastWords = reply.error.message;
      this.child.kill('SIGKILL');
      return;
    }
    this.pending.delete(reply.id);
    if (reply.ok) pending.resolve(reply.value);
    else pending.reject(deserializeError(reply.error));
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    this.exited = true;
    this.stopClock();
    const panic = this.lastWords === null ? panicLine(this.stderrTail) : shorten(this.lastWords);
    const died = signal !== null ? `was killed by ${signal}` : `exited with code ${code}`;
    const how =
      this.killedFor ??
      (this.limits !== null && outOfMemory(this.stderrTail)
        ? `ran out of memory under limits.readerMemory (${formatSize(this.limits.memoryBytes)}) and ${died}`
        : signal === 'SIGKILL'
          ? `${died} (out of memory, or killed from outside)`
          : died);
    for (const [id, pending] of this.pending) {
      this.pending.delete(id);
      pending.reject(
        this.closing
          ? new FerryError('INTERRUPTED', `ferry stopped while ${pending.doing}; rolled back`, { step: pending.step })
          : new FerryError('READER_CRASHED', `the reader process ${how} while ${pending.doing}${panic ? ` (${panic})` : ''}`, { step: pending.step }),
      );
    }
    this.ended = this.closing
      ? new FerryError('INTERRUPTED', 'ferry is stopping')
      : new FerryError('READER_CRASHED', `the reader process ${how}${panic ? ` (${panic})` : ''}`);
  }

  /** Ends the process: requests in hand fail with INTERRUPTED. */
  async kill(): Promise<void> {
    if (this.exited) return;
    this.closing = true;
    this.child.kill('SIGKILL');
    await this.exited$;
  }
}

/** A reader's error as a FerryError again (with its step, and in a batch its file). */
export function deserializeError(error: SerializedError): FerryError {
  return new FerryError(error.code, error.message, { step: error.step, ...(error.file === undefined ? {} : { file: error.file }) });
}

/** The line of a Rust panic (or a fatal error) in what a reader printed before it died. */
function panicLine(stderr: string): string | null {
  const lines = stderr.split('\n').map((line) => line.trim());
  const panic = lines.find((line) => /panicked at|^fatal error|memory allocation of \d+ bytes failed|FATAL ERROR/i.test(line));
  if (panic === undefined) return null;
  const index = lines.indexOf(panic);
  // Rust prints the panic's message on the line after "panicked at <place>:".
  return shorten(/panicked at/.test(panic) && lines[index + 1] ? `${panic} ${lines[index + 1]}` : panic);
}

function shorten(message: string): string {
  return message.length > 300 ? `${message.slice(0, 300)}…` : message;
}

/**
 * Readers handed out one per worker, at most `footprint.max` processes (`concurrency`): a worker
 * beyond them waits for one to be given back. A dead reader is replaced on the next acquire; an
 * idle one exits after `footprint.idleExitMs`, and one used `footprint.recycleAfter` times is
 * replaced by a fresh one. Closing kills them all, failing what they had in hand with INTERRUPTED.
 */
export class ReaderPool {
  private readonly origin: ConfigOrigin;
  /** Started readers no worker holds, the one given back last at the end (used first). */
  private readonly idle: Reader[] = [];
  private readonly all = new Set<Reader>();
  /** Workers waiting for a reader while `max` are busy, first come first served. */
  private readonly waiting: (() => void)[] = [];
  /** Each reader's number for metrics: the lowest free one, so numbers stay below `max`. */
  private readonly numbers = new Map<Reader, number>();
  private readonly idleTimers = new Map<Reader, NodeJS.Timeout>();
  private closed = false;
  private jobSequence = 0;
  private limits: ReaderLimits | null = null;
  private footprint: ReaderFootprint = { max: Number.POSITIVE_INFINITY, idleExitMs: null, recycleAfter: null };
  private warnOnce: (message: string) => void = () => {};

  private readonly unusable: FerryError | null = null;
  private readonly options: ReaderPoolOptions;

  constructor(origin: ConfigOrigin, options: ReaderPoolOptions = {}) {
    this.origin = origin;
    this.options = options;
    try {
      structuredClone(origin);
    } catch {
      this.unusable = new FerryError(
        'CONFIG_INVALID',
        'a config given in code with functions (a transform) cannot reach the reader processes; put it in a ferry.config.ts file',
      );
    }
  }

  /**
   * Starts readers ahead of need (a reader takes about a quarter of a second to load Node,
   * Polars and the config), so that the first files of a run do not wait for them.
   */
  warm(count: number): void {
    if (this.closed || this.unusable !== null) return;
    for (let i = this.all.size; i < Math.min(count, this.footprint.max); i++) this.makeIdle(this.spawn());
  }

  /**
   * Waits until a reader is ready for this worker (starting one if none is idle and fewer than
   * `max` run), so that a worker does not claim a file — and hold its lease — while a reader
   * process is still starting, or while every reader is busy.
   */
  async whenReady(): Promise<void> {
    if (this.closed || this.unusable !== null) return;
    const reader = await this.take().catch(() => null);
    if (reader !== null) this.makeIdle(reader);
  }

  /** A reader ready for requests (an idle one, else a new one, else the next one given back). */
  async acquire(): Promise<Reader> {
    const reader = await this.take();
    reader.uses++;
    reader.startClock();
    return reader;
  }

  private async take(): Promise<Reader> {
    for (;;) {
      if (this.closed) throw new FerryError('INTERRUPTED', 'ferry is stopping');
      if (this.unusable !== null) throw this.unusable;
      let reader = this.idle.pop();
      while (reader !== undefined && !reader.alive) reader = this.idle.pop();
      if (reader === undefined && this.all.size < this.footprint.max) reader = this.spawn();
      if (reader === undefined) {
        await new Promise<void>((resolve) => this.waiting.push(resolve));
        continue;
      }
      clearTimeout(this.idleTimers.get(reader));
      this.idleTimers.delete(reader);
      try {
        await reader.ready;
      } catch (error) {
        await reader.kill();
        throw error;
      }
      return reader;
    }
  }

  release(reader: Reader): void {
    reader.stopClock();
    if (this.closed) {
      void reader.kill();
      return;
    }
    const { recycleAfter } = this.footprint;
    // For files that leave memory behind in a reader: replaced after `recycleAfter` claims (its
    // exit wakes a waiting worker, which starts the next reader).
    if (reader.alive && recycleAfter !== null && reader.uses >= recycleAfter) void reader.kill();
    else if (reader.alive) this.makeIdle(reader);
  }

  /** The reader processes running: each one's number and resident memory (null when unreadable). */
  memory(): { readonly reader: number; readonly residentBytes: number | null }[] {
    return [...this.numbers].map(([reader, number]) => ({ reader: number, residentBytes: reader.residentBytes() }));
  }

  private makeIdle(reader: Reader): void {
    this.idle.push(reader);
    this.wakeOne();
    this.exitWhenIdle(reader);
  }

  private exitWhenIdle(reader: Reader): void {
    const { idleExitMs } = this.footprint;
    if (idleExitMs === null || this.idleTimers.has(reader)) return;
    const timer = setTimeout(() => {
      this.idleTimers.delete(reader);
      const at = this.idle.indexOf(reader);
      if (at === -1) return;
      this.idle.splice(at, 1);
      void reader.kill();
    }, idleExitMs);
    timer.unref();
    this.idleTimers.set(reader, timer);
  }

  private wakeOne(): void {
    this.waiting.shift()?.();
  }

  private spawn(): Reader {
    const reader = new Reader(this.origin, this.options);
    if (this.limits !== null) reader.applyLimits(this.limits, this.warnOnce);
    this.all.add(reader);
    const taken = new Set(this.numbers.values());
    let number = 1;
    while (taken.has(number)) number++;
    this.numbers.set(reader, number);
    // However it ends (a crash, idle, recycled, killed at close), its place is free again.
    void reader.whenExited.then(() => {
      this.all.delete(reader);
      this.numbers.delete(reader);
      clearTimeout(this.idleTimers.get(reader));
      this.idleTimers.delete(reader);
      const at = this.idle.indexOf(reader);
      if (at !== -1) this.idle.splice(at, 1);
      this.wakeOne();
    });
    return reader;
  }

  /**
   * Bounds every reader, those already started (prestarted before the config was loaded) and
   * those to come. `warn` hears once when the memory limit cannot be set on this system.
   */
  setLimits(limits: ReaderLimits, warn: (message: string) => void): void {
    this.limits = limits;
    let warned = false;
    this.warnOnce = (message) => {
      if (warned) return;
      warned = true;
      warn(message);
    };
    for (const reader of this.all) reader.applyLimits(limits, this.warnOnce);
  }

  /** How many readers may run, and when they exit or are replaced (readers already running are not stopped). */
  setFootprint(footprint: ReaderFootprint): void {
    this.footprint = footprint;
    for (const reader of this.idle) this.exitWhenIdle(reader);
  }

  /** A number for an open file, unique in this process. */
  nextJob(): number {
    return ++this.jobSequence;
  }

  /** A reader for `use`, given back after it (also when it fails). */
  async withReader<T>(use: (reader: Reader) => Promise<T>): Promise<T> {
    const reader = await this.acquire();
    try {
      return await use(reader);
    } finally {
      this.release(reader);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.idle.length = 0;
    for (const wake of this.waiting.splice(0)) wake();
    await Promise.all([...this.all].map((reader) => reader.kill()));
    this.all.clear();
  }
}

/** Readers started before the config was loaded (see prestartReaders), for the runtime to take. */
let prestarted: { readonly key: string; readonly pool: ReaderPool } | null = null;

/**
 * Starts a reader for `origin` now, while this process loads the config itself: on two cores
 * the two loads overlap, and the first file is reached sooner. openRuntime takes it.
 */
export function prestartReaders(origin: ConfigOrigin): void {
  const pool = new ReaderPool(origin);
  pool.warm(1);
  prestarted = { key: JSON.stringify(origin), pool };
}

/** The prestarted readers if they were started for this origin (else they are closed). */
export function takePrestartedReaders(origin: ConfigOrigin): ReaderPool | null {
  const taken = prestarted;
  prestarted = null;
  if (taken === null) return null;
  if (taken.key === JSON.stringify(origin)) return taken.pool;
  void taken.pool.close();
  return null;
}

/** Closes readers prestarted but never taken (a command that failed before it needed them). */
export async function discardPrestartedReaders(): Promise<void> {
  const taken = prestarted;
  prestarted = null;
  await taken?.pool.close();
}
