/**
 * A claim's files through the stages, by one path whether they are one file or a batch of
 * small ones: read → transform → check in a reader process (frame/), then load + record here in
 * one transaction (commit.ts). It never throws: every file ends in an outcome the ledger records
 * (processed, failed and retrying, quarantined, superseded), in a lost lease (rolled back; the
 * new holder decides), or in an interruption (ferry stopping: rolled back, the lease given back).
 *
 * A batch pays the claim, the reader's round trips, the table's preparation, the COPY and the
 * commit once for all its files, while each file is still loaded exactly once, all or nothing.
 * A file that fails inside a batch does not fail the others: the transaction rolls back, that
 * file goes alone (where it gets its own outcome, error code and retries) and the rest is
 * loaded again as a batch. What cannot be pinned on one file (a reader that died, a COPY the
 * database refused) sends every file of the batch alone.
 */

import type { Logger } from 'pino';
import { ChecksFailedError, evaluateChecks, mergeTallies, type RuleTally } from '../check/index.ts';
import { coerceError, FerryError, maskDataValues, swallow } from '../errors/index.ts';
import { compareDecoded, countParquetRows, DecodedCounts, readOptionsFor } from '../formats/index.ts';
import { clearProgress, type FileVersionRecord, type RunRecord, recordProgress, releaseClaims } from '../ledger/index.ts';
import { loadTable, recordRowCounts } from '../load/index.ts';
import type { FrameColumn, PoolClient } from '../postgres/index.ts';
import { type Counted, deserializeError, type FileRef, type FileWritten, type OpenResult } from '../readers/index.ts';
import { type Committed, commitFiles, eachConcurrently, type Settled } from './commit.ts';
import type { FileContext, FileOutcome } from './file-context.ts';
import { recordFailure } from './record-failure.ts';

export interface ClaimHooks {
  /** Told when a file's stages start. */
  readonly onStarted?: (file: FileVersionRecord) => void;
  /** Told each outcome, with the seconds its file took (a batch's shared by its files). */
  readonly onOutcome: (outcome: FileOutcome, seconds: number, file: FileVersionRecord) => void;
}

/** How many failing files a batch sheds (each tried alone) before its remaining files are all processed alone. */
const MAX_SHED = 3;
/** How often a load's rows so far are written for others to see. */
const PROGRESS_MS = 2_000;
/** A reader's answer that lacks a file's entry (it never should). */
const NO_ANSWER = { code: 'INTERNAL', step: 'read', message: 'the reader did not answer' } as const;
/** Footers read at once for a batch of row counts. */
const FOOTER_CONCURRENCY = 16;

/**
 * Processes a claim's files: `together`, as one batch first (the files it could not take, or
 * that failed in it, alone after); else each alone, in the order claimed.
 */
export async function processClaim(
  context: FileContext,
  claimed: readonly FileVersionRecord[],
  together: boolean,
  owner: string,
  run: RunRecord,
  hooks: ClaimHooks,
): Promise<void> {
  const started = new Set<number>();
  const start = (files: readonly FileVersionRecord[]) => {
    for (const file of files) {
      if (started.has(file.id)) continue;
      started.add(file.id);
      hooks.onStarted?.(file);
    }
  };
  const byKey = new Map(claimed.map((file) => [file.key, file]));
  const report = (outcomes: readonly FileOutcome[], startedAt: number) => {
    const seconds = (performance.now() - startedAt) / 1000 / Math.max(1, outcomes.length);
    for (const outcome of outcomes) hooks.onOutcome(outcome, seconds, byKey.get(outcome.key) as FileVersionRecord);
  };
  const alone: FileVersionRecord[] = [];
  let batch = together && claimed.length >= 2 ? [...claimed] : [];
  if (batch.length === 0) alone.push(...claimed);
  const log = context.log.child({ batch: batch.length, first: batch[0]?.key });
  let shed = 0;
  while (batch.length >= 2) {
    start(batch);
    const startedAt = performance.now();
    const settled = await processFiles(context, batch, owner, run, log);
    report(settled.outcomes, startedAt);
    if (settled.outcomes.length > 0) log.info({ files: settled.outcomes.length, alone: settled.alone.length + settled.again.length }, 'batch loaded');
    alone.push(...settled.alone);
    // A file pinned as the failure is shed; the rest goes again as a batch, a few times at most.
    shed++;
    if (settled.again.length > 0 && shed <= MAX_SHED) batch = [...settled.again];
    else {
      alone.push(...settled.again);
      batch = [];
    }
  }
  alone.push(...batch);
  for (const file of alone.sort((a, b) => Number(a.id) - Number(b.id))) {
    start([file]);
    const startedAt = performance.now();
    const settled = await processFiles(context, [file], owner, run, context.log.child({ file: file.key, version: file.version, attempt: file.attempts }));
    report(settled.outcomes, startedAt);
  }
}

