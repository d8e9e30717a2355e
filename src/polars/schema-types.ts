/** The Polars type each `source.schema` type name reads as (the names: formats/schema-types.ts). */
import pl from 'nodejs-polars';
import { SCHEMA_TYPES, type SchemaTypeName } from '../formats/index.ts';

const DATA_TYPES: Readonly<Record<SchemaTypeName, () => pl.DataType>> = {
  Int16: () => pl.Int16,
  Int32: () => pl.Int32,
  Int64: () => pl.Int64,
  UInt32: () => pl.UInt32,
  UInt64: () => pl.UInt64,
  Float32: () => pl.Float32,
  Float64: () => pl.Float64,
  Bool: () => pl.Bool,
  Utf8: () => pl.Utf8,
  Date: () => pl.Date,
  Datetime: () => pl.Datetime('us'),
  DatetimeUTC: () => pl.Datetime('us', 'UTC'),
};

/** The Polars type for a name from `source.schema` (checked by isSchemaTypeName at config time). */
export function schemaDataType(name: string): pl.DataType {
  const type = SCHEMA_TYPES[name.trim().toLowerCase() as keyof typeof SCHEMA_TYPES];
  if (type === undefined) throw new Error(`unknown schema type ${name}`);
  return DATA_TYPES[type]();
}
