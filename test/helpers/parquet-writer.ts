/**
 * A small Parquet file writer for test fixtures: what no library writes on purpose (legacy list
 * encodings, INT96 past 2262, Float16, unknown logical types, writer quirks, lying statistics).
 *
 * Thrift compact protocol for the metadata; PLAIN values; data page v1 whose repetition and
 * definition levels are RLE runs of the RLE/bit-packed hybrid; pages uncompressed or GZIP (one
 * member, or two concatenated members, which the spec allows). Rows are given as plain objects
 * and shredded by the schema (Dremel): a `repeated` field's value is an array, an `optional`
 * field's absent value is `null` or `undefined`, a group's value is an object of its fields.
 *
 * Leaf values: BOOLEAN boolean; INT32, FLOAT, DOUBLE number; INT64 bigint or number; BYTE_ARRAY
 * string or Buffer; FIXED_LEN_BYTE_ARRAY and INT96 Buffer (see `int96` and `float16`).
 */
import zlib from 'node:zlib';

// ---------------------------------------------------------------- Thrift compact protocol

/** A Thrift value with its type, for `thrift()`. */
export type ThriftValue =
  | { readonly t: 'bool'; readonly v: boolean }
  | { readonly t: 'i32' | 'i64'; readonly v: number | bigint }
  | { readonly t: 'bin'; readonly v: string | Buffer }
  | { readonly t: 'struct'; readonly v: ThriftStruct }
  | { readonly t: 'list'; readonly elem: 'i32' | 'i64' | 'bin' | 'struct'; readonly v: readonly ThriftValue[] };
/** A struct's fields as [field id, value]; `undefined` values are left out. */
export type ThriftStruct = readonly (readonly [number, ThriftValue | undefined])[];

export const i32 = (v: number): ThriftValue => ({ t: 'i32', v });
export const i64 = (v: number | bigint): ThriftValue => ({ t: 'i64', v });
export const bin = (v: string | Buffer): ThriftValue => ({ t: 'bin', v });
export const bool = (v: boolean): ThriftValue => ({ t: 'bool', v });
export const struct = (v: ThriftStruct): ThriftValue => ({ t: 'struct', v });
const list = (elem: 'i32' | 'i64' | 'bin' | 'struct', v: readonly ThriftValue[]): ThriftValue => ({ t: 'list', elem, v });

const TYPE_ID = { bool: 1, i32: 5, i64: 6, bin: 8, list: 9, struct: 12 } as const;

function varint(value: bigint, out: number[]): void {
  let v = value;
  do {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v > 0n ? b | 0x80 : b);
  } while (v > 0n);
}
const zigzag = (n: bigint, out: number[]) => varint(n >= 0n ? n << 1n : (-n << 1n) - 1n, out);

function writeValue(value: ThriftValue, out: number[]): void {
  switch (value.t) {
    case 'bool': // only inside lists (a field's bool is in its header)
      out.push(value.v ? 1 : 2);
      return;
    case 'i32':
    case 'i64':
      zigzag(BigInt(value.v), out);
      return;
    case 'bin': {
      const bytes = typeof value.v === 'string' ? Buffer.from(value.v, 'utf8') : value.v;
      varint(BigInt(bytes.length), out);
      for (const b of bytes) out.push(b);
      return;
    }
    case 'struct':
      writeStruct(value.v, out);
      return;
    case 'list':
      if (value.v.length < 15) out.push((value.v.length << 4) | TYPE_ID[value.elem]);
      else {
        out.push(0xf0 | TYPE_ID[value.elem]);
        varint(BigInt(value.v.length), out);
      }
      for (const item of value.v) writeValue(item, out);
  }
}

function writeStruct(fields: ThriftStruct, out: number[]): void {
  let last = 0;
  for (const [id, value] of [...fields].sort((a, b) => a[0] - b[0])) {
    if (value === undefined) continue;
    const type = value.t === 'bool' ? (value.v ? 1 : 2) : TYPE_ID[value.t];
    if (id > last && id - last <= 15) out.push(((id - last) << 4) | type);
    else {
      out.push(type); // long form: the type, then the field id as a zigzag i16
      zigzag(BigInt(id), out);
    }
    if (value.t !== 'bool') writeValue(value, out);
    last = id;
  }
  out.push(0); // stop
}

/** A Thrift struct in the compact protocol. */
export function thrift(fields: ThriftStruct): Buffer {
  const out: number[] = [];
  writeStruct(fields, out);
  return Buffer.from(out);
}

// ---------------------------------------------------------------- schema

