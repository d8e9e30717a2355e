/**
 * Loads a file's rows into a PostgreSQL table: open with Polars by format, transform (a function
 * `LazyFrame → LazyFrame` or Polars SQL over the table `source`), check the result against the
 * table, then stream it into COPY inside the ledger's transaction, so a file is loaded entirely
 * or not at all.
 *
 * - The table is created from the frame's schema when it is missing (a primary key on `key`
 *   in merge mode, an index on the lineage column in replace mode).
 * - Schema drift: `evolve` adds the file's new columns (nullable); `strict` quarantines a file
 *   whose columns or types differ from the table's, with the difference.
 * - Modes: `append` copies; `replace` first deletes the rows earlier versions of the same key
 *   loaded; `merge` copies into a temporary table and upserts on `key` (the last row of a key
 *   within a file wins).
 */

import pl from 'nodejs-polars';
import { LINEAGE_COLUMNS, type ResolvedConfig, type TableSinkConfig } from '../config/index.ts';
import { errorMessage, FerryError, type FileStep } from '../errors.ts';
import {
  type Compression,
  checkFileSize,
  checkParquetFooter,
  compressionOfKey,
  describeFormat,
  type FileFormat,
  findInvalidUtf8,
  formatOfKey,
  isTransientStoreError,
  type OpenedFrame,
  openFrame,
  type ReadOptions,
} from '../formats/index.ts';
import type { FileVersionRecord } from '../ledger/index.ts';
import {
  type ColumnDefinition,
  canonicalType,
  checkIdentifierLengths,
  copyExpression,
  createTableSql,
  type FrameColumn,
  frameColumns,
  isTransientDatabaseError,
  type PoolClient,
  postgresType,
  quoteIdentifier,
} from '../postgres/index.ts';
import { CopySideError, copyFrame } from './copy-stream.ts';
import { binaryExpression, binaryKind } from './pg-binary.ts';
import type { Sink } from './sink.ts';

/** First key of the advisory lock taken to create or alter a table ("Fert"). */
const TABLE_LOCK_NAMESPACE = 0x4665_7274;

export function qualifiedTableName(sink: Pick<TableSinkConfig, 'schema' | 'table'>): string {
  return sink.schema === null ? quoteIdentifier(sink.table) : `${quoteIdentifier(sink.schema)}.${quoteIdentifier(sink.table)}`;
}

/** The sink's format, else the one the key's extension names. */
export function formatFor(sink: Pick<TableSinkConfig, 'format'> | null, key: string): FileFormat {
  const format = sink?.format ?? formatOfKey(key);
  if (format === null) throw new FerryError('FILE_UNREADABLE', `${key}: the format is not known from its extension; set source.format`, { step: 'read' });
  return format;
}

export function readOptionsFor(sink: TableSinkConfig | null, key: string, limits: ResolvedConfig['limits']): ReadOptions {
  const compression: Compression = sink?.compression ?? compressionOfKey(key);
  return { format: formatFor(sink, key), compression, csv: sink?.csv ?? {}, maxDecompressedSize: limits.maxDecompressedSize };
}

/** The pipeline's transform function or SQL (over the table `source`), or the frame as it is. */
export function applyTransform(sink: Pick<TableSinkConfig, 'transform' | 'sql'>, frame: pl.LazyDataFrame): pl.LazyDataFrame {
  if (sink.transform !== null) return sink.transform(frame);
  if (sink.sql !== null) return pl.SQLContext({ source: frame }).execute(sink.sql);
  return frame;
}

/**
 * The columns a LazyFrame will produce, from a run of its plan on no rows (what Polars reads
 * to plan: a Parquet footer, a CSV's first lines). Fails as the full query would on a missing
 * column or a type error in the transform.
 */
export function outputColumns(frame: pl.LazyDataFrame): FrameColumn[] {
  const native = (frame as unknown as { _ldf: { fetchSync(rows: number): unknown } })._ldf.fetchSync(0);
  return frameColumns(pl._DataFrame(native));
}

/** A Polars error in reading or transforming: the store failing is transient; anything else is the file's. */
export function polarsError(key: string, step: FileStep, what: string, error: unknown): FerryError {
  const message = errorMessage(error);
  if (isTransientStoreError(message)) {
    return new FerryError('STORAGE_ERROR', `reading ${key} failed: ${message}`, { step: 'read', retryable: true, cause: error });
  }
  return new FerryError('FILE_UNREADABLE', `${key} ${what}: ${message}`, { step, cause: error });
}

