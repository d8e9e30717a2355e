/**
 * Loads a file's rows into a PostgreSQL table: read with Polars by format, transform (a
 * function `LazyFrame → LazyFrame` or Polars SQL over the table `source`), then COPY FROM STDIN
 * in the ledger's transaction, so a file is loaded entirely or not at all. The table is created
 * from the frame's schema when it is missing. (Append mode.)
 */

import { Readable } from 'node:stream';
import { pipeline as streamPipeline } from 'node:stream/promises';
import pl from 'nodejs-polars';
import { from as copyFrom } from 'pg-copy-streams';
import type { TableSinkConfig } from '../config/index.ts';
import { errorMessage, FerryError } from '../errors.ts';
import { checkFileSize, checkParquetEnvelope, type FileFormat, formatOfKey, scanFrame } from '../formats/index.ts';
import { checkIdentifierLengths, createTableSql, quoteIdentifier } from '../postgres/index.ts';
import type { Sink } from './sink.ts';

/** First key of the advisory lock taken to create a table ("Fert"). */
const TABLE_LOCK_NAMESPACE = 0x4665_7274;

/** Rows per COPY slice: the CSV text of one slice is all that is held at once beside the frame. */
const SLICE_ROWS = 50_000;

export function qualifiedTableName(sink: TableSinkConfig): string {
  return sink.schema === null ? quoteIdentifier(sink.table) : `${quoteIdentifier(sink.schema)}.${quoteIdentifier(sink.table)}`;
}

/** The sink's format, else the one the key's extension names. */
export function formatFor(sink: Pick<TableSinkConfig, 'format'> | null, key: string): FileFormat {
  const format = sink?.format ?? formatOfKey(key);
  if (format === null) throw new FerryError('FILE_UNREADABLE', `${key}: the format is not known from its extension; set source.format`, { step: 'read' });
  return format;
}

/** The pipeline's transform function or SQL (over the table `source`), or the frame as it is. */
export function applyTransform(sink: Pick<TableSinkConfig, 'transform' | 'sql'>, frame: pl.LazyDataFrame): pl.LazyDataFrame {
  if (sink.transform !== null) return sink.transform(frame);
  if (sink.sql !== null) return pl.SQLContext({ source: frame }).execute(sink.sql);
  return frame;
}

export function tableSink(sink: TableSinkConfig): Sink {
  const table = qualifiedTableName(sink);
  return {
    name: `table ${table}`,
    async read(store, file, limits) {
      const format = formatFor(sink, file.key);
      const target = store.readTarget(file.key);
      if (target.kind === 'operator') throw new FerryError('FILE_UNREADABLE', 'table loads read from local folders and S3 only for now', { step: 'read' });
      checkFileSize(file, limits);
      if (format === 'parquet') await checkParquetEnvelope(store, file, limits);
      let frame: pl.LazyDataFrame;
      try {
        frame = scanFrame(target, format, sink.csv);
      } catch (error) {
        throw new FerryError('FILE_UNREADABLE', `${file.key} could not be read as ${format}: ${errorMessage(error)}`, { step: 'read', cause: error });
      }
      try {
        frame = applyTransform(sink, frame);
      } catch (error) {
        throw new FerryError('FILE_UNREADABLE', `the transform failed on ${file.key}: ${errorMessage(error)}`, { step: 'transform', cause: error });
      }
      try {
        const collected = await frame.collect();
        return { rows: collected.height, frame: collected };
      } catch (error) {
        const step = sink.transform !== null || sink.sql !== null ? 'transform' : 'read';
        throw new FerryError('FILE_UNREADABLE', `${file.key} could not be ${step === 'read' ? `read as ${format}` : 'transformed'}: ${errorMessage(error)}`, {
          step,
          cause: error,
        });
      }
    },
    async load(client, _file, read) {
      const frame = read.frame;
      if (frame === undefined) throw new Error('table sink: no frame to load');
      checkIdentifierLengths(frame.columns);
      const exists = await client.query<{ found: string | null }>('SELECT to_regclass($1)::text AS found', [table]);
      if (exists.rows[0]?.found === null) {
        // Workers loading their first files at once would race to create the table; the
        // first takes this lock (until its commit) and the others then find the table made.
        await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [TABLE_LOCK_NAMESPACE, table]);
        if (sink.schema !== null) await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(sink.schema)}`);
        await client.query(createTableSql(table, frame.schema));
      }
      const columns = frame.columns.map(quoteIdentifier).join(', ');
      const copy = client.query(copyFrom(`COPY ${table} (${columns}) FROM STDIN WITH (FORMAT csv)`));
      const slices = (function* () {
        for (let offset = 0; offset < frame.height; offset += SLICE_ROWS) {
          yield frame.slice(offset, SLICE_ROWS).writeCSV({ includeHeader: false });
        }
      })();
      await streamPipeline(Readable.from(slices), copy);
    },
  };
}
