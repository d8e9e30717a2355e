/**
 * The type names `source.schema` accepts, as PostgreSQL and Polars users write them, and the
 * Polars type each reads as (by name: the Polars objects are made in the reader processes,
 * see polars/schema-types.ts). Kept to types every format can parse from text.
 */
export const SCHEMA_TYPES = {
  smallint: 'Int16',
  int2: 'Int16',
  integer: 'Int32',
  int: 'Int32',
  int4: 'Int32',
  bigint: 'Int64',
  int8: 'Int64',
  real: 'Float32',
  float4: 'Float32',
  'double precision': 'Float64',
  float8: 'Float64',
  double: 'Float64',
  boolean: 'Bool',
  bool: 'Bool',
  text: 'Utf8',
  varchar: 'Utf8',
  string: 'Utf8',
  date: 'Date',
  timestamp: 'Datetime',
  timestamptz: 'DatetimeUTC',
  int16: 'Int16',
  int32: 'Int32',
  int64: 'Int64',
  uint32: 'UInt32',
  uint64: 'UInt64',
  float32: 'Float32',
  float64: 'Float64',
  utf8: 'Utf8',
  datetime: 'Datetime',
} as const;

export type SchemaTypeName = (typeof SCHEMA_TYPES)[keyof typeof SCHEMA_TYPES];

/** The names `source.schema` accepts (for config errors and the README). */
export const SCHEMA_TYPE_NAMES = Object.keys(SCHEMA_TYPES);

export function isSchemaTypeName(name: string): boolean {
  return Object.hasOwn(SCHEMA_TYPES, name.trim().toLowerCase());
}
