/**
 * Polars column types (as text: `Int64`, `List(Float64)`, `Datetime(us,UTC)`) → PostgreSQL
 * column types, for tables ferry creates from a frame's schema. A type without a faithful form
 * is refused with the column named. Pure: no Polars here (the reader processes hold Polars).
 */
import { FerryError } from '../errors/index.ts';
import { quoteIdentifier } from './identifiers.ts';

/** A column of a frame: its name and its Polars type as text (`Int64`, `List(Float64)`, `Datetime(us,UTC)`). */
export interface FrameColumn {
  readonly name: string;
  readonly dtype: string;
}

const SIMPLE: Readonly<Record<string, string>> = {
  Int8: 'smallint',
  Int16: 'smallint',
  UInt8: 'smallint',
  Int32: 'integer',
  UInt16: 'integer',
  Int64: 'bigint',
  UInt32: 'bigint',
  UInt64: 'numeric(20,0)',
  Int128: 'numeric(39,0)',
  Float32: 'real',
  Float64: 'double precision',
  Bool: 'boolean',
  Boolean: 'boolean',
  String: 'text',
  Utf8: 'text',
  Categorical: 'text',
  Null: 'text',
  Date: 'date',
  Time: 'time',
  Binary: 'bytea',
  /** ferry's own: a text column holding JSON as the file wrote it (see read/json-records.ts). */
  Json: 'jsonb',
  /** ferry's own: 16 bytes a Parquet footer calls a UUID (their binary COPY form is uuid's). */
  Uuid: 'uuid',
};

export function postgresType(column: FrameColumn): string {
  const text = column.dtype;
  const simple = SIMPLE[text];
  if (simple !== undefined) return simple;
  const datetime = /^Datetime\((\w+),(.*)\)$/.exec(text);
  if (datetime) return datetime[2] === '' ? 'timestamp' : 'timestamptz';
  const decimal = /^Decimal\((\d+),\s*(\d+)\)$/.exec(text);
  if (decimal) return `numeric(${decimal[1]},${decimal[2]})`;
  if (text.startsWith('Enum')) return 'text';
  if (text.startsWith('Duration')) return 'interval';
  if (/^(List|Array|Struct)\(/.test(text)) return 'jsonb';
  throw new FerryError('COLUMNS_INVALID', `column ${JSON.stringify(column.name)} has the type ${text}, which ferry cannot load`);
}

/** PostgreSQL's own spelling of a type (`format_type`), to compare ferry's types with a table's. */
export function canonicalType(type: string): string {
  const names: Readonly<Record<string, string>> = {
    timestamp: 'timestamp without time zone',
    timestamptz: 'timestamp with time zone',
    time: 'time without time zone',
  };
  return names[type] ?? type;
}

/** PostgreSQL truncates identifiers to 63 bytes; two names that collide after that are an error, never silent. */
export function checkIdentifierLengths(columns: readonly string[]): void {
  const seen = new Map<string, string>();
  for (const column of columns) {
    // PostgreSQL cannot hold a NUL in a name (a header line of a binary file, say).
    if (column.includes('\0'))
      throw new FerryError('COLUMNS_INVALID', `the column name ${JSON.stringify(column)} holds a NUL byte, which PostgreSQL names cannot`);
    if (column.length === 0) throw new FerryError('COLUMNS_INVALID', 'a column has an empty name');
    const truncated = Buffer.from(column).subarray(0, 63).toString();
    const other = seen.get(truncated);
    if (other !== undefined) {
      throw new FerryError(
        'COLUMNS_INVALID',
        `columns ${JSON.stringify(other)} and ${JSON.stringify(column)} are the same name after PostgreSQL's 63-byte limit`,
      );
    }
    seen.set(truncated, column);
  }
}

/** Column definitions for CREATE TABLE / ALTER TABLE: name and PostgreSQL type. */
export interface ColumnDefinition {
  readonly name: string;
  readonly type: string;
  /** SQL after the type, e.g. `NOT NULL DEFAULT now()`. */
  readonly extra?: string;
}

export function createTableSql(table: string, columns: readonly ColumnDefinition[], primaryKey: readonly string[] = []): string {
  const definitions = columns.map((c) => `${quoteIdentifier(c.name)} ${c.type}${c.extra ? ` ${c.extra}` : ''}`);
  if (primaryKey.length > 0) definitions.push(`PRIMARY KEY (${primaryKey.map(quoteIdentifier).join(', ')})`);
  return `CREATE TABLE IF NOT EXISTS ${table} (${definitions.join(', ')})`;
}