/** What processing a group of files settled: their outcomes; the files to try alone; in a batch, the files to try again together. */
interface GroupResult {
  readonly outcomes: readonly FileOutcome[];
  readonly alone: readonly FileVersionRecord[];
  readonly again: readonly FileVersionRecord[];
}

/** One file, or a batch of files, through the stages and one transaction. Never throws. */
async function processFiles(context: FileContext, files: readonly FileVersionRecord[], owner: string, run: RunRecord, log: Logger): Promise<GroupResult> {
  const single = files.length === 1 ? (files[0] as FileVersionRecord) : null;
  const interrupted = async (): Promise<GroupResult> => {
    // ferry is stopping (a load that failed as it stopped failed because of the stop: a child
    // process killed by the terminal's Ctrl-C, a connection closed): the transaction rolled
    // back; the leases are given back now, so that the next run (or another instance) claims
    // the files at once.
    await releaseClaims(
      context.pool,
      files.map((file) => file.id),
      owner,
    ).catch(swallow('releasing claims at the stop'));
    log.info({ files: files.length }, 'interrupted by the stop; rolled back and released');
    return { outcomes: files.map((file) => ({ kind: 'interrupted', key: file.key })), alone: [], again: [] };
  };
  const stopping = () => context.signal?.aborted === true;
  if (stopping()) return interrupted();
  const progress = single === null ? null : trackProgress(context, single);
  try {
    if (single !== null) refuseExhaustedClaims(context, single);
    const committed = await loadFiles(context, files, owner, run, progress?.onRows ?? null);
    const outcomes = committed.committed.map((each): FileOutcome => {
      if (each.kind === 'lease-lost') {
        log.warn({ file: each.file.key }, 'lease lost before the load committed; rolled back');
        return { kind: 'lease-lost', key: each.file.key };
      }
      const { file, rows, rejected, warnings } = each.settled;
      if (single !== null) log.info({ rows, rejected, warnings }, 'file processed');
      return { kind: 'processed', key: file.key, rows, rejected, warnings };
    });
    return { outcomes, alone: committed.alone, again: [] };
  } catch (thrown) {
    const error = coerceError(thrown);
    if (error.code === 'INTERRUPTED' || stopping()) return interrupted();
    if (single !== null) return { outcomes: [await recordFailure(context, single, owner, run, thrown, log)], alone: [], again: [] };
    const culprit = error.file === undefined ? undefined : files.find((file) => file.key === error.file);
    const detail = { files: files.length, file: error.file, code: error.code, error: maskDataValues(error.message) };
    if (culprit === undefined) {
      log.info(detail, 'a batch failed: its files are processed alone');
      return { outcomes: [], alone: files, again: [] };
    }
    log.info(detail, 'a file failed in a batch: it is processed alone, the others again as a batch');
    return { outcomes: [], alone: [culprit], again: files.filter((file) => file !== culprit) };
  } finally {
    await progress?.stop();
  }
}