export type Repetition = 'required' | 'optional' | 'repeated';
export type PhysicalType = 'BOOLEAN' | 'INT32' | 'INT64' | 'INT96' | 'FLOAT' | 'DOUBLE' | 'BYTE_ARRAY' | 'FIXED_LEN_BYTE_ARRAY';
const PHYSICAL: Record<PhysicalType, number> = { BOOLEAN: 0, INT32: 1, INT64: 2, INT96: 3, FLOAT: 4, DOUBLE: 5, BYTE_ARRAY: 6, FIXED_LEN_BYTE_ARRAY: 7 };
const REPETITION: Record<Repetition, number> = { required: 0, optional: 1, repeated: 2 };
/** The legacy converted types (SchemaElement field 6) used here. */
export const CONVERTED = { UTF8: 0, MAP: 1, MAP_KEY_VALUE: 2, LIST: 3, DECIMAL: 5, DATE: 6, TIMESTAMP_MICROS: 10 } as const;

/** A LogicalType union member: its field id and its (usually empty) struct. */
export interface LogicalType {
  readonly id: number;
  readonly fields?: ThriftStruct;
}
const TIME_UNIT = { ms: 1, us: 2, ns: 3 } as const;
export const LOGICAL = {
  string: { id: 1 },
  map: { id: 2 },
  list: { id: 3 },
  date: { id: 6 },
  json: { id: 12 },
  float16: { id: 15 },
  timestamp: (unit: keyof typeof TIME_UNIT, adjustedToUtc: boolean): LogicalType => ({
    id: 8,
    fields: [
      [1, bool(adjustedToUtc)],
      [2, struct([[TIME_UNIT[unit], struct([])]])],
    ],
  }),
  /** A union member no reader knows yet; readers must ignore it and use the physical type. */
  unknown: (id: number): LogicalType => ({ id }),
} as const;

interface FieldBase {
  readonly name: string;
  readonly repetition: Repetition;
  readonly convertedType?: number;
  readonly logicalType?: LogicalType;
}
export interface PrimitiveField extends FieldBase {
  readonly type: PhysicalType;
  /** FIXED_LEN_BYTE_ARRAY's width. */
  readonly typeLength?: number;
  readonly scale?: number;
  readonly precision?: number;
  /** Writes this null_count in every chunk's statistics instead of the true one (a lying footer). */
  readonly nullCount?: number;
}
export interface GroupField extends FieldBase {
  readonly fields: readonly Field[];
}
export type Field = PrimitiveField | GroupField;

export interface ParquetWriteOptions {
  /** Rows per row group (the last may be shorter). Default: all rows in one group. */
  readonly rowGroupRows?: number;
  /** `gzip-members`: each page compressed as two gzip members, concatenated. Default `none`. */
  readonly compression?: 'none' | 'gzip' | 'gzip-members';
  /** Writes every chunk's null_count (the true one unless a field overrides it). Default false. */
  readonly statistics?: boolean;
  /** Writes `dictionary_page_offset = 0` though no chunk has a dictionary page (a writer quirk). */
  readonly dictionaryPageOffsetZero?: boolean;
  readonly createdBy?: string;
}

// ---------------------------------------------------------------- values

/** INT96 (Impala/Spark): nanoseconds of the day (8 bytes LE), then the Julian day (4 bytes LE). */
export function int96(iso: string): Buffer {
  const match = /^(-?\d{4,})-(\d\d)-(\d\d)(?:[ T](\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?)?$/.exec(iso);
  if (match === null) throw new Error(`int96: not a timestamp: ${iso}`);
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = ''] = match;
  const epochDay = Date.UTC(Number(y), Number(mo) - 1, Number(d)) / 86_400_000; // proleptic Gregorian
  const daySeconds = BigInt(Number(h) * 3600 + Number(mi) * 60 + Number(s));
  const out = Buffer.alloc(12);
  out.writeBigInt64LE(daySeconds * 1_000_000_000n + BigInt(frac.padEnd(9, '0')), 0);
  out.writeInt32LE(epochDay + 2_440_588, 8);
  return out;
}

/** IEEE 754 half precision, little-endian (FIXED_LEN_BYTE_ARRAY(2) with the FLOAT16 logical type). */
export function float16(x: number): Buffer {
  const out = Buffer.alloc(2);
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  let bits: number;
  if (Number.isNaN(x)) bits = 0x7e00;
  else if (a >= 65520)
    bits = sign | 0x7c00; // rounds to infinity
  else if (a < 2 ** -14)
    bits = sign | Math.round(a / 2 ** -24); // subnormal
  else {
    const exponent = Math.floor(Math.log2(a));
    const mantissa = Math.round((a / 2 ** exponent - 1) * 1024);
    bits = sign | (mantissa === 1024 ? (exponent + 16) << 10 : ((exponent + 15) << 10) | mantissa);
  }
  out.writeUInt16LE(bits, 0);
  return out;
}

