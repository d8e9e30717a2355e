/**
 * Polars column types → PostgreSQL column types, for tables ferry creates from a frame's
 * schema. A type without a faithful text form for COPY is refused with the column named.
 */
import type pl from 'nodejs-polars';
import { FerryError } from '../errors.ts';
import { quoteIdentifier } from './identifiers.ts';

const SIMPLE: Readonly<Record<string, string>> = {
  Int8: 'smallint',
  Int16: 'smallint',
  UInt8: 'smallint',
  Int32: 'integer',
  UInt16: 'integer',
  Int64: 'bigint',
  UInt32: 'bigint',
  UInt64: 'numeric(20,0)',
  Float32: 'real',
  Float64: 'double precision',
  Bool: 'boolean',
  String: 'text',
  Utf8: 'text',
  Categorical: 'text',
  Date: 'date',
  Time: 'time',
};

/** `DataType(Datetime(us,UTC))` → `Datetime(us,UTC)`. */
export function dtypeText(dtype: pl.DataType): string {
  return String(dtype).replace(/^DataType\((.*)\)$/, '$1');
}

export function postgresType(column: string, dtype: pl.DataType): string {
  const text = dtypeText(dtype);
  const simple = SIMPLE[text];
  if (simple !== undefined) return simple;
  const datetime = /^Datetime\((\w+),(.*)\)$/.exec(text);
  if (datetime) return datetime[2] === '' ? 'timestamp' : 'timestamptz';
  const decimal = /^Decimal\((\d+),\s*(\d+)\)$/.exec(text);
  if (decimal) return `numeric(${decimal[1]},${decimal[2]})`;
  if (text.startsWith('Enum')) return 'text';
  throw new FerryError('FILE_UNREADABLE', `column ${JSON.stringify(column)} has the type ${text}, which ferry cannot load yet`, { step: 'load' });
}

/** PostgreSQL truncates identifiers to 63 bytes; two names that collide after that are an error, never silent. */
export function checkIdentifierLengths(columns: readonly string[]): void {
  const seen = new Map<string, string>();
  for (const column of columns) {
    const truncated = Buffer.from(column).subarray(0, 63).toString();
    const other = seen.get(truncated);
    if (other !== undefined) {
      throw new FerryError(
        'FILE_UNREADABLE',
        `columns ${JSON.stringify(other)} and ${JSON.stringify(column)} are the same name after PostgreSQL's 63-byte limit`,
        {
          step: 'load',
        },
      );
    }
    seen.set(truncated, column);
  }
}

export function createTableSql(table: string, schema: Readonly<Record<string, pl.DataType>>): string {
  const columns = Object.entries(schema).map(([name, dtype]) => `${quoteIdentifier(name)} ${postgresType(name, dtype)}`);
  return `CREATE TABLE IF NOT EXISTS ${table} (${columns.join(', ')})`;
}