/** Claims that never reached an outcome mean ferry itself died on this file each time. */
function refuseExhaustedClaims(context: FileContext, file: FileVersionRecord): void {
  const claimsWithoutOutcome = file.open_claims - 1;
  if (claimsWithoutOutcome >= context.retry.maxAttempts) {
    throw new FerryError(
      'CLAIMS_EXHAUSTED',
      `${file.key} was claimed ${claimsWithoutOutcome} times without any outcome (ferry stopped or died each time); not tried again until ferry retry`,
    );
  }
}

/** A file's rows so far, written beside the ledger every few seconds (the dashboard's "in progress"). */
function trackProgress(context: FileContext, file: FileVersionRecord): { onRows: (rows: number) => void; stop: () => Promise<void> } {
  const progress = { rows: 0, written: 0 };
  const timer = setInterval(() => {
    if (progress.rows === progress.written) return;
    progress.written = progress.rows;
    recordProgress(context.pool, file.id, progress.rows).catch(swallow('recording a load’s progress'));
  }, PROGRESS_MS);
  timer.unref();
  return {
    onRows: (rows) => {
      progress.rows = rows;
      context.onRows?.(file.key, rows);
    },
    stop: async () => {
      clearInterval(timer);
      // The progress row has served once the file has an outcome.
      if (progress.written > 0) await clearProgress(context.pool, file.id).catch(swallow('clearing a load’s progress'));
    },
  };
}

interface Loaded {
  readonly committed: readonly Committed[];
  /** A batch's files it did not take (they did not open, or differ from the others): each to go alone. */
  readonly alone: readonly FileVersionRecord[];
}

/**
 * The stages of a group of files: read and checked in a reader, loaded and recorded in one
 * transaction. A file's own failure is thrown (in a batch, naming the file).
 */
async function loadFiles(
  context: FileContext,
  files: readonly FileVersionRecord[],
  owner: string,
  run: RunRecord,
  onRows: ((rows: number) => void) | null,
): Promise<Loaded> {
  const { pipeline } = context;
  const commit = (members: readonly FileVersionRecord[], load: (client: PoolClient, live: readonly FileVersionRecord[]) => Promise<Settled[]>) =>
    commitFiles(
      { pool: context.pool, store: context.store, pipeline: pipeline.name, ...(context.alerts ? { alerts: context.alerts } : {}) },
      owner,
      members,
      load,
    );

  if (pipeline.sink.kind === 'row-count') {
    const counts = await countFiles(context, files);
    const counted = files.filter((file) => counts.get(file.id)?.ok === true);
    if (files.length >= 2 && counted.length < 2) return { committed: [], alone: files };
    const committed = await commit(counted, async (client, live) => {
      const settled = live.map((file) => settleCount(context, file, (counts.get(file.id) as { value: Counted }).value));
      await recordRowCounts(
        client,
        run.id,
        settled.map((each) => ({ key: each.file.key, rows: each.rows })),
      );
      return settled;
    });
    return { committed, alone: files.filter((file) => !counted.includes(file)) };
  }

  const sink = pipeline.sink;
  const { readers } = context;
  return readers.withReader(async (reader) => {
    const jobs = new Map(files.map((file) => [file.id, readers.nextJob()]));
    const jobOf = (file: FileVersionRecord) => jobs.get(file.id) as number;
    try {
      const opened = await reader.call(
        'open',
        { pipeline: pipeline.name, files: files.map((file) => ({ job: jobOf(file), file: refOf(file) })), whole: files.length >= 2 },
        describe(files, 'reading'),
      );
      // Alone, a file's failure is its own; in a batch, a file that did not open, has other
      // columns than the first one or is read in several parts goes alone.
      const layouts = files.map((file, index) => {
        const result = opened[index];
        if (result === undefined || !result.ok) {
          if (files.length === 1) throw deserializeError(result?.error ?? NO_ANSWER);
          return null;
        }
        return { file, result: result.value };
      });
      const first = layouts.find((each) => each !== null && each.result.partCount === 1);
      const taken = layouts.filter(
        (each): each is { file: FileVersionRecord; result: OpenResult } =>
          each !== null && (files.length === 1 || (each.result.partCount === 1 && sameColumns(each.result.columns, first?.result.columns ?? []))),
      );
      const alone = files.filter((file) => !taken.some((each) => each.file === file));
      if (files.length >= 2 && taken.length < 2) return { committed: [], alone: files };
      const committed = await commit(
        taken.map((each) => each.file),
        async (client, live) => {
          const opens = taken.filter((each) => live.includes(each.file));
          const one = opens.length === 1 ? (opens[0]?.result ?? null) : null;
          // A plain Parquet file alone: its footer's counts are held to what the COPY encoded.
          const declared = one?.declared ?? null;
          const nulls = declared === null ? null : { batches: 0, sums: new Array<number>(opens[0]?.result.columns.length ?? 0).fill(0) };
          const loaded = await loadTable(client, sink, live, {
            columns: opens[0]?.result.columns ?? [],
            partCount: one?.partCount ?? 1,
            checked: pipeline.checks.length > 0,
            write: (part, target, wire, rejectsDir) =>
              reader.call(
                'write',
                { jobs: live.map(jobOf), part, target, wire, rejectsDir },
                `${describe(live, 'reading')} and writing ${live.length === 1 ? 'its' : 'their'} rows`,
              ),
            ...(onRows === null ? {} : { onRows }),
            ...(nulls === null ? {} : { onNulls: (counts: readonly number[]) => addNulls(nulls, counts) }),
          });
          if (declared !== null && nulls !== null)
            compareDecoded(live[0]?.key ?? '', declared, decodedCounts(opens[0]?.result.columns ?? [], loaded.rows, nulls));
          return settleWritten(context, live, loaded);
        },
      );
      return { committed, alone };
    } finally {
      await reader.close([...jobs.values()]);
    }
  });
}

