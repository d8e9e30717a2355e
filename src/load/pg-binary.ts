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
import type { FrameColumn } from '../postgres/index.ts';
import { postgresType } from '../postgres/index.ts';
import type { RecordBatchBuffers } from './arrow-stream.ts';

export type BinaryKind = 'int2' | 'int4' | 'int8' | 'float4' | 'float8' | 'bool' | 'text' | 'bytea' | 'jsonb' | 'interval' | 'numeric';

/** `PGCOPY\n\377\r\n\0`, flags, header extension length. */
export const COPY_BINARY_HEADER = Buffer.concat([Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(8)]);
/** A field count of -1 ends the data. */
export const COPY_BINARY_TRAILER = Buffer.from([0xff, 0xff]);

/** Microseconds from 1970-01-01 to 2000-01-01, PostgreSQL's epoch. */
export const POSTGRES_EPOCH_MICROS = 946_684_800_000_000;
export const POSTGRES_EPOCH_DAYS = 10_957;

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

/** Buffers per column in an Arrow batch: validity + values, or validity + offsets + data. */
function bufferCount(kind: BinaryKind): number {
  return FIXED_WIDTH[kind] !== undefined || kind === 'bool' || kind === 'interval' ? 2 : 3;
}

/** Column kinds as small integers, for the row loop. */
const FIXED = 0;
const BOOL = 1;
const INTERVAL = 2;
const BYTES = 3; // text, bytea
const JSONB = 4;
const NUMERIC = 5;

interface EncodedColumn {
  readonly code: number;
  readonly width: number;
  readonly validity: Buffer | null;
  readonly a: Buffer;
  readonly b: Buffer;
}

/** Little-endian uint32 at `at` (offsets into a variable-width column's data). */
function u32(buffer: Buffer, at: number): number {
  return ((buffer[at] as number) | ((buffer[at + 1] as number) << 8) | ((buffer[at + 2] as number) << 16) | ((buffer[at + 3] as number) << 24)) >>> 0;
}

/** Arrow's 64-bit offsets; batches hold far less than 4 GiB of data per column. */
function offset64(buffer: Buffer, index: number): number {
  return u32(buffer, index * 8) + u32(buffer, index * 8 + 4) * 4_294_967_296;
}

/**
 * Encodes one record batch as binary COPY rows, yielding chunks of about `chunkSize` bytes.
 * `kinds` are the columns' wire kinds, in the batch's column order. The loop writes bytes
 * directly (no Buffer method per field): it runs for every field of every row.
 */
export function* encodeBatch(batch: RecordBatchBuffers, kinds: readonly BinaryKind[], chunkSize = 4 << 20): Generator<Buffer> {
  let first = 0;
  const columns: EncodedColumn[] = kinds.map((kind, index) => {
    const validity = batch.buffers[first] as Buffer;
    const column: EncodedColumn = {
      code:
        FIXED_WIDTH[kind] !== undefined
          ? FIXED
          : kind === 'bool'
            ? BOOL
            : kind === 'interval'
              ? INTERVAL
              : kind === 'jsonb'
                ? JSONB
                : kind === 'numeric'
                  ? NUMERIC
                  : BYTES,
      width: FIXED_WIDTH[kind] ?? 0,
      validity: (batch.nullCounts[index] ?? 0) > 0 && validity.length > 0 ? validity : null,
      a: batch.buffers[first + 1] as Buffer,
      b: (batch.buffers[first + 2] as Buffer | undefined) ?? Buffer.alloc(0),
    };
    first += bufferCount(kind);
    return column;
  });
  const fieldCount = kinds.length;
  // Room for a row's fixed-width part: the field count, and per field a length and 16 bytes.
  const rowRoom = 2 + fieldCount * 20;
  let out = Buffer.allocUnsafe(chunkSize);
  let o = 0;

  for (let row = 0; row < batch.length; row++) {
    if (o + rowRoom > out.length) {
      yield out.subarray(0, o);
      out = Buffer.allocUnsafe(chunkSize);
      o = 0;
    }
    out[o] = fieldCount >> 8;
    out[o + 1] = fieldCount & 0xff;
    o += 2;
    for (let c = 0; c < fieldCount; c++) {
      const column = columns[c] as EncodedColumn;
      const validity = column.validity;
      if (validity !== null && ((validity[row >> 3] as number) & (1 << (row & 7))) === 0) {
        out[o] = 0xff;
        out[o + 1] = 0xff;
        out[o + 2] = 0xff;
        out[o + 3] = 0xff;
        o += 4;
        continue;
      }
      const a = column.a;
      switch (column.code) {
        case FIXED: {
          // Arrow is little-endian, PostgreSQL big-endian: the same bytes, reversed.
          const width = column.width;
          out[o] = 0;
          out[o + 1] = 0;
          out[o + 2] = 0;
          out[o + 3] = width;
          o += 4;
          let at = row * width + width - 1;
          for (let i = 0; i < width; i++) out[o++] = a[at--] as number;
          break;
        }
        case BOOL:
          out[o] = 0;
          out[o + 1] = 0;
          out[o + 2] = 0;
          out[o + 3] = 1;
          out[o + 4] = ((a[row >> 3] as number) >> (row & 7)) & 1;
          o += 5;
          break;
        case INTERVAL: {
          out[o] = 0;
          out[o + 1] = 0;
          out[o + 2] = 0;
          out[o + 3] = 16;
          o += 4;
          let at = row * 8 + 7;
          for (let i = 0; i < 8; i++) out[o++] = a[at--] as number;
          out.fill(0, o, o + 8); // days, months
          o += 8;
          break;
        }
        default: {
          const start = offset64(a, row);
          const end = offset64(a, row + 1);
          const data = column.b;
          let bytes: Buffer | null = null;
          let length = end - start;
          if (column.code === NUMERIC) {
            bytes = encodeNumeric(data.toString('latin1', start, end));
            length = bytes.length;
          } else if (column.code === JSONB) length += 1;
          if (o + 4 + length + rowRoom > out.length) {
            yield out.subarray(0, o);
            out = Buffer.allocUnsafe(Math.max(chunkSize, 4 + length + rowRoom));
            o = 0;
          }
          out[o] = length >>> 24;
          out[o + 1] = (length >>> 16) & 0xff;
          out[o + 2] = (length >>> 8) & 0xff;
          out[o + 3] = length & 0xff;
          o += 4;
          if (bytes !== null) {
            bytes.copy(out, o);
            o += length;
            break;
          }
          if (column.code === JSONB) out[o++] = 1; // jsonb's binary form: version 1, then the text
          if (end - start < 48) {
            for (let i = start; i < end; i++) out[o++] = data[i] as number;
          } else {
            data.copy(out, o, start, end);
            o += end - start;
          }
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
