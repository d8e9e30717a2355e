/**
 * `ferry preview <file>`: one file through the pipeline's stages — read (with the same limits
 * as a load), transform, check — in a reader process, then prints the schema, the first rows
 * and the table it would create. It loads nothing and needs no database.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ResolvedConfig, ResolvedPipeline } from '../config/index.ts';
import { selectsKey } from '../discover/index.ts';
import { errorMessage, FerryError } from '../errors/index.ts';
import {
  addColumnSql,
  describeDrift,
  qualifiedTableName,
  type TableColumn,
  type TableDrift,
  type TableSink,
  tableColumns,
  tableColumnsFor,
  tableDrift,
} from '../load/index.ts';
import { createPool, createTableSql, embeddedDatabaseInfo, postgresType } from '../postgres/index.ts';
import { type PreviewResult, ReaderPool, readerLimitsOf } from '../readers/index.ts';
import { openObjectStore, versionIdentity } from '../storage/index.ts';
import { noSuchPipeline } from './context.ts';
import { formatCount, printBlock, printJson, printLine } from './output.ts';

export async function preview(
  config: ResolvedConfig,
  file: string,
  options: { pipeline?: string; rows: number; json?: boolean; checks?: boolean },
): Promise<void> {
  const pipeline = options.pipeline === undefined ? pipelineFor(config, file) : config.pipelines.find((p) => p.name === options.pipeline);
  if (pipeline === undefined) {
    throw noSuchPipeline(config, options.pipeline ?? '');
  }

  // A local file given by path is read as it is (the reader gets that folder as its storage);
  // anything else is a key in the pipeline's storage.
  let origin = config.origin;
  let key = file;
  if (fs.existsSync(file) && fs.statSync(file).isFile()) {
    const folder = path.dirname(path.resolve(file));
    origin = { ...origin, flags: { ...origin.flags, storage: folder } };
    key = path.basename(file);
  }
  const store = openObjectStore(origin === config.origin ? config.storage : { kind: 'fs', root: path.dirname(path.resolve(file)) }, config.stores);
  const object = await store.stat(key);
  if (object === null)
    throw new FerryError(
      'FILE_NOT_FOUND',
      `${file} is neither a local file nor a key in ${config.storage.kind === 'fs' ? config.storage.root : 'the storage'}`,
    );

  const readers = new ReaderPool(origin);
  readers.setLimits(readerLimitsOf(config), (message) => process.stderr.write(`ferry: ${message}\n`));
  let result: PreviewResult;
  try {
    const file = { key, version: versionIdentity(object), size: object.size, etag: object.etag };
    result = await readers.withReader((reader) =>
      reader.call('preview', { pipeline: pipeline.name, file, rows: options.rows, checks: options.checks === true }, `previewing ${key}`),
    );
  } finally {
    await readers.close();
  }

  const sink = pipeline.sink.kind === 'table' ? pipeline.sink : null;
  const schema = result.columns.map((column) => ({ column: column.name, polars: readableType(column.dtype), postgres: safeType(column) }));
  const table = sink === null ? null : await tablePlan(config, sink, result.columns);
  if (options.json) {
    printJson({
      pipeline: pipeline.name,
      file,
      format: result.format,
      rows: result.rows,
      schema,
      inferred: result.inferred,
      head: result.head,
      ddl: table?.ddl ?? null,
      table: table === null ? null : { name: table.name, exists: table.exists, outcome: table.outcome, drift: table.drift },
      checks: result.checks,
      loadable: result.loadable,
    });
    return;
  }
  const after = result.transformed ? ' after the transform' : '';
  // The file's name, its columns' names and its values are the file's: printed terminal-safe.
  printLine(
    `pipeline ${pipeline.name}, ${file} (${result.format}): ${formatCount(result.rows)} ${result.rows === 1 ? 'row' : 'rows'}${after}${pipeline.checks.length > 0 ? ', before the checks' : ''}`,
  );
  printLine('\nschema:');
  for (const column of schema) printLine(`  ${column.column}: ${column.polars} → ${column.postgres}`);
  if (result.inferred.length > 0) {
    printLine('\ninferred:');
    for (const decision of result.inferred)
      printLine(`  ${decision.column === null ? decision.type : `${decision.column}: ${decision.type}`}, ${decision.reason}`);
  }
  printLine(`\nfirst ${Math.min(options.rows, result.rows)} rows:`);
  printBlock(result.table);
  if (table === null) printLine(`\nsink: row-count (one etl_results row with ${formatCount(result.rows)})`);
  else {
    printLine(`\ntable ${table.name}: ${table.outcome}`);
    if (table.drift !== null) for (const line of describeDrift(table.drift)) printLine(`  ${line}`);
    if (table.ddl !== null) printBlock(table.ddl);
  }
  if (options.checks) {
    if (result.checks === null) printLine('\nchecks: the pipeline has none');
    else {
      printLine('\nchecks (nothing loaded):');
      for (const check of result.checks) {
        const samples = check.samples.length > 0 ? ` e.g. ${JSON.stringify(check.samples.slice(0, 5))}` : '';
        // A file rule (rowCount, freshness, …) judges the file once: its detail says what it found.
        const counted = FILE_RULES.has(check.rule) ? '' : `: ${formatCount(check.failing)} of ${formatCount(check.total)} rows failing`;
        printLine(`  ${check.outcome.padEnd(11)} ${check.id}${counted}${check.detail ? ` (${check.detail})` : ''}${samples}`);
      }
      if (result.loadable !== null)
        printLine(
          `a load would load ${formatCount(result.loadable.rows)} ${result.loadable.rows === 1 ? 'row' : 'rows'}${result.loadable.rejected > 0 ? ` and reject ${formatCount(result.loadable.rejected)} (into its rejects table)` : ''}`,
        );
    }
  }
}

/** Rules that judge the whole file once, not row by row. */
const FILE_RULES: ReadonlySet<string> = new Set(['unique', 'rowCount', 'freshness', 'columns']);