/**
 * Each file's rows, rejects and verdict from what the reader wrote of it, part by part. A
 * quarantine fails the transaction naming the file; alone, its rules' results are recorded.
 */
function settleWritten(
  context: FileContext,
  live: readonly FileVersionRecord[],
  loaded: { rows: number; rejected: number; parts: readonly FileWritten[][] },
): Settled[] {
  const { checks } = context.pipeline;
  const perFile = live.map((_, index) => loaded.parts.map((part) => part[index] as FileWritten));
  const written = perFile.every((parts) => parts.every((part) => part.rows !== null))
    ? perFile.reduce((sum, parts) => sum + parts.reduce((rows, part) => rows + (part.rows ?? 0), 0), 0)
    : null;
  if (written !== null && written !== loaded.rows) throw new FerryError('INTERNAL', `the reader wrote ${written} rows but COPY took ${loaded.rows}`);
  return live.map((file, index): Settled => {
    const parts = perFile[index] as FileWritten[];
    const rows = live.length === 1 ? loaded.rows : parts.reduce((sum, part) => sum + (part.rows ?? 0), 0);
    if (checks.length === 0) return { file, rows, rejected: 0, warnings: 0, checkResults: null };
    // The rules' verdict on the whole file, from every part's tallies and the file rules'.
    const tallies: (readonly RuleTally[])[] = parts.map((part) => part.part?.tallies ?? []);
    const fileTallies = parts[parts.length - 1]?.fileTallies;
    if (fileTallies !== null && fileTallies !== undefined) tallies.push(fileTallies);
    const read = parts.reduce((sum, part) => sum + (part.part?.rows ?? 0), 0);
    const verdict = evaluateChecks(checks, mergeTallies(tallies), read);
    if (verdict.quarantinedBy.length > 0) throw new ChecksFailedError(file.key, verdict);
    const rejected = live.length === 1 ? loaded.rejected : parts.reduce((sum, part) => sum + (part.part?.rejected ?? 0), 0);
    return { file, rows, rejected, warnings: verdict.warnings, checkResults: verdict.results };
  });
}

