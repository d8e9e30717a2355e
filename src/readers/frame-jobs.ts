/**
 * What a reader process does with a file: the stages read → transform → check that need
 * Polars, and the writes of rows for COPY. Runs only in reader processes, where a native
 * crash costs one file, never the service.
 */
import pl from 'nodejs-polars';
import { checkColumns } from '../check/index.ts';
import type { ResolvedConfig, ResolvedPipeline } from '../config/index.ts';
import { FerryError } from '../errors/index.ts';
import { LINEAGE_COLUMNS, type WireSpec, wireExpressions } from '../load/index.ts';
import { bytesPerRow, outputColumns } from '../polars/index.ts';
import type { FrameColumn } from '../postgres/index.ts';
import { describeFormat, type ReadFile, readFailure, readFile } from '../read/index.ts';
import type { ObjectStore } from '../storage/index.ts';
import { applyTransform } from '../transform/index.ts';
import type { FileRef, OpenResult, PreviewResult } from './protocol.ts';

interface OpenJob {
  readonly file: FileRef;
  readonly read: ReadFile;
  readonly columns: readonly FrameColumn[];
  readonly parts: readonly pl.LazyDataFrame[];
  readonly transformed: boolean;
  /** The wire expressions of the file's parts, made once per wire spec (see write). */
  wire: { readonly spec: string; readonly expressions: pl.Expr[] } | null;
}

/** Rows per slice are chosen so that a slice holds about this much decoded data. */
const SLICE_BYTES = 16 * 2 ** 20;

export class FrameJobs {
  private readonly jobs = new Map<number, OpenJob>();
  private readonly config: ResolvedConfig;
  private readonly store: ObjectStore;

  constructor(config: ResolvedConfig, store: ObjectStore) {
    this.config = config;
    this.store = store;
  }

  private pipeline(name: string): ResolvedPipeline {
    const found = this.config.pipelines.find((p) => p.name === name);
    if (found === undefined) throw new FerryError('INTERNAL', `the reader has no pipeline named ${name}`);
    return found;
  }

  /** Read, transform, the columns it gives, and the checks on them. */
  private async prepare(pipeline: ResolvedPipeline, file: FileRef): Promise<{ read: ReadFile; frame: pl.LazyDataFrame; columns: FrameColumn[] }> {
    const read = await readFile(this.store, file, pipeline.source, this.config.limits);
    try {
      const transformed = pipeline.transform.kind !== 'none';
      const frame = applyTransform(pipeline.transform, read.opened.frame, file.key);
      let columns: FrameColumn[];
      try {
        columns = outputColumns(frame);
      } catch (error) {
        throw await readFailure(read, file.key, error, transformed);
      }
      if (pipeline.sink.kind === 'table') {
        checkColumns(file.key, columns, {
          key: pipeline.sink.key,
          reserved: pipeline.sink.lineage ? Object.values(LINEAGE_COLUMNS) : [],
        });
      }
      return { read, frame, columns };
    } catch (error) {
      await read.opened.dispose();
      throw error;
    }
  }

  async open(job: number, pipelineName: string, file: FileRef): Promise<OpenResult> {
    const pipeline = this.pipeline(pipelineName);
    const { read, frame, columns } = await this.prepare(pipeline, file);
    const transformed = pipeline.transform.kind !== 'none';
    try {
      const parts = !transformed && read.footer !== null ? await sliceRows(frame, read.footer.rows) : [frame];
      this.jobs.set(job, { file, read, columns, parts, transformed, wire: null });
      return { columns, partCount: parts.length };
    } catch (error) {
      await read.opened.dispose();
      throw await readFailure(read, file.key, error, transformed);
    }
  }