/** As polarsError, and for a text file that is not UTF-8, the line and offset of its first bad byte. */
async function readFailure(opened: OpenedFrame, key: string, step: FileStep, what: string, error: unknown): Promise<FerryError> {
  if (/utf-?8/i.test(errorMessage(error))) {
    const found = await opened
      .bytes()
      .then(findInvalidUtf8)
      .catch(() => null);
    if (found !== null) {
      return new FerryError('FILE_UNREADABLE', `${key} is not valid UTF-8 at line ${found.line} (byte offset ${found.offset}): ${errorMessage(error)}`, {
        step: 'read',
        cause: error,
      });
    }
  }
  return polarsError(key, step, what, error);
}

export function tableSink(sink: TableSinkConfig): Sink {
  const table = qualifiedTableName(sink);
  const transformed = sink.transform !== null || sink.sql !== null;
  return {
    name: `table ${table}`,
    async prepare(store, file, limits) {
      const options = readOptionsFor(sink, file.key, limits);
      checkFileSize(file, limits);
      // A Parquet file's footer is checked before Polars reads it; its row count sizes the slices.
      const footer = options.format === 'parquet' && options.compression === 'none' ? await checkParquetFooter(store, file, limits) : null;
      const opened = await openFrame(store, file.key, options);
      try {
        let frame: pl.LazyDataFrame;
        try {
          frame = applyTransform(sink, opened.frame);
        } catch (error) {
          throw polarsError(file.key, 'transform', 'could not be transformed', error);
        }
        let columns: FrameColumn[];
        const what = transformed ? 'could not be transformed' : `could not be read as ${describeFormat(options)}`;
        try {
          columns = outputColumns(frame);
        } catch (error) {
          throw await readFailure(opened, file.key, transformed ? 'transform' : 'read', what, error);
        }
        checkColumns(sink, file.key, columns);
        const failed = (error: unknown) => readFailure(opened, file.key, transformed ? 'transform' : 'read', what, error);
        const parts = !transformed && footer !== null ? await sliceRows(frame, footer.rows) : [frame];
        return {
          load: (client) => loadFrame(client, sink, table, file, parts, columns, failed),
          dispose: () => opened.dispose(),
        };
      } catch (error) {
        await opened.dispose();
        throw error;
      }
    },
  };
}

/** Rows per slice are chosen so that a slice holds about this much decoded data. */
const SLICE_BYTES = 32 * 2 ** 20;

/**
 * A Parquet file loaded as it is (no transform) is read in slices of rows, one Polars query
 * after the other (see copyFrame), so that memory stays bounded whatever the file's size:
 * Polars' streaming engine reads ahead of a sink that waits on PostgreSQL, and on a 2 GiB
 * file that read-ahead alone passed 1.5 GB. A transform sees the whole file in one query (an
 * aggregate over slices would be wrong), so for transformed files memory is Polars' own.
 */
async function sliceRows(frame: pl.LazyDataFrame, total: number): Promise<pl.LazyDataFrame[]> {
  const sample = await frame.head(4096).collect();
  let bytesPerRow = 256;
  try {
    bytesPerRow = Math.max(8, (sample as unknown as { _df: { estimatedSize(): number } })._df.estimatedSize() / Math.max(1, sample.height));
  } catch {
    // keep the guess
  }
  const rows = Math.min(4_000_000, Math.max(65_536, Math.floor(SLICE_BYTES / bytesPerRow)));
  const parts: pl.LazyDataFrame[] = [];
  for (let offset = 0; offset < total; offset += rows) parts.push(frame.slice(offset, rows));
  return parts.length > 0 ? parts : [frame];
}

/** Checks that need only the frame's columns: known types, distinct names, the merge key, no clash with lineage. */
function checkColumns(sink: TableSinkConfig, key: string, columns: readonly FrameColumn[]): void {
  const check = (message: string) => new FerryError('FILE_UNREADABLE', `${key}: ${message}`, { step: 'check' });
  if (columns.length === 0) throw check('the frame to load has no columns');
  checkIdentifierLengths(columns.map((c) => c.name));
  for (const column of columns) postgresType(column);
  const names = new Set(columns.map((c) => c.name));
  const missingKey = sink.key.filter((k) => !names.has(k));
  if (missingKey.length > 0) throw check(`the merge key ${missingKey.join(', ')} is not among its columns (${[...names].join(', ')})`);
  if (sink.lineage) {
    const clash = Object.values(LINEAGE_COLUMNS).filter((name) => names.has(name));
    if (clash.length > 0) throw check(`its column ${clash.join(', ')} has the name of a lineage column`);
  }
}