/**
 * A Polars type as a person reads it: `Datetime(us,)` (no time zone) is `Datetime(us)`,
 * `Datetime(us,UTC)` is `Datetime(us, UTC)`.
 */
export function readableType(dtype: string): string {
  return dtype.replace(/,\)/g, ')').replace(/,(?=\S)/g, ', ');
}

interface TablePlan {
  /** Quoted and qualified. */
  readonly name: string;
  /** null: not known (no database to ask). */
  readonly exists: boolean | null;
  /** What the first load does to the table, in words. */
  readonly outcome: string;
  readonly drift: TableDrift | null;
  /** The statements it would run, or null. */
  readonly ddl: string | null;
}

/**
 * What a load of these columns does to the sink's table: create it, load as it is, add the new
 * columns (schemaDrift: evolve) or quarantine the file (strict). The table is looked up when a
 * database is at hand (DATABASE_URL, or the embedded one while it runs); preview starts none.
 */
async function tablePlan(config: ResolvedConfig, sink: TableSink, columns: PreviewResult['columns']): Promise<TablePlan> {
  const name = qualifiedTableName(sink);
  const wanted = tableColumnsFor(sink, columns);
  const create = `${createTableSql(name, wanted, sink.mode === 'merge' ? sink.key : [])};`;
  const existing = await existingColumns(config, sink);
  if (existing === undefined)
    return { name, exists: null, outcome: 'created by the first load if it does not exist (no database running to look it up)', drift: null, ddl: create };
  if (existing === null) return { name, exists: false, outcome: 'does not exist: the first load creates it', drift: null, ddl: create };
  const drift = tableDrift(wanted, existing);
  const differs = drift.added.length + drift.changed.length + drift.missing.length > 0;
  if (!differs)
    return { name, exists: true, outcome: `exists with these columns: the file loads into it as it is (mode ${sink.mode})`, drift: null, ddl: null };
  if (sink.schemaDrift === 'strict')
    return {
      name,
      exists: true,
      outcome: 'exists with other columns, and schemaDrift is strict: the file would be quarantined (SCHEMA_MISMATCH)',
      drift,
      ddl: null,
    };
  const ddl = drift.added.length === 0 ? null : drift.added.map((column) => `${addColumnSql(name, column)};`).join('\n');
  const parts = [
    drift.added.length > 0 ? `the load adds ${drift.added.length === 1 ? 'a column' : `${drift.added.length} columns`} (schemaDrift: evolve)` : '',
    drift.missing.length > 0 ? `columns the file lacks are left NULL in its rows` : '',
    drift.changed.length > 0 ? `a column whose type differs takes the file's values as the table's type, or the load fails (LOAD_REJECTED)` : '',
  ].filter(Boolean);
  return { name, exists: true, outcome: `exists with other columns: ${parts.join('; ')}`, drift, ddl };
}

/** The table's columns; null when it does not exist; undefined when no database is at hand to ask. */
async function existingColumns(config: ResolvedConfig, sink: TableSink): Promise<TableColumn[] | null | undefined> {
  const embedded = config.databaseUrl === null ? embeddedDatabaseInfo(config.dataDir) : null;
  const url = config.databaseUrl ?? (embedded?.running ? embedded.connectionString : null);
  if (url === null) return undefined;
  const pool = createPool(url, 1);
  try {
    const client = await pool.connect();
    try {
      return await tableColumns(client, sink);
    } finally {
      client.release();
    }
  } catch {
    // An unreachable database is not the preview's business: the table is then not looked up.
    return undefined;
  } finally {
    await pool.end();
  }
}

/**
 * The pipeline a file belongs to: the first whose source (prefix and glob, whatever the time
 * window) selects it, as a key or by its name; else the first table pipeline, else the first.
 */
function pipelineFor(config: ResolvedConfig, file: string): ResolvedPipeline | undefined {
  const candidates = [file, path.basename(file)];
  const selects = (pipeline: ResolvedPipeline) => candidates.some((key) => selectsKey(pipeline.source, key));
  return config.pipelines.find(selects) ?? config.pipelines.find((p) => p.sink.kind === 'table') ?? config.pipelines[0];
}

function safeType(column: Parameters<typeof postgresType>[0]): string {
  try {
    return postgresType(column);
  } catch (error) {
    return `(refused: ${errorMessage(error)})`;
  }
}
