/**
 * What a reader process does with files: the stages that need Polars — read → cast →
 * transform → check — and the writes of rows for COPY, behind the reader API
 * (readers/protocol.ts). Runs only in reader processes, where a native crash costs one file,
 * never the service.
 *
 * One pipeline for every path: a file is opened (read, cast, transformed, its columns checked)
 * as a job; its parts are written (with checks, each part's rows through the rules in the same
 * pass); the last part's write also brings the file rules' tallies. A batch of small files is
 * the same jobs, each read whole, written together as one stream.
 */

import pl from 'nodejs-polars';
import { type CheckResult, checkColumns, evaluateChecks, mergeTallies, type PartResult, type ResolvedCheck, type RuleTally } from '../check/index.ts';
import type { ResolvedConfig, ResolvedPipeline } from '../config/index.ts';
import { coerceError, FerryError } from '../errors/index.ts';
import { compareDecoded, type DeclaredCounts, DecodedCounts, declaredCounts, describeFormat } from '../formats/index.ts';
import { LINEAGE_COLUMNS, type WireSpec } from '../load/index.ts';
import { dataFrameColumns, outputColumns } from '../polars/index.ts';
import type { FrameColumn } from '../postgres/index.ts';
import {
  type Counted,
  type EachResult,
  type FileRef,
  type FileWritten,
  type OpenResult,
  outOfMemory,
  type PreviewResult,
  type ReaderArgs,
  type ReaderHandlers,
  type ReaderOptions,
  serializeError,
} from '../readers/index.ts';
import type { ObjectStore } from '../storage/index.ts';
import { applyTransform } from '../transform/index.ts';
import { castsFor } from './cast-rows.ts';
import { FileRuleState } from './check-frame.ts';
import { type CheckContext, checkedPart, compareContext, decodedOf } from './checked-part.ts';
import { partsOf } from './parts.ts';
import { type ReadFile, readFailure, readFile, readWhole } from './read-file.ts';
import { rejectsPath, writeRejects } from './rejects.ts';
import { batchExpressions, columnExpressions, wireExpressions } from './wire-expressions.ts';

interface Prepared {
  readonly read: ReadFile;
  /** The frame to load: read, cast (see CheckContext.cast), transformed. */
  readonly frame: pl.LazyDataFrame;
  readonly columns: FrameColumn[];
  readonly cast: ResolvedCheck | null;
}

interface OpenJob {
  readonly file: FileRef;
  readonly read: ReadFile;
  readonly columns: readonly FrameColumn[];
  /** The parts of the file; with a cast rule, as read (the rule casts them and runs the transform). */
  readonly parts: readonly pl.LazyDataFrame[];
  /** Each part's first row in the file (row numbers of rejected rows count from it). */
  readonly offsets: readonly number[];
  readonly transformed: boolean;
  readonly checks: readonly ResolvedCheck[];
  /** What the checks need across parts; null without checks. */
  readonly context: CheckContext | null;
  /** The wire expressions of the file's parts, made once per wire spec (see write). */
  wire: { readonly spec: string; readonly expressions: pl.Expr[] } | null;
  /** A small file read whole at open (a batch's), else null. */
  readonly whole: pl.DataFrame | null;
  /** What a plain Parquet file's footer declares, to hold the decoded rows to; else null. */
  readonly declared: DeclaredCounts | null;
}

/**
 * The reader API's handlers (see readers/protocol.ts), over the files a reader has open. One
 * instance per reader process, made once its config is loaded.
 */
export class FramePipeline implements ReaderHandlers {
  private readonly jobs = new Map<number, OpenJob>();
  private readonly config: ResolvedConfig;
  private readonly store: ObjectStore;
  private readonly options: ReaderOptions;

  constructor(config: ResolvedConfig, store: ObjectStore, options: ReaderOptions = {}) {
    this.config = config;
    this.store = store;
    this.options = options;
  }

  /** The config is loaded by the reader process before this pipeline exists (see serve.ts). */
  async init(): Promise<null> {
    return null;
  }

  async open({ pipeline, files, whole }: ReaderArgs<'open'>): Promise<EachResult<OpenResult>[]> {
    return eachSettled(files, ({ job, file }) => this.openJob(job, this.pipeline(pipeline), file, whole));
  }

