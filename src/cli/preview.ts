/**
 * `ferry preview <file>`: reads one file, applies the pipeline's transform, and prints the
 * schema, the first rows and the table it would create. It loads nothing and needs no database.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ResolvedConfig, TableSinkConfig } from '../config/index.ts';
import { errorMessage, FerryError } from '../errors.ts';
import { applyPolarsDefaults, describeFormat, openFrame } from '../formats/index.ts';
import { applyTransform, outputColumns, polarsError, qualifiedTableName, readOptionsFor, tableColumnsFor } from '../pipeline/index.ts';
import { createTableSql, postgresType } from '../postgres/index.ts';
import { type ObjectStore, openObjectStore } from '../storage/index.ts';
import { printJson } from './output.ts';

export async function preview(config: ResolvedConfig, file: string, options: { pipeline?: string; rows: number; json?: boolean }): Promise<void> {
  const pipeline =
    options.pipeline === undefined
      ? (config.pipelines.find((p) => p.sink.kind === 'table') ?? config.pipelines[0])
      : config.pipelines.find((p) => p.name === options.pipeline);
  if (pipeline === undefined) throw new FerryError('CONFIG_INVALID', `--pipeline: no pipeline named ${options.pipeline}`);
  const sink: TableSinkConfig | null = pipeline.sink.kind === 'table' ? pipeline.sink : null;

  // A local file given by path is read as it is; anything else is a key in the pipeline's storage.
  let store: ObjectStore;
  let key = file;
  if (fs.existsSync(file) && fs.statSync(file).isFile()) {
    store = openObjectStore({ kind: 'fs', root: path.dirname(path.resolve(file)) }, config.s3);
    key = path.basename(file);
  } else store = openObjectStore(config.storage, config.s3);

  applyPolarsDefaults();
  const readOptions = readOptionsFor(sink, file, config.limits);
  const format = describeFormat(readOptions);
  const opened = await openFrame(store, key, readOptions);
  let result: Awaited<ReturnType<typeof opened.frame.collect>>;
  let columns: ReturnType<typeof outputColumns>;
  try {
    const frame = sink === null ? opened.frame : applyTransform(sink, opened.frame);
    columns = outputColumns(frame);
    result = await frame.collect();
  } catch (error) {
    throw polarsError(file, sink?.transform || sink?.sql ? 'transform' : 'read', `could not be read as ${format} and transformed`, error);
  } finally {
    await opened.dispose();
  }

  const schema = columns.map((column) => ({ column: column.name, polars: column.dtype, postgres: safeType(column) }));
  const ddl = sink === null ? null : `${createTableSql(qualifiedTableName(sink), tableColumnsFor(sink, columns), sink.mode === 'merge' ? sink.key : [])};`;
  if (options.json) {
    printJson({ pipeline: pipeline.name, file, format, rows: result.height, schema, head: result.head(options.rows).toRecords(), ddl });
    return;
  }
  process.stdout.write(`pipeline ${pipeline.name}, ${file} (${format}): ${result.height} rows after the transform\n\nschema:\n`);
  for (const column of schema) process.stdout.write(`  ${column.column}: ${column.polars} → ${column.postgres}\n`);
  process.stdout.write(`\nfirst ${Math.min(options.rows, result.height)} rows:\n${result.head(options.rows).toString()}\n`);
  process.stdout.write(ddl === null ? `\nsink: row-count (one etl_results row with ${result.height})\n` : `\ntable:\n${ddl}\n`);
}

function safeType(column: Parameters<typeof postgresType>[0]): string {
  try {
    return postgresType(column);
  } catch (error) {
    return `(refused: ${errorMessage(error)})`;
  }
}