function plain(type: PhysicalType, values: readonly unknown[]): Buffer {
  const parts: Buffer[] = [];
  if (type === 'BOOLEAN') {
    const bytes = Buffer.alloc(Math.ceil(values.length / 8));
    values.forEach((v, i) => {
      if (v) bytes[i >> 3]! |= 1 << (i & 7);
    });
    return bytes;
  }
  for (const v of values) {
    const b = Buffer.alloc(type === 'INT32' || type === 'FLOAT' ? 4 : 8);
    if (type === 'INT32') b.writeInt32LE(Number(v));
    else if (type === 'INT64') b.writeBigInt64LE(BigInt(v as bigint));
    else if (type === 'FLOAT') b.writeFloatLE(Number(v));
    else if (type === 'DOUBLE') b.writeDoubleLE(Number(v));
    else {
      const bytes = typeof v === 'string' ? Buffer.from(v, 'utf8') : (v as Buffer);
      if (type === 'BYTE_ARRAY') {
        const length = Buffer.alloc(4);
        length.writeUInt32LE(bytes.length);
        parts.push(length);
      }
      parts.push(bytes);
      continue;
    }
    parts.push(b);
  }
  return Buffer.concat(parts);
}

/** Levels as RLE runs of the hybrid encoding, prefixed by their byte length (data page v1). */
function levels(values: readonly number[], max: number): Buffer {
  const width = Math.ceil(Math.log2(max + 1));
  const out: number[] = [];
  for (let i = 0; i < values.length; ) {
    let run = 1;
    while (i + run < values.length && values[i + run] === values[i]) run++;
    varint(BigInt(run) << 1n, out);
    for (let b = 0; b < Math.ceil(width / 8); b++) out.push((values[i]! >> (8 * b)) & 0xff);
    i += run;
  }
  const length = Buffer.alloc(4);
  length.writeUInt32LE(out.length);
  return Buffer.concat([length, Buffer.from(out)]);
}

// ---------------------------------------------------------------- shredding

interface Leaf {
  readonly path: readonly Field[];
  readonly field: PrimitiveField;
  readonly maxRep: number;
  readonly maxDef: number;
}

function leaves(fields: readonly Field[], parents: readonly Field[] = []): Leaf[] {
  return fields.flatMap((field) => {
    const path = [...parents, field];
    if ('fields' in field) return leaves(field.fields, path);
    const count = (r: Repetition) => path.filter((f) => f.repetition === r).length;
    return [{ path, field, maxRep: count('repeated'), maxDef: count('repeated') + count('optional') }];
  });
}

/** The (repetition, definition, value) triples of one leaf for one row. */
function shred(leaf: Leaf, row: unknown, emit: (r: number, d: number, v: unknown) => void): void {
  const walk = (depth: number, value: unknown, r: number, d: number, repDepth: number): void => {
    const field = leaf.path[depth]!;
    const own = (value as Record<string, unknown> | null | undefined)?.[field.name];
    const descend = (item: unknown, rr: number, dd: number, rd: number) => {
      if (depth === leaf.path.length - 1) emit(rr, dd, item);
      else walk(depth + 1, item, rr, dd, rd);
    };
    if (field.repetition === 'repeated') {
      const items = (own ?? []) as unknown[];
      if (items.length === 0) emit(r, d, null);
      for (const [i, item] of items.entries()) descend(item, i === 0 ? r : repDepth + 1, d + 1, repDepth + 1);
    } else if (field.repetition === 'optional') {
      if (own === null || own === undefined) emit(r, d, null);
      else descend(own, r, d + 1, repDepth);
    } else descend(own, r, d, repDepth);
  };
  walk(0, row, 0, 0, 0);
}

function schemaElements(fields: readonly Field[]): ThriftValue[] {
  return fields.flatMap((f) => [
    struct([
      [1, 'fields' in f ? undefined : i32(PHYSICAL[f.type])],
      [2, 'typeLength' in f && f.typeLength !== undefined ? i32(f.typeLength) : undefined],
      [3, i32(REPETITION[f.repetition])],
      [4, bin(f.name)],
      [5, 'fields' in f ? i32(f.fields.length) : undefined],
      [6, f.convertedType === undefined ? undefined : i32(f.convertedType)],
      [7, 'scale' in f && f.scale !== undefined ? i32(f.scale) : undefined],
      [8, 'precision' in f && f.precision !== undefined ? i32(f.precision) : undefined],
      [10, f.logicalType === undefined ? undefined : struct([[f.logicalType.id, struct(f.logicalType.fields ?? [])]])],
    ]),
    ...('fields' in f ? schemaElements(f.fields) : []),
  ]);
}