  async write({ jobs, part, target, wire, rejectsDir }: ReaderArgs<'write'>): Promise<FileWritten[]> {
    const opens = jobs.map((job) => this.job(job));
    if (opens.length === 1) return [await this.writePart(opens[0] as OpenJob, part, target, wire, rejectsDir)];
    if (part !== 0 || opens.some((open) => open.parts.length !== 1)) throw new FerryError('INTERNAL', 'files written together must be of one part each');
    return this.writeTogether(opens, target, wire, rejectsDir);
  }

  async count({ pipeline, files }: ReaderArgs<'count'>): Promise<EachResult<Counted>[]> {
    const resolved = this.pipeline(pipeline);
    return eachSettled(files, (file) => (resolved.checks.length > 0 ? this.countChecked(resolved, file) : this.countRows(resolved, file)));
  }

  async close({ jobs }: ReaderArgs<'close'>): Promise<null> {
    for (const job of jobs) {
      const open = this.jobs.get(job);
      this.jobs.delete(job);
      await open?.read.opened.dispose();
    }
    return null;
  }

  async preview({ pipeline: name, file, rows, checks: withChecks }: ReaderArgs<'preview'>): Promise<PreviewResult> {
    const pipeline = this.pipeline(name);
    const { read, frame, columns, cast } = await this.prepare(pipeline, file);
    const transformed = pipeline.transform.kind !== 'none';
    try {
      const result = await frame.collect();
      const head = result.head(rows);
      let checks: CheckResult[] | null = null;
      let loadable: PreviewResult['loadable'] = null;
      if (withChecks && pipeline.checks.length > 0) {
        // The rules on the whole file, as a load would run them, without loading anything.
        const context = this.checkContext(pipeline, file, cast, null);
        const part = await checkedPart(context, cast === null ? frame : read.opened.frame, 0);
        checks = [...evaluateChecks(pipeline.checks, [...part.tallies, ...part.rest(), ...context.fileRules.finish(columns)], part.rows).results];
        loadable = { rows: part.load.height, rejected: part.rejected };
      }
      return {
        format: describeFormat(read.options),
        transformed,
        columns,
        rows: result.height,
        head: jsonSafe(head.toRecords()),
        table: head.toString(),
        checks,
        loadable,
        inferred: [
          ...(read.opened.csv ? [{ column: null, type: 'dialect', reason: read.opened.csv.dialect.reason }] : []),
          ...(read.opened.jsonColumns ?? []).map((column) => ({
            column,
            type: 'jsonb',
            reason: 'arrays or objects in the sample: each value as the file wrote it',
          })),
          ...(read.opened.inferred ?? []),
        ],
      };
    } catch (error) {
      throw await readFailure(read, file.key, error, transformed);
    } finally {
      await read.opened.dispose();
    }
  }

  /** Releases every open job (the reader is leaving). */
  async closeAll(): Promise<void> {
    await this.close({ jobs: [...this.jobs.keys()] });
  }

  private pipeline(name: string): ResolvedPipeline {
    const found = this.config.pipelines.find((p) => p.name === name);
    if (found === undefined) throw new FerryError('INTERNAL', `the reader has no pipeline named ${name}`);
    return found;
  }

  private job(job: number): OpenJob {
    const open = this.jobs.get(job);
    if (open === undefined) throw new FerryError('INTERNAL', `the reader has no open job ${job}`);
    return open;
  }

  /** Read, cast, transform, the columns it gives, and the checks on them. */
  private async prepare(pipeline: ResolvedPipeline, file: FileRef): Promise<Prepared> {
    const read = await readFile(this.store, file, pipeline.source, this.config.limits, pipeline.transform.kind !== 'none');
    try {
      const transformed = pipeline.transform.kind !== 'none';
      const cast = pipeline.checks.find((check) => check.rule === 'cast') ?? null;
      let frame: pl.LazyDataFrame;
      let columns: FrameColumn[];
      try {
        const typed =
          cast === null ? read.opened.frame : read.opened.frame.withColumns(...castsFor(cast, pipeline.source.schema, outputColumns(read.opened.frame)));
        frame = applyTransform(pipeline.transform, typed, file.key);
        columns = markColumns(outputColumns(frame), read);
      } catch (error) {
        throw await readFailure(read, file.key, error, transformed);
      }
      checkTableColumns(pipeline, file, columns);
      return { read, frame, columns, cast };
    } catch (error) {
      await read.opened.dispose();
      throw error;
    }
  }

