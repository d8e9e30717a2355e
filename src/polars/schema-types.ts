/**
 * The type names `source.schema` accepts, as PostgreSQL and Polars users write them, and the
 * Polars type each reads as. Kept to types every format can parse from text.
 */
import pl from 'nodejs-polars';

const TYPES: Readonly<Record<string, () => pl.DataType>> = {
  smallint: () => pl.Int16,
  int2: () => pl.Int16,
  integer: () => pl.Int32,
  int: () => pl.Int32,
  int4: () => pl.Int32,
  bigint: () => pl.Int64,
  int8: () => pl.Int64,
  real: () => pl.Float32,
  float4: () => pl.Float32,
  'double precision': () => pl.Float64,
  float8: () => pl.Float64,
  double: () => pl.Float64,
  boolean: () => pl.Bool,
  bool: () => pl.Bool,
  text: () => pl.Utf8,
  varchar: () => pl.Utf8,
  string: () => pl.Utf8,
  date: () => pl.Date,
  timestamp: () => pl.Datetime('us'),
  timestamptz: () => pl.Datetime('us', 'UTC'),
  int16: () => pl.Int16,
  int32: () => pl.Int32,
  int64: () => pl.Int64,
  uint32: () => pl.UInt32,
  uint64: () => pl.UInt64,
  float32: () => pl.Float32,
  float64: () => pl.Float64,
  utf8: () => pl.Utf8,
  datetime: () => pl.Datetime('us'),
};

/** The names `source.schema` accepts (for config errors and the README). */
export const SCHEMA_TYPE_NAMES = Object.keys(TYPES);

export function isSchemaTypeName(name: string): boolean {
  return TYPES[name.trim().toLowerCase()] !== undefined;
}

/** The Polars type for a name from `source.schema` (checked by isSchemaTypeName at config time). */
export function schemaDataType(name: string): pl.DataType {
  const make = TYPES[name.trim().toLowerCase()];
  if (make === undefined) throw new Error(`unknown schema type ${name}`);
  return make();
}
