/**
 * Loads one file's rows into its table, inside the transaction that also records the file in
 * the ledger: the table made ready (table-ddl.ts), then the rows streamed into COPY in the
 * mode's way — `append` copies; `replace` first deletes the rows earlier versions of the same
 * key loaded; `merge` copies into a temporary table and upserts on the key (the last row of a
 * key within a file wins).
 */
import { databaseErrorCode, errorMessage, FerryError } from '../errors/index.ts';
import { canonicalType, type PoolClient, quoteIdentifier } from '../postgres/index.ts';
import { CopySideError, copyFrame } from './copy-stream.ts';
import { binaryKind } from './pg-binary.ts';
import { prepareTable, tableColumnsFor } from './table-ddl.ts';
import { LINEAGE_COLUMNS, qualifiedTableName, type RowSource, type TableSink } from './table-sink.ts';

export interface FileIdentity {
  readonly key: string;
  readonly version: string;
}

/** Loads `rows` into the sink's table on `client`; returns the rows copied. */
export async function loadTable(client: PoolClient, sink: TableSink, file: FileIdentity, rows: RowSource): Promise<number> {
  const table = qualifiedTableName(sink);
  const { columns } = rows;
  const tableTypes = await prepareTable(client, sink, table, file.key, columns);

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
  const wire = { binary, lineage: sink.lineage ? { file: file.key, version: file.version } : null };
  const columnList = copyColumns.map(quoteIdentifier).join(', ');
  const format = binary ? 'binary' : 'csv';

  const copy = async (target: string): Promise<number> => {
    try {
      return await copyFrame(
        client,
        `COPY ${target} (${columnList}) FROM STDIN WITH (FORMAT ${format})`,
        { count: rows.partCount, write: (part, path) => rows.write(part, path, wire) },
        binary ? { format: 'binary', kinds } : { format: 'csv' },
      );
    } catch (error) {
      // The reader's failure is already a FerryError (read, transform, or the reader's death).
      if (error instanceof CopySideError && error.side === 'polars') throw error.cause;
      throw databaseError(`${file.key}: COPY into ${table} failed`, error instanceof CopySideError ? error.cause : error);
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
        throw databaseError(`${file.key}: merging into ${table} failed`, error);
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