  async write(job: number, part: number, target: string, wire: WireSpec): Promise<void> {
    const open = this.jobs.get(job);
    const frame = open?.parts[part];
    if (open === undefined || frame === undefined) throw new FerryError('INTERNAL', `the reader has no open job ${job} with part ${part}`);
    // The same expression objects for every part: expressions made anew for each slice kept
    // about 120 MiB more of Polars' memory alive on a 2 GiB file.
    const spec = JSON.stringify(wire);
    if (open.wire?.spec !== spec) {
      const lineage = wire.lineage === null ? null : { fileColumn: LINEAGE_COLUMNS.file, versionColumn: LINEAGE_COLUMNS.version, ...wire.lineage };
      open.wire = { spec, expressions: wireExpressions(open.columns, wire.binary, lineage) };
    }
    const rows = frame.select(...open.wire.expressions);
    try {
      if (wire.binary) await rows.sinkIpc(target, { compatLevel: 'oldest', compression: 'uncompressed', maintainOrder: true }).collect();
      else await rows.sinkCSV(target, { includeHeader: false, maintainOrder: true }).collect();
    } catch (error) {
      throw await readFailure(open.read, open.file.key, error, open.transformed);
    }
  }

  async close(job: number): Promise<void> {
    const open = this.jobs.get(job);
    this.jobs.delete(job);
    await open?.read.opened.dispose();
  }

  /** Rows of a file whose format has no footer count: the whole file is scanned, nothing kept. */
  async count(pipelineName: string, file: FileRef): Promise<number> {
    const pipeline = this.pipeline(pipelineName);
    const read = await readFile(this.store, file, pipeline.source, this.config.limits);
    try {
      if (read.footer !== null) return read.footer.rows;
      const result = await read.opened.frame.select(pl.len().alias('rows')).collect();
      return Number(result.getColumn('rows').get(0));
    } catch (error) {
      throw await readFailure(read, file.key, error, false);
    } finally {
      await read.opened.dispose();
    }
  }

  async preview(pipelineName: string, file: FileRef, rows: number): Promise<PreviewResult> {
    const pipeline = this.pipeline(pipelineName);
    const { read, frame, columns } = await this.prepare(pipeline, file);
    const transformed = pipeline.transform.kind !== 'none';
    try {
      const result = await frame.collect();
      const head = result.head(rows);
      return { format: describeFormat(read.options), transformed, columns, rows: result.height, head: jsonSafe(head.toRecords()), table: head.toString() };
    } catch (error) {
      throw await readFailure(read, file.key, error, transformed);
    } finally {
      await read.opened.dispose();
    }
  }

  async closeAll(): Promise<void> {
    for (const job of [...this.jobs.keys()]) await this.close(job);
  }
}

/**
 * A Parquet file loaded as it is (no transform) is read in slices of rows, one Polars query
 * after the other (see load/copy-stream.ts), so that memory stays bounded whatever the file's
 * size: Polars' streaming engine reads ahead of a sink that waits on PostgreSQL, and on a
 * 2 GiB file that read-ahead alone passed 1.5 GB. A transform sees the whole file in one query
 * (an aggregate over slices would be wrong), so for transformed files memory is Polars' own.
 */
async function sliceRows(frame: pl.LazyDataFrame, total: number): Promise<pl.LazyDataFrame[]> {
  const sample = await frame.head(4096).collect();
  const perRow = Math.max(8, bytesPerRow(sample) ?? 256);
  const rows = Math.min(4_000_000, Math.max(65_536, Math.floor(SLICE_BYTES / perRow)));
  const parts: pl.LazyDataFrame[] = [];
  for (let offset = 0; offset < total; offset += rows) parts.push(frame.slice(offset, rows));
  return parts.length > 0 ? parts : [frame];
}

/** Records as structured clone can carry them (bigints as text; dates stay dates). */
function jsonSafe(records: Record<string, unknown>[]): Record<string, unknown>[] {
  return records.map((record) =>
    Object.fromEntries(Object.entries(record).map(([name, value]) => [name, typeof value === 'bigint' ? value.toString() : value])),
  );
}
