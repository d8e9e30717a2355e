/**
 * `ferry preview <file>`: reads one file, applies the pipeline's transform, and prints the
 * schema, the first rows and the table it would create. It loads nothing and needs no database.
 */
import fs from 'node:fs';
import path from 'node:path';
import type pl from 'nodejs-polars';
import type { ResolvedConfig, TableSinkConfig } from '../config/index.ts';
import { FerryError } from '../errors.ts';
import { scanFrame } from '../formats/index.ts';
import { applyTransform, formatFor, qualifiedTableName } from '../pipeline/index.ts';
import { createTableSql, dtypeText, postgresType } from '../postgres/index.ts';
import { openObjectStore, type ReadTarget } from '../storage/index.ts';
import { printJson } from './output.ts';

export async function preview(config: ResolvedConfig, file: string, options: { pipeline?: string; rows: number; json?: boolean }): Promise<void> {
  const pipeline =
    options.pipeline === undefined
      ? (config.pipelines.find((p) => p.sink.kind === 'table') ?? config.pipelines[0])
      : config.pipelines.find((p) => p.name === options.pipeline);
  if (pipeline === undefined) throw new FerryError('CONFIG_INVALID', `--pipeline: no pipeline named ${options.pipeline}`);
  const sink: TableSinkConfig | null = pipeline.sink.kind === 'table' ? pipeline.sink : null;

  // A local file given by path is read as it is; anything else is a key in the pipeline's storage.
  let target: ReadTarget;
  if (fs.existsSync(file) && fs.statSync(file).isFile()) target = { kind: 'path', path: path.resolve(file) };
  else target = openObjectStore(config.storage, config.s3).readTarget(file);
  if (target.kind === 'operator') throw new FerryError('FILE_UNREADABLE', 'preview reads local folders and S3 only for now', { step: 'read' });

  const format = formatFor(sink, file);
  const scanned = scanFrame(target, format, sink?.csv ?? {});
  const result = await (sink === null ? scanned : applyTransform(sink, scanned)).collect();

  const schema = (Object.entries(result.schema) as [string, pl.DataType][]).map(([column, dtype]) => ({
    column,
    polars: dtypeText(dtype),
    postgres: postgresType(column, dtype),
  }));
  const ddl = sink === null ? null : `${createTableSql(qualifiedTableName(sink), result.schema)};`;
  if (options.json) {
    printJson({ pipeline: pipeline.name, file, format, rows: result.height, schema, head: result.head(options.rows).toRecords(), ddl });
    return;
  }
  process.stdout.write(`pipeline ${pipeline.name}, ${file} (${format}): ${result.height} rows after the transform\n\nschema:\n`);
  for (const column of schema) process.stdout.write(`  ${column.column}: ${column.polars} → ${column.postgres}\n`);
  process.stdout.write(`\nfirst ${Math.min(options.rows, result.height)} rows:\n${result.head(options.rows).toString()}\n`);
  process.stdout.write(ddl === null ? `\nsink: row-count (one etl_results row with ${result.height})\n` : `\ntable:\n${ddl}\n`);
}
