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
import type { PartResult, RuleTally } from '../check/index.ts';
import type { ConfigOrigin } from '../config/index.ts';
import { FerryError, type FileStep } from '../errors/index.ts';
import type { WireSpec } from '../load/index.ts';
import { formatDuration, formatSize } from '../units/index.ts';
import { deathSignalCommand } from './parent-watch.ts';
import type { BatchFileResult, EachResult, FileRef, OpenResult, PreviewResult, ReaderReply, ReaderRequest, SerializedError } from './protocol.ts';
import { limitMemory, outOfMemory, type ReaderLimits } from './reader-limits.ts';

/** The entry point beside this file, with this file's extension (.ts in the repository, .js when compiled). */
const READER_ENTRY = fileURLToPath(new URL(`./reader-process${path.extname(fileURLToPath(import.meta.url))}`, import.meta.url));
/** How a reader is started so that it dies with this process (looked up once). */
const DEATH_SIGNAL = deathSignalCommand();
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

  constructor(origin: ConfigOrigin) {
    // The reader dies with ferry: by the kernel's death signal where it can, else by a watchdog
    // thread; either way the parent's pid is its first argument (see parent-watch.ts).
    this.child = fork(READER_ENTRY, [String(process.pid), DEATH_SIGNAL === null ? 'thread' : 'pdeathsig'], {
      // Node's compile cache halves a reader's start (its modules are parsed once per machine).
      env: { NODE_COMPILE_CACHE: path.join(os.tmpdir(), 'node-compile-cache'), ...process.env, ...origin.env },
      ...(DEATH_SIGNAL === null ? { execArgv: [] } : { execPath: DEATH_SIGNAL.execPath, execArgv: [...DEATH_SIGNAL.execArgv] }),
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    });
    this.child.stderr?.setEncoding('utf8');
    this.child.stderr?.on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-STDERR_TAIL_BYTES);
    });
    this.child.on('message', (reply: ReaderReply) => this.settle(reply));
    this.child.on('exit', (code, signal) => this.onExit(code, signal));
    this.child.on('error', () => {}); // 'exit' follows and says what happened
    this.started = this.request({ type: 'init', origin }, 'starting', 'read').then(() => {});
    this.started.catch(() => {});
  }

  /** Settles when the reader has loaded the config and is bounded by its limits. */
  get ready(): Promise<void> {
    return this.limited.then(() => this.started);
  }

  get alive(): boolean {
    return !this.exited;
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

  open(job: number, pipeline: string, file: FileRef): Promise<OpenResult> {
    return this.request({ type: 'open', job, pipeline, file }, `reading ${file.key}`, 'read') as Promise<OpenResult>;
  }

  /** Writes a part's rows (and, with checks, its rejected rows); the part's check tallies, or null without checks. */
  write(job: number, part: number, target: string, wire: WireSpec, key: string, rejectsTarget: string | null = null): Promise<PartResult | null> {
    // Polars reads a file as it writes it: a reader that dies here died reading it.
    return this.request({ type: 'write', job, part, target, wire, rejectsTarget }, `reading ${key} and writing its rows`, 'read') as Promise<PartResult | null>;
  }

  /** Opens a batch's files (see FrameJobs.openMany). */
  openMany(pipeline: string, files: readonly { readonly job: number; readonly file: FileRef }[]): Promise<EachResult<OpenResult>[]> {
    return this.request({ type: 'open-many', pipeline, files }, `reading a batch of ${files.length} files`, 'read') as Promise<EachResult<OpenResult>[]>;
  }

  /** Writes a batch's rows as one stream (see FrameJobs.writeMany). */
  writeMany(jobs: readonly number[], target: string, wire: WireSpec, rejectsDir: string | null): Promise<BatchFileResult[]> {
    return this.request(
      { type: 'write-many', jobs, target, wire, rejectsDir },
      `reading a batch of ${jobs.length} files and writing their rows`,
      'read',
    ) as Promise<BatchFileResult[]>;
  }

  /** Counts a batch's files (see FrameJobs.countMany). */
  countMany(pipeline: string, files: readonly FileRef[]): Promise<EachResult<{ rows: number; tallies: RuleTally[] | null }>[]> {
    return this.request({ type: 'count-many', pipeline, files }, `counting the rows of a batch of ${files.length} files`, 'read') as Promise<
      EachResult<{ rows: number; tallies: RuleTally[] | null }>[]
    >;
  }

  finish(job: number, key: string): Promise<RuleTally[]> {
    return this.request({ type: 'finish', job }, `checking ${key}`, 'check') as Promise<RuleTally[]>;
  }

  close(job: number): Promise<void> {
    if (this.exited) return Promise.resolve();
    return (this.request({ type: 'close', job }, 'closing a file', 'read') as Promise<void>).catch(() => {});
  }

  /** The file's rows, and with the pipeline's checks the rules' tallies. */
  count(pipeline: string, file: FileRef): Promise<{ rows: number; tallies: RuleTally[] | null }> {
    return this.request({ type: 'count', pipeline, file }, `counting the rows of ${file.key}`, 'read') as Promise<{
      rows: number;
      tallies: RuleTally[] | null;
    }>;
  }

  preview(pipeline: string, file: FileRef, rows: number, checks = false): Promise<PreviewResult> {
    return this.request({ type: 'preview', pipeline, file, rows, checks }, `previewing ${file.key}`, 'read') as Promise<PreviewResult>;
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
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGKILL');
    await exited;
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
 * Readers handed out one per worker. A dead reader is replaced on the next acquire. Closing
 * kills them all, failing what they had in hand with INTERRUPTED.
 */
export class ReaderPool {
  private readonly origin: ConfigOrigin;
  private readonly idle: Reader[] = [];
  private readonly all = new Set<Reader>();
  private closed = false;
  private jobSequence = 0;
  private limits: ReaderLimits | null = null;
  private warnOnce: (message: string) => void = () => {};

  private readonly unusable: FerryError | null = null;

  constructor(origin: ConfigOrigin) {
    this.origin = origin;
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
    for (let i = this.all.size; i < count; i++) this.idle.push(this.spawn());
  }

  /**
   * Waits until an idle reader is ready (starting one if none is), so that a worker does not
   * claim a file — and hold its lease — while a reader process is still starting.
   */
  async whenReady(): Promise<void> {
    if (this.closed || this.unusable !== null) return;
    let reader = this.idle.find((candidate) => candidate.alive);
    if (reader === undefined) {
      reader = this.spawn();
      this.idle.push(reader);
    }
    await reader.ready.catch(() => {});
  }

  /** A reader ready for requests (a started one when idle, else a new one). */
  async acquire(): Promise<Reader> {
    if (this.closed) throw new FerryError('INTERRUPTED', 'ferry is stopping');
    if (this.unusable !== null) throw this.unusable;
    let reader = this.idle.pop();
    while (reader !== undefined && !reader.alive) {
      this.all.delete(reader);
      reader = this.idle.pop();
    }
    reader ??= this.spawn();
    try {
      await reader.ready;
    } catch (error) {
      this.all.delete(reader);
      await reader.kill();
      throw error;
    }
    reader.startClock();
    return reader;
  }

  release(reader: Reader): void {
    reader.stopClock();
    if (this.closed || !reader.alive) {
      this.all.delete(reader);
      if (this.closed) void reader.kill();
      return;
    }
    this.idle.push(reader);
  }

  private spawn(): Reader {
    const reader = new Reader(this.origin);
    if (this.limits !== null) reader.applyLimits(this.limits, this.warnOnce);
    this.all.add(reader);
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

  /** A number for an open file, unique in this process. */
  nextJob(): number {
    return ++this.jobSequence;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.idle.length = 0;
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