async function loadFrame(
  client: PoolClient,
  sink: TableSinkConfig,
  table: string,
  file: FileVersionRecord,
  parts: readonly pl.LazyDataFrame[],
  columns: readonly FrameColumn[],
  readFailed: (error: unknown) => Promise<FerryError>,
): Promise<number> {
  const tableTypes = await prepareTable(client, sink, table, file.key, columns);

  // Binary COPY when every column has in the table the type ferry would give it (always, for
  // tables ferry created from such files); else CSV, whose text PostgreSQL converts to the
  // table's own types (int into numeric, text into an enum, …) or refuses naming line and column.
  const binary = tableColumnsFor(sink, columns)
    .filter((c) => c.name !== LINEAGE_COLUMNS.loadedAt)
    .every((c) => tableTypes.get(c.name) === canonicalType(c.type));
  // Columns in the form the encoding reads, then the lineage values (`_ferry_loaded_at` is
  // the column's default, now()).
  const expressions = columns.map((column) => (binary ? binaryExpression(column) : copyExpression(column)));
  const copyColumns = columns.map((c) => c.name);
  const kinds = columns.map(binaryKind);
  if (sink.lineage) {
    expressions.push(pl.lit(file.key).cast(pl.Utf8).alias(LINEAGE_COLUMNS.file), pl.lit(file.version).cast(pl.Utf8).alias(LINEAGE_COLUMNS.version));
    copyColumns.push(LINEAGE_COLUMNS.file, LINEAGE_COLUMNS.version);
    kinds.push('text', 'text');
  }
  const rows = parts.map((part) => part.select(...expressions));
  const columnList = copyColumns.map(quoteIdentifier).join(', ');
  const format = binary ? 'binary' : 'csv';

  const copy = async (target: string): Promise<number> => {
    try {
      return await copyFrame(
        client,
        `COPY ${target} (${columnList}) FROM STDIN WITH (FORMAT ${format})`,
        rows,
        binary ? { format: 'binary', kinds } : { format: 'csv' },
      );
    } catch (error) {
      if (error instanceof CopySideError && error.side === 'polars') throw await readFailed(error.cause);
      throw databaseError(`COPY into ${table} failed`, error instanceof CopySideError ? error.cause : error);
    }
  };

  switch (sink.mode) {
    case 'append':
      return copy(table);
    case 'replace':
      await client.query(`DELETE FROM ${table} WHERE ${quoteIdentifier(LINEAGE_COLUMNS.file)} = $1`, [file.key]);
      return copy(table);
    case 'merge': {
      const stage = 'pg_temp.ferry_merge_stage';
      const sequence = quoteIdentifier('_ferry_merge_seq');
      await client.query(`CREATE TEMPORARY TABLE ferry_merge_stage (LIKE ${table} INCLUDING DEFAULTS) ON COMMIT DROP`);
      await client.query(`ALTER TABLE ${stage} ADD COLUMN ${sequence} bigint GENERATED ALWAYS AS IDENTITY`);
      const rowCount = await copy(stage);
      const merged = sink.lineage ? [...copyColumns, LINEAGE_COLUMNS.loadedAt] : copyColumns;
      const list = merged.map(quoteIdentifier).join(', ');
      const keyList = sink.key.map(quoteIdentifier).join(', ');
      const updates = merged.filter((c) => !sink.key.includes(c)).map((c) => `${quoteIdentifier(c)} = EXCLUDED.${quoteIdentifier(c)}`);
      try {
        await client.query(
          `INSERT INTO ${table} (${list})
           SELECT DISTINCT ON (${keyList}) ${list} FROM ${stage} ORDER BY ${keyList}, ${sequence} DESC
           ON CONFLICT (${keyList}) DO ${updates.length > 0 ? `UPDATE SET ${updates.join(', ')}` : 'NOTHING'}`,
        );
      } catch (error) {
        throw databaseError(`merging into ${table} failed`, error);
      }
      return rowCount;
    }
  }
}

/** A PostgreSQL error during the load: transient ones (connection lost, deadlock) are retried; others are the file's. */
function databaseError(what: string, error: unknown): FerryError {
  const where = (error as { where?: unknown }).where;
  const message = `${what}: ${errorMessage(error)}${typeof where === 'string' ? ` (${where.split('\n')[0]})` : ''}`;
  return new FerryError(isTransientDatabaseError(error) ? 'DATABASE_UNREACHABLE' : 'FILE_UNREADABLE', message, {
    step: 'load',
    retryable: isTransientDatabaseError(error),
    cause: error,
  });
}

interface TableColumn {
  readonly name: string;
  readonly type: string;
}

