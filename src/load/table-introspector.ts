/**
 * Catalog queries: what PostgreSQL says a table has.
 *
 * The table is found by scanning pg_class with the statement's snapshot, not with
 * `to_regclass`: a name lookup goes through the backend's catalog cache, which keeps a
 * "no such table" answer until the backend processes invalidations — and waiting on an
 * advisory lock does not process them. A worker that waited for another to create the table
 * would then still not see it, skip its own CREATE TABLE IF NOT EXISTS, and load into
 * columns that do not exist.
 */
import type { PoolClient } from '../postgres/index.ts';

export interface TableColumn {
  readonly name: string;
  readonly type: string;
}

export interface TableName {
  /** null: the first schema of the search_path that has the table. */
  readonly schema: string | null;
  readonly table: string;
}

async function tableOid(client: PoolClient, name: TableName): Promise<string | null> {
  const found = await client.query<{ oid: string }>(
    `SELECT c.oid::text AS oid
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relname = $1 AND c.relkind IN ('r', 'p')
        AND ($2::text IS NOT NULL AND n.nspname = $2 OR $2::text IS NULL AND n.nspname = ANY (current_schemas(false)))
      ORDER BY array_position(current_schemas(false), n.nspname::text) NULLS LAST
      LIMIT 1`,
    [name.table, name.schema],
  );
  return found.rows[0]?.oid ?? null;
}

/** The table's columns with their types in PostgreSQL's spelling, or null when there is no such table. */
export async function tableColumns(client: PoolClient, name: TableName): Promise<TableColumn[] | null> {
  const oid = await tableOid(client, name);
  if (oid === null) return null;
  const result = await client.query<TableColumn>(
    `SELECT attname AS name, format_type(atttypid, atttypmod) AS type
       FROM pg_attribute WHERE attrelid = $1::oid AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
    [oid],
  );
  return result.rows;
}

/** True when the table has a primary key or unique index on exactly `key` (in any order). */
export async function hasUniqueIndex(client: PoolClient, name: TableName, key: readonly string[]): Promise<boolean> {
  const oid = await tableOid(client, name);
  if (oid === null) return false;
  const result = await client.query(
    `SELECT 1 FROM pg_index i
      WHERE i.indrelid = $1::oid AND i.indisunique AND i.indpred IS NULL
        AND (SELECT array_agg(a.attname::text ORDER BY a.attname::text COLLATE "C")
               FROM pg_attribute a WHERE a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)) = (SELECT array_agg(k ORDER BY k COLLATE "C") FROM unnest($2::text[]) k)`,
    [oid, key],
  );
  return (result.rowCount ?? 0) > 0;
}