  private checkContext(pipeline: ResolvedPipeline, file: FileRef, cast: ResolvedCheck | null, declared: DeclaredCounts | null): CheckContext {
    const { checks, transform } = pipeline;
    const decoded = declared === null ? null : { declared, counts: new DecodedCounts() };
    return { key: file.key, checks, cast, schema: pipeline.source.schema, transform, fileRules: new FileRuleState(checks), decoded };
  }

  /**
   * Opens a file as `job`; `whole`: as one part, never in slices (a batch's small files), and a
   * plain Parquet file without transform read at once (see readWhole).
   */
  private async openJob(job: number, pipeline: ResolvedPipeline, file: FileRef, whole: boolean): Promise<OpenResult> {
    const plain = pipeline.transform.kind === 'none' && !pipeline.checks.some((check) => check.rule === 'cast');
    const eager = whole && plain ? await readWhole(this.store, file, pipeline.source, this.config.limits) : null;
    if (eager !== null) {
      const columns = markColumns(dataFrameColumns(eager.whole), eager);
      checkTableColumns(pipeline, file, columns);
      if (eager.footer !== null) compareDecoded(file.key, declaredCounts(eager.footer), decodedOf(eager.whole));
      const context = pipeline.checks.length > 0 ? this.checkContext(pipeline, file, null, null) : null;
      const parts = [eager.opened.frame];
      this.jobs.set(job, {
        file,
        read: eager,
        columns,
        parts,
        offsets: [0],
        transformed: false,
        checks: pipeline.checks,
        context,
        wire: null,
        whole: eager.whole,
        declared: null,
      });
      return { columns, partCount: 1, declared: null };
    }
    const { read, frame, columns, cast } = await this.prepare(pipeline, file);
    const transformed = pipeline.transform.kind !== 'none';
    try {
      const source = cast === null ? frame : read.opened.frame;
      const { parts, offsets } = whole ? { parts: [source], offsets: [0] } : await partsOf(source, read, transformed, this.options.sliceRows ?? 0);
      const checks = pipeline.checks;
      // The rows as read are held to the footer where they are the rows loaded (no transform,
      // no cast rule): by the parent as it encodes them, or here where checks collect them.
      const declared = read.footer !== null && !transformed && cast === null ? declaredCounts(read.footer) : null;
      const context = checks.length > 0 ? this.checkContext(pipeline, file, cast, declared) : null;
      this.jobs.set(job, { file, read, columns, parts, offsets, transformed, checks, context, wire: null, whole: null, declared });
      return { columns, partCount: parts.length, declared: context === null ? declared : null };
    } catch (error) {
      await read.opened.dispose();
      throw await readFailure(read, file.key, error, transformed);
    }
  }

  /**
   * Writes part `part` of an open file to `target` for COPY, streamed by Polars. With checks,
   * the part is collected once: the row rules flag its rows, the rows failing a `reject` rule
   * go to the rejects folder (CSV: file, version, row number, rules, values as JSON) and the
   * rest to `target`; the file rules take what they need, and after the last part give their
   * tallies.
   */
  private async writePart(open: OpenJob, part: number, target: string, wire: WireSpec, rejectsDir: string | null): Promise<FileWritten> {
    const frame = open.parts[part];
    if (frame === undefined) throw new FerryError('INTERNAL', `the reader's job for ${open.file.key} has no part ${part}`);
    const expressions = wireOf(open, wire);
    const sink = (rows: pl.LazyDataFrame) =>
      wire.binary
        ? rows.sinkIpc(target, { compatLevel: 'oldest', compression: 'uncompressed', maintainOrder: true }).collect()
        : rows.sinkCSV(target, { includeHeader: false, maintainOrder: true }).collect();
    try {
      const context = open.context;
      if (context === null) {
        await sink(frame.select(...expressions));
        // (The COPY counts the rows of a part streamed without checks.)
        return { rows: null, part: null, fileTallies: null };
      }
      const last = part === open.parts.length - 1;
      const checked = await checkedPart(context, frame, open.offsets[part] ?? 0);
      const { load, rejects } = checked;
      // The rules that decide nothing about which rows load are judged while the rows are
      // written (the write runs on Polars' threads, not this one); so are the unique rules
      // after the last part.
      const writing = sink(load.lazy().select(...expressions));
      let rest: RuleTally[];
      try {
        rest = checked.rest();
        if (last) context.fileRules.settle();
      } finally {
        await writing;
      }
      if (rejects !== null) await writeRejects(rejects, open.file, rejectsPath(rejectsDir, part, 0));
      let fileTallies: RuleTally[] | null = null;
      if (last) {
        compareContext(context);
        fileTallies = context.fileRules.finish(open.columns);
      }
      return { rows: load.height, part: { rows: checked.rows, rejected: checked.rejected, tallies: [...checked.tallies, ...rest] }, fileTallies };
    } catch (error) {
      throw await readFailure(open.read, open.file.key, error, open.transformed);
    }
  }

