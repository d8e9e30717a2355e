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
import { qualifiedTableName, tableColumnsFor } from '../load/index.ts';
import { createTableSql, postgresType } from '../postgres/index.ts';
import { type PreviewResult, ReaderPool, readerLimitsOf } from '../readers/index.ts';
import { openObjectStore, versionIdentity } from '../storage/index.ts';
import { noSuchPipeline } from './context.ts';
import { printBlock, printJson, printLine } from './output.ts';

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
  const store = openObjectStore(origin === config.origin ? config.storage : { kind: 'fs', root: path.dirname(path.resolve(file)) }, config.s3);
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
  const schema = result.columns.map((column) => ({ column: column.name, polars: column.dtype, postgres: safeType(column) }));
  const ddl =
    sink === null ? null : `${createTableSql(qualifiedTableName(sink), tableColumnsFor(sink, result.columns), sink.mode === 'merge' ? sink.key : [])};`;
  if (options.json) {
    printJson({
      pipeline: pipeline.name,
      file,
      format: result.format,
      rows: result.rows,
      schema,
      inferred: result.inferred,
      head: result.head,
      ddl,
      checks: result.checks,
    });
    return;
  }
  const after = result.transformed ? ' after the transform' : '';
  // The file's name, its columns' names and its values are the file's: printed terminal-safe.
  printLine(`pipeline ${pipeline.name}, ${file} (${result.format}): ${result.rows} ${result.rows === 1 ? 'row' : 'rows'}${after}`);
  printLine('\nschema:');
  for (const column of schema) printLine(`  ${column.column}: ${column.polars} → ${column.postgres}`);
  if (result.inferred.length > 0) {
    printLine('\ninferred:');
    for (const decision of result.inferred)
      printLine(`  ${decision.column === null ? decision.type : `${decision.column}: ${decision.type}`}, ${decision.reason}`);
  }
  printLine(`\nfirst ${Math.min(options.rows, result.rows)} rows:`);
  printBlock(result.table);
  if (ddl === null) printLine(`\nsink: row-count (one etl_results row with ${result.rows})`);
  else printBlock(`\ntable:\n${ddl}`);
  if (options.checks) {
    if (result.checks === null) printLine('\nchecks: the pipeline has none');
    else {
      printLine('\nchecks (nothing loaded):');
      for (const check of result.checks) {
        const samples = check.samples.length > 0 ? ` e.g. ${JSON.stringify(check.samples.slice(0, 5))}` : '';
        printLine(`  ${check.outcome.padEnd(11)} ${check.id}: ${check.failing} of ${check.total}${check.detail ? ` (${check.detail})` : ''}${samples}`);
      }
    }
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
