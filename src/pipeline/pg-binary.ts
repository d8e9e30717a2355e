/**
 * PostgreSQL's binary COPY format, encoded from Arrow record batches.
 *
 * Binary COPY spares the server the parsing of text (floats, timestamps, numerics), which is
 * most of its work in a CSV COPY: for typical frames it accepts rows about twice as fast. The
 * Polars plan first brings every column into the physical form its PostgreSQL type has on the
 * wire (`binaryExpression`): integers of the right width, timestamps as microseconds since
 * 2000-01-01, dates as days since then, lists and structs as JSON text, numerics as decimal
 * text; this module then only reorders bytes and frames the fields.
 */
import pl from 'nodejs-polars';
import type { FrameColumn } from '../postgres/index.ts';
import { postgresType } from '../postgres/index.ts';
import type { RecordBatchBuffers } from './arrow-stream.ts';

export type BinaryKind = 'int2' | 'int4' | 'int8' | 'float4' | 'float8' | 'bool' | 'text' | 'bytea' | 'jsonb' | 'interval' | 'numeric';

/** `PGCOPY\n\377\r\n\0`, flags, header extension length. */
export const COPY_BINARY_HEADER = Buffer.concat([Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(8)]);
/** A field count of -1 ends the data. */
export const COPY_BINARY_TRAILER = Buffer.from([0xff, 0xff]);

/** Microseconds from 1970-01-01 to 2000-01-01, PostgreSQL's epoch. */
const POSTGRES_EPOCH_MICROS = 946_684_800_000_000;
const POSTGRES_EPOCH_DAYS = 10_957;

const FIXED_WIDTH: Partial<Record<BinaryKind, number>> = { int2: 2, int4: 4, int8: 8, float4: 4, float8: 8 };

/** The wire kind of a column, from its PostgreSQL type. */
export function binaryKind(column: FrameColumn): BinaryKind {
  const type = postgresType(column);
  if (type === 'smallint') return 'int2';
  if (type === 'integer' || type === 'date') return 'int4';
  if (type === 'bigint' || type === 'timestamp' || type === 'timestamptz' || type === 'time') return 'int8';
  if (type === 'real') return 'float4';
  if (type === 'double precision') return 'float8';
  if (type === 'boolean') return 'bool';
  if (type === 'interval') return 'interval';
  if (type === 'bytea') return 'bytea';
  if (type === 'jsonb') return 'jsonb';
  if (type.startsWith('numeric')) return 'numeric';
  return 'text';
}

const int64 = (value: number) => pl.lit(value).cast(pl.Int64);

/** Polars microseconds of a temporal integer in `unit` (truncating nanoseconds). */
function toMicros(raw: pl.Expr, unit: string): pl.Expr {
  return raw
    .cast(pl.Int64)
    .cast(pl.Duration(unit as 'ns' | 'us' | 'ms'))
    .cast(pl.Duration('us'))
    .cast(pl.Int64);
}