  /**
   * Writes the rows of several open files (of one part each, with the same columns) to
   * `target` as one stream, each file's rows with its own lineage; with checks, each file's
   * rows through the rules and its rejected rows to a file of its own. A file that fails fails
   * the write, naming itself (FerryError.file), so that it can be tried alone.
   */
  private async writeTogether(opens: readonly OpenJob[], target: string, wire: WireSpec, rejectsDir: string | null): Promise<FileWritten[]> {
    // Each file's rows to load, in memory (a batch's bytes are bounded), through its checks.
    const written = await Promise.all(
      opens.map(async (open, index) => {
        const frame = open.parts[0] as pl.LazyDataFrame;
        try {
          if (open.context === null) {
            const rows = open.whole ?? (await frame.collect());
            if (open.whole === null && open.declared !== null) compareDecoded(open.file.key, open.declared, decodedOf(rows));
            return { rows, result: { rows: rows.height, part: null, fileTallies: null } satisfies FileWritten };
          }
          const checked = await checkedPart(open.context, frame, 0);
          compareContext(open.context);
          const tallies = [...checked.tallies, ...checked.rest()];
          open.context.fileRules.settle();
          const fileTallies = open.context.fileRules.finish(open.columns);
          if (checked.rejects !== null) await writeRejects(checked.rejects, open.file, rejectsPath(rejectsDir, 0, index));
          const rows = checked.load;
          const part: PartResult = { rows: checked.rows, rejected: checked.rejected, tallies };
          return { rows, result: { rows: rows.height, part, fileTallies } satisfies FileWritten };
        } catch (error) {
          const failure = await readFailure(open.read, open.file.key, error, open.transformed);
          throw new FerryError(failure.code, failure.message, { step: failure.step, cause: failure, file: open.file.key });
        }
      }),
    );
    // One frame of every file's rows, each row with its own file's lineage (gathered from one
    // value per file), shaped for the wire by one set of expressions.
    const frames = written.map((each) => each.rows);
    let all = frames.length === 1 ? (frames[0] as pl.DataFrame) : pl.concat(frames, { how: 'vertical' });
    if (wire.lineage) {
      const fileOfRow: number[] = [];
      for (const [index, frame] of frames.entries()) for (let row = 0; row < frame.height; row++) fileOfRow.push(index);
      const lineage: pl.Series[] = [
        pl
          .Series(
            LINEAGE_COLUMNS.file,
            opens.map((open) => open.file.key),
            pl.Utf8,
          )
          .gather(fileOfRow),
        pl
          .Series(
            LINEAGE_COLUMNS.version,
            opens.map((open) => open.file.version),
            pl.Utf8,
          )
          .gather(fileOfRow),
      ];
      all = all.hstack(lineage, false) as unknown as pl.DataFrame;
    }
    const expressions = batchExpressions(opens[0]?.columns ?? [], wire);
    const rows = all.lazy().select(...expressions);
    await (wire.binary
      ? rows.sinkIpc(target, { compatLevel: 'oldest', compression: 'uncompressed', maintainOrder: true }).collect()
      : rows.sinkCSV(target, { includeHeader: false, maintainOrder: true }).collect());
    return written.map((each) => each.result);
  }

  /** A file's rows and every rule's tallies: the rows are read (in slices, for a large Parquet file). */
  private async countChecked(pipeline: ResolvedPipeline, file: FileRef): Promise<Counted> {
    const { read, frame, columns, cast } = await this.prepare(pipeline, file);
    try {
      const { parts, offsets } = await partsOf(
        cast === null ? frame : read.opened.frame,
        read,
        pipeline.transform.kind !== 'none',
        this.options.sliceRows ?? 0,
      );
      const context = this.checkContext(pipeline, file, cast, null);
      const partTallies: RuleTally[][] = [];
      let rows = 0;
      for (const [index, part] of parts.entries()) {
        const checked = await checkedPart(context, part, offsets[index] ?? 0);
        rows += checked.rows;
        partTallies.push([...checked.tallies, ...checked.rest()]);
      }
      return { rows, tallies: mergeTallies([...partTallies, context.fileRules.finish(columns)]) };
    } catch (error) {
      throw await readFailure(read, file.key, error, false);
    } finally {
      await read.opened.dispose();
    }
  }