// ---------------------------------------------------------------- file

const CODEC = { none: 0, gzip: 2, 'gzip-members': 2 } as const;

function compress(page: Buffer, compression: 'none' | 'gzip' | 'gzip-members'): Buffer {
  if (compression === 'none') return page;
  if (compression === 'gzip') return zlib.gzipSync(page);
  const half = page.length >> 1;
  return Buffer.concat([zlib.gzipSync(page.subarray(0, half)), zlib.gzipSync(page.subarray(half))]);
}

/** A whole Parquet file: `PAR1`, one data page per column chunk, the footer, `PAR1`. */
export function writeParquet(fields: readonly Field[], rows: readonly Record<string, unknown>[], options: ParquetWriteOptions = {}): Buffer {
  const compression = options.compression ?? 'none';
  const groupRows = Math.max(1, options.rowGroupRows ?? rows.length);
  const chunks: Buffer[] = [Buffer.from('PAR1')];
  let offset = 4;
  const rowGroups: ThriftValue[] = [];
  for (let start = 0; start < rows.length || (start === 0 && rows.length === 0); start += groupRows) {
    const group = rows.slice(start, start + groupRows);
    const groupStart = offset;
    let groupBytes = 0;
    const columns = leaves(fields).map((leaf) => {
      const reps: number[] = [];
      const defs: number[] = [];
      const values: unknown[] = [];
      for (const row of group)
        shred(leaf, row, (r, d, v) => {
          reps.push(r);
          defs.push(d);
          if (d === leaf.maxDef) values.push(v);
        });
      const body = Buffer.concat([
        leaf.maxRep > 0 ? levels(reps, leaf.maxRep) : Buffer.alloc(0),
        leaf.maxDef > 0 ? levels(defs, leaf.maxDef) : Buffer.alloc(0),
        plain(leaf.field.type, values),
      ]);
      const compressed = compress(body, compression);
      const header = thrift([
        [1, i32(0)], // DATA_PAGE
        [2, i32(body.length)],
        [3, i32(compressed.length)],
        [
          5,
          struct([
            [1, i32(defs.length)],
            [2, i32(0)],
            [3, i32(3)],
            [4, i32(3)],
          ]),
        ], // PLAIN values, RLE levels
      ]);
      const pageOffset = offset;
      chunks.push(header, compressed);
      offset += header.length + compressed.length;
      groupBytes += header.length + body.length;
      const nullCount = leaf.field.nullCount ?? defs.filter((d) => d < leaf.maxDef).length;
      return struct([
        [2, i64(pageOffset)],
        [
          3,
          struct([
            [1, i32(PHYSICAL[leaf.field.type])],
            [2, list('i32', [i32(0), i32(3)])],
            [
              3,
              list(
                'bin',
                leaf.path.map((f) => bin(f.name)),
              ),
            ],
            [4, i32(CODEC[compression])],
            [5, i64(defs.length)],
            [6, i64(header.length + body.length)],
            [7, i64(header.length + compressed.length)],
            [9, i64(pageOffset)],
            [11, options.dictionaryPageOffsetZero ? i64(0) : undefined],
            [12, options.statistics || leaf.field.nullCount !== undefined ? struct([[3, i64(nullCount)]]) : undefined],
          ]),
        ],
      ]);
    });
    rowGroups.push(
      struct([
        [1, list('struct', columns)],
        [2, i64(groupBytes)],
        [3, i64(group.length)],
        [5, i64(groupStart)],
        [6, i64(offset - groupStart)],
      ]),
    );
    if (rows.length === 0) break;
  }
  const footer = thrift([
    [1, i32(1)],
    [
      2,
      list('struct', [
        struct([
          [4, bin('schema')],
          [5, i32(fields.length)],
        ]),
        ...schemaElements(fields),
      ]),
    ],
    [3, i64(rows.length)],
    [4, list('struct', rowGroups)],
    [6, bin(options.createdBy ?? 'ferry test parquet-writer')],
  ]);
  const length = Buffer.alloc(4);
  length.writeUInt32LE(footer.length);
  chunks.push(footer, length, Buffer.from('PAR1'));
  return Buffer.concat(chunks);
}
