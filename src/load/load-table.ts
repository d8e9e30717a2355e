/**
 * Loads a file's rows (or a batch's of small files) into its table, inside the transaction
 * that also records the files in the ledger: the table made ready (table-ddl.ts), then the
 * rows streamed into COPY in the mode's way — `append` copies; `replace` first deletes the rows
 * earlier versions of the same keys loaded; `merge` copies into a temporary table and upserts
 * on the key (the last row of a key wins: within a file, and in a batch the later file's).
 */
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import { databaseErrorCode, errorMessage, FerryError } from '../errors/index.ts';
import { canonicalType, type PoolClient, quoteIdentifier } from '../postgres/index.ts';
import { CopySideError, copyFrame } from './copy-stream.ts';
import { binaryKind } from './pg-binary.ts';
import { prepareRejectsTable, prepareTable, tableColumnsFor } from './table-ddl.ts';
import { LINEAGE_COLUMNS, type LoadResult, qualifiedRejectsName, qualifiedTableName, type RowSource, type TableSink } from './table-sink.ts';

export interface FileIdentity {
  readonly key: string;
  readonly version: string;
}

/**
 * Loads `rows` — one file's, or a batch's of files with the same columns, in one COPY — into
 * the sink's table on `client`, and the rows checks rejected into its rejects table (after the
 * good rows, in the same transaction).
 */
export async function loadTable<Report>(
  client: PoolClient,
  sink: TableSink,
  files: readonly FileIdentity[],
  rows: RowSource<Report>,
): Promise<LoadResult<Report>> {
  const rejectsDir = rows.checked ? await fs.mkdtemp(path.join(os.tmpdir(), 'ferry-copy-rejects-')) : null;
  try {
    const reports: Report[] = [];
    const copied = await loadRows(client, sink, files, rows, rejectsDir, reports);
    const rejected = rejectsDir === null ? 0 : await loadRejects(client, sink, files, rejectsDir);
    return { rows: copied, rejected, parts: reports };
  } finally {
    if (rejectsDir !== null) await fs.rm(rejectsDir, { recursive: true, force: true });
  }
}

/** The rejected rows the reader wrote (CSV, one file per part), copied into the rejects table; returns how many. */
async function loadRejects(client: PoolClient, sink: TableSink, files: readonly FileIdentity[], dir: string): Promise<number> {
  const what = describeFiles(files);
  // By part, then by file (`part-<p>-file-<f>.csv`): the order the rows were read.
  const written = (await fs.readdir(dir)).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const table = qualifiedRejectsName(sink);
  if (sink.mode === 'replace' || written.length > 0) await prepareRejectsTable(client, sink);
  // A new version of a file replaces its earlier rejects as it replaces its rows.
  if (sink.mode === 'replace') await client.query(`DELETE FROM ${table} WHERE ${quoteIdentifier(LINEAGE_COLUMNS.file)} = ANY($1::text[])`, [keysOf(files)]);
  if (written.length === 0) return 0;
  const copy = client.query(copyFrom(`COPY ${table} (_ferry_file, _ferry_version, row_number, rules, "values") FROM STDIN WITH (FORMAT csv)`));
  async function* contents() {
    for (const name of written) yield* createReadStream(path.join(dir, name), { highWaterMark: 1 << 20 });
  }
  try {
    await pipeline(contents(), copy);
  } catch (error) {
    throw databaseError(`${what}: COPY into ${table} failed`, error);
  }
  return copy.rowCount;
}

function keysOf(files: readonly FileIdentity[]): string[] {
  return files.map((file) => file.key);
}

/** The file's key, or for a batch how many files and the first and last key. */
function describeFiles(files: readonly FileIdentity[]): string {
  const first = files[0]?.key ?? '';
  return files.length === 1 ? first : `a batch of ${files.length} files (${first} … ${files[files.length - 1]?.key})`;
}

async function loadRows<Report>(
  client: PoolClient,
  sink: TableSink,
  files: readonly FileIdentity[],
  rows: RowSource<Report>,
  rejectsDir: string | null,
  reports: Report[],
): Promise<number> {
  const table = qualifiedTableName(sink);
  const { columns } = rows;
  const what = describeFiles(files);
  const tableTypes = await prepareTable(client, sink, table, what, columns);

  // Binary COPY when every column has in the table the type ferry would give it (always, for
  // tables ferry created from such files); else CSV, whose text PostgreSQL converts to the
  // table's own types (int into numeric, text into an enum, …) or refuses naming line and column.
  const binary = tableColumnsFor(sink, columns)
    .filter((c) => c.name !== LINEAGE_COLUMNS.loadedAt)
    .every((c) => tableTypes.get(c.name) === canonicalType(c.type));
  // The file's columns, then the lineage values (`_ferry_loaded_at` is the column's default, now()).
  const copyColumns = columns.map((c) => c.name);
  const kinds = columns.map(binaryKind);
  if (sink.lineage) {
    copyColumns.push(LINEAGE_COLUMNS.file, LINEAGE_COLUMNS.version);
    kinds.push('text', 'text');
  }
  const wire = { binary, lineage: sink.lineage };
  const columnList = copyColumns.map(quoteIdentifier).join(', ');
  const format = binary ? 'binary' : 'csv';

  const copy = async (target: string): Promise<number> => {
    try {
      return await copyFrame(
        client,
        `COPY ${target} (${columnList}) FROM STDIN WITH (FORMAT ${format})`,
        {
          count: rows.partCount,
          write: async (part, target) => {
            reports[part] = await rows.write(part, target, wire, rejectsDir);
          },
          ...(rows.onRows ? { onRows: rows.onRows } : {}),
          ...(rows.onNulls ? { onNulls: rows.onNulls } : {}),
        },
        binary ? { format: 'binary', kinds } : { format: 'csv' },
      );
    } catch (error) {
      // The reader's failure is already a FerryError (read, transform, or the reader's death);
      // so is the encoder's refusal of a value (VALUE_TOO_LARGE).
      if (error instanceof CopySideError && error.side === 'polars') throw error.cause;
      const cause = error instanceof CopySideError ? error.cause : error;
      if (cause instanceof FerryError) throw new FerryError(cause.code, `${what}: ${cause.message}`, { step: cause.step, cause });
      throw databaseError(`${what}: COPY into ${table} failed`, error instanceof CopySideError ? error.cause : error);
    }
  };

  switch (sink.mode) {
    case 'append':
      return copy(table);
    case 'replace':
      await client.query(`DELETE FROM ${table} WHERE ${quoteIdentifier(LINEAGE_COLUMNS.file)} = ANY($1::text[])`, [keysOf(files)]);
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
        throw databaseError(`${what}: merging into ${table} failed`, error);
      }
      return rowCount;
    }
  }
}

/** A PostgreSQL error during the load: transient ones (connection lost, deadlock) are retried; others are the rows'. */
function databaseError(what: string, error: unknown): FerryError {
  const where = (error as { where?: unknown }).where;
  const message = `${what}: ${errorMessage(error)}${typeof where === 'string' ? ` (${where.split('\n')[0]})` : ''}`;
  return new FerryError(databaseErrorCode(error), message, { cause: error });
}