async function tableColumns(client: PoolClient, table: string): Promise<TableColumn[] | null> {
  const found = await client.query<{ oid: string | null }>('SELECT to_regclass($1)::oid::text AS oid', [table]);
  const oid = found.rows[0]?.oid ?? null;
  if (oid === null) return null;
  const result = await client.query<TableColumn>(
    `SELECT attname AS name, format_type(atttypid, atttypmod) AS type
       FROM pg_attribute WHERE attrelid = $1::oid AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
    [oid],
  );
  return result.rows;
}

/** The table's columns for a frame's: their PostgreSQL types, then the lineage columns when on. */
export function tableColumnsFor(sink: Pick<TableSinkConfig, 'lineage'>, columns: readonly FrameColumn[]): ColumnDefinition[] {
  const definitions: ColumnDefinition[] = columns.map((c) => ({ name: c.name, type: postgresType(c) }));
  if (sink.lineage) {
    definitions.push(
      { name: LINEAGE_COLUMNS.file, type: 'text' },
      { name: LINEAGE_COLUMNS.version, type: 'text' },
      { name: LINEAGE_COLUMNS.loadedAt, type: 'timestamptz', extra: 'NOT NULL DEFAULT now()' },
    );
  }
  return definitions;
}

/** Creates the table, or checks the file against it and evolves it; returns the table's column types (PostgreSQL's spelling). */
async function prepareTable(
  client: PoolClient,
  sink: TableSinkConfig,
  table: string,
  key: string,
  columns: readonly FrameColumn[],
): Promise<Map<string, string>> {
  const wanted = tableColumnsFor(sink, columns);
  const lock = () => client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [TABLE_LOCK_NAMESPACE, table]);

  let existing = await tableColumns(client, table);
  if (existing === null) {
    // Workers loading their first files at once would race to create the table; the first
    // takes this lock (until its commit) and the others then find the table made.
    await lock();
    existing = await tableColumns(client, table);
    if (existing === null) {
      if (sink.schema !== null) await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(sink.schema)}`);
      await client.query(createTableSql(table, wanted, sink.mode === 'merge' ? sink.key : []));
      if (sink.lineage) await client.query(`CREATE INDEX ON ${table} (${quoteIdentifier(LINEAGE_COLUMNS.file)})`);
      return new Map(wanted.map((c) => [c.name, canonicalType(c.type)]));
    }
  }

  const have = new Map(existing.map((c) => [c.name, c.type]));
  const wantedNames = new Set(wanted.map((c) => c.name));
  const added = wanted.filter((c) => !have.has(c.name));
  const changed = wanted.filter((c) => have.has(c.name) && have.get(c.name) !== canonicalType(c.type));
  const missing = existing.filter((c) => !wantedNames.has(c.name));
  if (sink.schemaDrift === 'strict' && added.length + changed.length + missing.length > 0) {
    const diff = [
      ...added.map((c) => `+ ${c.name} ${c.type} (not in the table)`),
      ...missing.map((c) => `- ${c.name} ${c.type} (not in the file)`),
      ...changed.map((c) => `~ ${c.name}: table ${have.get(c.name)}, file ${canonicalType(c.type)}`),
    ];
    throw new FerryError('FILE_UNREADABLE', `${key} does not match the columns of ${table} (schemaDrift: strict): ${diff.join('; ')}`, { step: 'check' });
  }
  if (added.length > 0) {
    await lock();
    for (const column of added) {
      const extra = column.name === LINEAGE_COLUMNS.loadedAt ? ' DEFAULT now()' : '';
      await client.query(`ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS ${quoteIdentifier(column.name)} ${column.type}${extra}`);
    }
  }
  if (sink.mode === 'merge' && !(await hasUniqueIndex(client, table, sink.key))) {
    const keyList = sink.key.map(quoteIdentifier).join(', ');
    throw new FerryError(
      'FILE_UNREADABLE',
      `merge into ${table} needs a primary key or unique index on (${keyList}), and it has none; create one: CREATE UNIQUE INDEX ON ${table} (${keyList})`,
      { step: 'check' },
    );
  }
  for (const column of added) have.set(column.name, canonicalType(column.type));
  return have;
}

async function hasUniqueIndex(client: PoolClient, table: string, key: readonly string[]): Promise<boolean> {
  const result = await client.query(
    `SELECT 1 FROM pg_index i
      WHERE i.indrelid = to_regclass($1) AND i.indisunique AND i.indpred IS NULL
        AND (SELECT array_agg(a.attname::text ORDER BY a.attname::text COLLATE "C")
               FROM pg_attribute a WHERE a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)) = (SELECT array_agg(k ORDER BY k COLLATE "C") FROM unnest($2::text[]) k)`,
    [table, key],
  );
  return (result.rowCount ?? 0) > 0;
}