  /** A file's rows, from its footer where it has one. */
  private async countRows(pipeline: ResolvedPipeline, file: FileRef): Promise<Counted> {
    const read = await readFile(this.store, file, pipeline.source, this.config.limits, pipeline.transform.kind !== 'none');
    try {
      if (read.footer !== null) return { rows: read.footer.rows, tallies: null };
      const result = await read.opened.frame.select(pl.len().alias('rows')).collect();
      return { rows: Number(result.getColumn('rows').get(0)), tallies: null };
    } catch (error) {
      throw await readFailure(read, file.key, error, false);
    } finally {
      await read.opened.dispose();
    }
  }
}

/**
 * Columns a JSON file's values were read into as their JSON text (see read/json-records.ts)
 * load as jsonb, and a Parquet file's UUIDs as uuid: still text or bytes when they come out of
 * the read (or a transform), they are typed `Json` or `Uuid`, ferry's own names for those.
 */
function markColumns(columns: FrameColumn[], read: ReadFile): FrameColumn[] {
  const json = new Set(read.opened.jsonColumns ?? []);
  const uuid = new Set(read.special?.uuid ?? []);
  if (json.size === 0 && uuid.size === 0) return columns;
  return columns.map((column) =>
    json.has(column.name) && column.dtype === 'String'
      ? { ...column, dtype: 'Json' }
      : uuid.has(column.name) && column.dtype === 'Binary'
        ? { ...column, dtype: 'Uuid' }
        : column,
  );
}

/** A table sink's columns must be able to become table columns (see checkColumns). */
function checkTableColumns(pipeline: ResolvedPipeline, file: FileRef, columns: readonly FrameColumn[]): void {
  if (pipeline.sink.kind !== 'table') return;
  checkColumns(file.key, columns, { key: pipeline.sink.key, reserved: pipeline.sink.lineage ? Object.values(LINEAGE_COLUMNS) : [] });
}

/**
 * The expressions that write an open file's rows for a wire spec, with the file's own lineage
 * values; made once per job and spec. Files of one layout share the columns' expressions:
 * nodejs-polars makes each expression a large JavaScript object, and making them anew cost
 * more than reading a small file.
 */
function wireOf(open: OpenJob, wire: WireSpec): pl.Expr[] {
  // The same expression objects for every part: expressions made anew for each slice kept
  // about 120 MiB more of Polars' memory alive on a 2 GiB file.
  const spec = JSON.stringify(wire);
  if (open.wire?.spec !== spec) {
    const lineage = wire.lineage
      ? wireExpressions([], wire.binary, {
          fileColumn: LINEAGE_COLUMNS.file,
          versionColumn: LINEAGE_COLUMNS.version,
          file: open.file.key,
          version: open.file.version,
        })
      : [];
    open.wire = { spec, expressions: [...columnExpressions(open.columns, wire.binary), ...lineage] };
  }
  return open.wire.expressions;
}

/**
 * `work` on each item in turn: each result, or its error (for the requests about several
 * files). Memory refused under limits.readerMemory is not one file's error: it fails the whole
 * request, so that the parent ends this reader (half its allocations may have failed) and
 * charges the file a reader crash (see readers/reader-pool.ts).
 */
async function eachSettled<T, R>(items: readonly T[], work: (item: T) => Promise<R>): Promise<EachResult<R>[]> {
  const results: EachResult<R>[] = [];
  for (const item of items) {
    try {
      results.push({ ok: true, value: await work(item) });
    } catch (thrown) {
      const error = coerceError(thrown);
      if (outOfMemory(error.message)) throw error;
      results.push({ ok: false, error: serializeError(error) });
    }
  }
  return results;
}

/** Records as structured clone can carry them (bigints as text; dates stay dates). */
function jsonSafe(records: Record<string, unknown>[]): Record<string, unknown>[] {
  return records.map((record) =>
    Object.fromEntries(Object.entries(record).map(([name, value]) => [name, typeof value === 'bigint' ? value.toString() : value])),
  );
}
