/**
 * Polars column types → PostgreSQL column types, for tables ferry creates from a frame's
 * schema, and the expression that turns each column into the text COPY reads (CSV cannot hold
 * nested or binary values: lists and structs become JSON, binary becomes bytea escapes,
 * durations become microseconds). A type without a faithful form is refused with the column named.
 */
import pl from 'nodejs-polars';
import { FerryError } from '../errors.ts';
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
};

/** `DataType(List(DataType(Float64)))` → `List(Float64)`: every `DataType(…)` wrapper removed. */
export function dtypeText(dtype: pl.DataType): string {
  const text = String(dtype);
  const wrapper = 'DataType(';
  let out = '';
  const closes: boolean[] = []; // for each open parenthesis: is it a wrapper's?
  for (let i = 0; i < text.length; i++) {
    if (text.startsWith(wrapper, i)) {
      closes.push(true);
      i += wrapper.length - 1;
    } else if (text[i] === '(') {
      closes.push(false);
      out += '(';
    } else if (text[i] === ')') {
      if (closes.pop() !== true) out += ')';
    } else out += text[i];
  }
  return out;
}

/**
 * The columns of a (usually empty) frame. nodejs-polars cannot hand some types to JavaScript
 * (Binary); their name is taken from the error it raises.
 */
export function frameColumns(frame: pl.DataFrame): FrameColumn[] {
  return frame.getColumns().map((series) => {
    try {
      return { name: series.name, dtype: dtypeText(series.dtype) };
    } catch (error) {
      const unsupported = /DataType (\w+) is not supported/.exec((error as Error).message);
      return { name: series.name, dtype: unsupported?.[1] ?? 'Unknown' };
    }
  });
}

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
  throw new FerryError('FILE_UNREADABLE', `column ${JSON.stringify(column.name)} has the type ${text}, which ferry cannot load`, { step: 'check' });
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

/**
 * The expression that gives a column in the form COPY (CSV) reads for its PostgreSQL type, or
 * the column itself when Polars' CSV writer already writes that form.
 */
export function copyExpression(column: FrameColumn): pl.Expr {
  const col = pl.col(column.name);
  const type = postgresType(column);
  if (type === 'interval') {
    const micros = col.cast(pl.Duration('us')).cast(pl.Int64).cast(pl.Utf8);
    return nullKept(col, pl.concatString([micros, pl.lit(' microseconds')], '')).alias(column.name);
  }
  if (type === 'bytea') {
    // bytea's escape form: three octal digits per byte, e.g. \150\151.
    const byte = pl.element().cast(pl.Int32);
    const digit = (value: pl.Expr) => value.cast(pl.Int32).cast(pl.Utf8);
    const octal = pl.concatString([pl.lit('\\'), digit(byte.div(64).floor()), digit(byte.div(8).floor().modulo(8)), digit(byte.modulo(8))], '');
    return nullKept(col, col.cast(pl.List(pl.UInt8)).lst.eval(octal).lst.join('')).alias(column.name);
  }
  if (type === 'jsonb') return jsonText(column).alias(column.name);
  if (type === 'text' && column.dtype !== 'String' && column.dtype !== 'Utf8') return col.cast(pl.Utf8).alias(column.name);
  return col;
}

/** `text` where `col` has a value, NULL where it has none (concatenation and JSON encoding would make text of a null). */
function nullKept(col: pl.Expr, text: pl.Expr): pl.Expr {
  return pl.when(col.isNull()).then(pl.lit(null).cast(pl.Utf8)).otherwise(text);
}

/** A list, array or struct column as JSON text (NULL stays NULL). */
export function jsonText(column: FrameColumn): pl.Expr {
  const col = pl.col(column.name);
  // Polars encodes structs as JSON; a list is wrapped in a one-field struct and unwrapped.
  const json = column.dtype.startsWith('Struct')
    ? col.struct.jsonEncode()
    : pl
        .struct([col.alias('v')])
        .struct.jsonEncode()
        .str.replace('^\\{"v":(?s:(.*))\\}$', '$1');
  return nullKept(col, json);
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
        { step: 'check' },
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