/** A counted file's verdict (with checks); a quarantine fails it naming the file. */
function settleCount(context: FileContext, file: FileVersionRecord, counted: Counted): Settled {
  const { checks } = context.pipeline;
  if (counted.tallies === null) return { file, rows: counted.rows, rejected: 0, warnings: 0, checkResults: null };
  const verdict = evaluateChecks(checks, counted.tallies, counted.rows);
  if (verdict.quarantinedBy.length > 0) throw new ChecksFailedError(file.key, verdict);
  return { file, rows: counted.rows, rejected: 0, warnings: verdict.warnings, checkResults: verdict.results };
}

type CountResult = { readonly ok: true; readonly value: Counted } | { readonly ok: false; readonly error: FerryError };

/**
 * Each file's rows for the row-count sink: a plain Parquet file without checks from its footer,
 * here (no Polars at all); other formats, and files with checks, by a reader. Alone, a file's
 * failure is thrown.
 */
async function countFiles(context: FileContext, files: readonly FileVersionRecord[]): Promise<Map<number, CountResult>> {
  const { pipeline, store, limits, readers } = context;
  const footerOnly = (file: FileVersionRecord) => {
    const { format, compression } = readOptionsFor(pipeline.source, file.key, limits.maxDecompressedSize);
    return format === 'parquet' && compression === 'none' && pipeline.checks.length === 0;
  };
  const counts = new Map<number, CountResult>();
  const byFooter = files.filter(footerOnly);
  await eachConcurrently(byFooter, FOOTER_CONCURRENCY, async (file) => {
    const result = await countParquetRows(store, file, limits).then(
      (rows): CountResult => ({ ok: true, value: { rows, tallies: null } }),
      (error: unknown): CountResult => ({ ok: false, error: coerceError(error) }),
    );
    counts.set(file.id, result);
  });
  const byReader = files.filter((file) => !footerOnly(file));
  if (byReader.length > 0) {
    const results = await readers.withReader((reader) =>
      reader.call('count', { pipeline: pipeline.name, files: byReader.map(refOf) }, describe(byReader, 'counting the rows of')),
    );
    for (const [index, file] of byReader.entries()) {
      const result = results[index];
      counts.set(file.id, result?.ok === true ? { ok: true, value: result.value } : { ok: false, error: deserializeError(result?.error ?? NO_ANSWER) });
    }
  }
  const failed = files.length === 1 ? counts.get((files[0] as FileVersionRecord).id) : undefined;
  if (failed !== undefined && !failed.ok) throw failed.error;
  return counts;
}

/** What a reader is told of a claimed file version. */
function refOf(file: FileVersionRecord): FileRef {
  return { key: file.key, version: file.version, size: file.size, etag: file.etag };
}

/** What a reader is doing with files, for the error if it dies: "reading x.csv", "reading a batch of 12 files". */
function describe(files: readonly FileVersionRecord[], doing: string): string {
  return `${doing} ${files.length === 1 ? (files[0]?.key ?? '') : `a batch of ${files.length} files`}`;
}

function sameColumns(a: readonly FrameColumn[], b: readonly FrameColumn[]): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Adds a record batch's nulls per column (the columns first; lineage columns after them are not counted). */
function addNulls(nulls: { batches: number; readonly sums: number[] }, counts: readonly number[]): void {
  nulls.batches++;
  for (let i = 0; i < nulls.sums.length; i++) nulls.sums[i] = (nulls.sums[i] as number) + (counts[i] ?? 0);
}

/**
 * What the COPY took of a file: its rows, and nulls per column where record batches were
 * encoded (binary COPY; a CSV COPY tells no nulls, and only the rows are compared).
 */
function decodedCounts(
  columns: readonly { readonly name: string }[],
  rows: number,
  nulls: { readonly batches: number; readonly sums: readonly number[] },
): DecodedCounts {
  const counts = new DecodedCounts();
  counts.add(rows, nulls.batches > 0 ? Object.fromEntries(columns.map((column, index) => [column.name, nulls.sums[index] ?? 0])) : {});
  return counts;
}