/** The expression that gives a column in the physical form its binary COPY encoding reads. */
export function binaryExpression(column: FrameColumn, jsonText: (column: FrameColumn) => pl.Expr): pl.Expr {
  const col = pl.col(column.name);
  const type = postgresType(column);
  const kind = binaryKind(column);
  let expr: pl.Expr;
  if (type === 'date') expr = col.cast(pl.Int32).sub(pl.lit(POSTGRES_EPOCH_DAYS).cast(pl.Int32));
  else if (type === 'timestamp' || type === 'timestamptz') {
    const unit = /^Datetime\((\w+),/.exec(column.dtype)?.[1] ?? 'us';
    expr = toMicros(col, unit).sub(int64(POSTGRES_EPOCH_MICROS));
  } else if (type === 'time') expr = toMicros(col, 'ns');
  else if (kind === 'interval') expr = col.cast(pl.Duration('us')).cast(pl.Int64);
  else if (kind === 'int2') expr = col.cast(pl.Int16);
  else if (kind === 'int4') expr = col.cast(pl.Int32);
  else if (kind === 'int8') expr = col.cast(pl.Int64);
  else if (kind === 'float4') expr = col.cast(pl.Float32);
  else if (kind === 'float8') expr = col.cast(pl.Float64);
  else if (kind === 'bool') expr = col.cast(pl.Bool);
  else if (kind === 'jsonb') expr = jsonText(column);
  else if (kind === 'bytea') expr = col;
  else expr = col.cast(pl.Utf8); // text, numeric (as decimal text)
  return expr.alias(column.name);
}

/** Buffers per column in an Arrow batch: validity + values, or validity + offsets + data. */
function bufferCount(kind: BinaryKind): number {
  return FIXED_WIDTH[kind] !== undefined || kind === 'bool' || kind === 'interval' ? 2 : 3;
}

/**
 * Encodes one record batch as binary COPY rows, yielding chunks of about `chunkSize` bytes.
 * `kinds` are the columns' wire kinds, in the batch's column order.
 */
export function* encodeBatch(batch: RecordBatchBuffers, kinds: readonly BinaryKind[], chunkSize = 1 << 20): Generator<Buffer> {
  const columns = kinds.map((kind, index) => {
    const first = kinds.slice(0, index).reduce((sum, k) => sum + bufferCount(k), 0);
    const validity = batch.buffers[first] as Buffer;
    const hasNulls = (batch.nullCounts[index] ?? 0) > 0 && validity.length > 0;
    return { kind, width: FIXED_WIDTH[kind] ?? 0, validity, hasNulls, a: batch.buffers[first + 1] as Buffer, b: batch.buffers[first + 2] as Buffer };
  });
  const fieldCount = kinds.length;
  let out = Buffer.allocUnsafe(chunkSize);
  let o = 0;
  const ensure = (bytes: number): Buffer | null => {
    if (o + bytes <= out.length) return null;
    const full = out.subarray(0, o);
    out = Buffer.allocUnsafe(Math.max(chunkSize, bytes));
    o = 0;
    return full;
  };

  for (let row = 0; row < batch.length; row++) {
    // A row's fixed part first; variable-width fields ask for their own room.
    const flushed = ensure(2 + fieldCount * 20);
    if (flushed !== null) yield flushed;
    out.writeInt16BE(fieldCount, o);
    o += 2;
    for (let c = 0; c < fieldCount; c++) {
      const column = columns[c] as (typeof columns)[number];
      if (column.hasNulls && ((column.validity[row >> 3] as number) & (1 << (row & 7))) === 0) {
        out.writeInt32BE(-1, o);
        o += 4;
        continue;
      }
      const { width, a } = column;
      if (width > 0) {
        // Arrow is little-endian, PostgreSQL big-endian: the same bytes, reversed.
        out.writeInt32BE(width, o);
        o += 4;
        const at = row * width;
        for (let i = width - 1; i >= 0; i--) out[o++] = a[at + i] as number;
        continue;
      }
      switch (column.kind) {
        case 'bool':
          out.writeInt32BE(1, o);
          out[o + 4] = ((a[row >> 3] as number) >> (row & 7)) & 1;
          o += 5;
          break;
        case 'interval': {
          out.writeInt32BE(16, o);
          o += 4;
          const at = row * 8;
          for (let i = 7; i >= 0; i--) out[o++] = a[at + i] as number;
          out.fill(0, o, o + 8); // days, months
          o += 8;
          break;
        }
        default: {
          // Variable width: 64-bit offsets into the data buffer.
          const start = a.readUInt32LE(row * 8) + a.readUInt32LE(row * 8 + 4) * 2 ** 32;
          const end = a.readUInt32LE(row * 8 + 8) + a.readUInt32LE(row * 8 + 12) * 2 ** 32;
          if (column.kind === 'numeric') {
            const encoded = encodeNumeric(column.b.toString('latin1', start, end));
            const more = ensure(4 + encoded.length + fieldCount * 20);
            if (more !== null) yield more;
            out.writeInt32BE(encoded.length, o);
            encoded.copy(out, o + 4);
            o += 4 + encoded.length;
            break;
          }
          const json = column.kind === 'jsonb' ? 1 : 0;
          const length = end - start + json;
          const more = ensure(5 + length + fieldCount * 20);
          if (more !== null) yield more;
          out.writeInt32BE(length, o);
          o += 4;
          if (json) out[o++] = 1; // jsonb's binary form: version 1, then the text
          column.b.copy(out, o, start, end);
          o += end - start;
        }
      }
    }
  }
  if (o > 0) yield out.subarray(0, o);
}

/** PostgreSQL's binary numeric from decimal text (`-123.4500`, `18446744073709551615`, `NaN`). */
export function encodeNumeric(text: string): Buffer {
  const header = (ndigits: number, weight: number, sign: number, dscale: number) => {
    const buffer = Buffer.alloc(8 + ndigits * 2);
    buffer.writeInt16BE(ndigits, 0);
    buffer.writeInt16BE(weight, 2);
    buffer.writeUInt16BE(sign, 4);
    buffer.writeInt16BE(dscale, 6);
    return buffer;
  };
  if (text === 'NaN') return header(0, 0, 0xc000, 0);
  const negative = text.startsWith('-');
  const unsigned = negative || text.startsWith('+') ? text.slice(1) : text;
  const [integerPart = '', fractionPart = ''] = unsigned.split('.');
  const dscale = fractionPart.length;
  const integer = integerPart.replace(/^0+/, '');
  const paddedInteger = integer.padStart(Math.ceil(integer.length / 4) * 4, '0');
  const paddedFraction = fractionPart.padEnd(Math.ceil(fractionPart.length / 4) * 4, '0');
  const digits: number[] = [];
  for (let i = 0; i < paddedInteger.length; i += 4) digits.push(Number(paddedInteger.slice(i, i + 4)));
  for (let i = 0; i < paddedFraction.length; i += 4) digits.push(Number(paddedFraction.slice(i, i + 4)));
  let weight = paddedInteger.length / 4 - 1;
  while (digits.length > 0 && digits[0] === 0) {
    digits.shift();
    weight--;
  }
  while (digits.length > 0 && digits[digits.length - 1] === 0) digits.pop();
  if (digits.length === 0) return header(0, 0, 0, dscale);
  const buffer = header(digits.length, weight, negative ? 0x4000 : 0, dscale);
  digits.forEach((digit, i) => {
    buffer.writeInt16BE(digit, 8 + i * 2);
  });
  return buffer;
}
