/** Hostile Parquet footers, written in Thrift's compact protocol for the tests. */
/** Minimal compact-protocol writer: enough to build FileMetaData { 3: num_rows, 4: row_groups }. */
const varint = (value: bigint): number[] => {
  const out: number[] = [];
  let v = value;
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return out;
};
const zigzag = (n: number) => varint((BigInt(n) << 1n) ^ (BigInt(n) < 0n ? -1n : 0n));
const field = (delta: number, type: number) => [(delta << 4) | type];
const i64 = (delta: number, n: number) => [...field(delta, 6), ...zigzag(n)];
const list = (delta: number, elementType: number, items: number[][]) => [
  ...field(delta, 9),
  ...(items.length < 15 ? [(items.length << 4) | elementType] : [0xf0 | elementType, ...varint(BigInt(items.length))]),
  ...items.flat(),
];
export const column = (dataPage: number, compressed: number, uncompressed: number) => [
  // ColumnChunk { 2: file_offset, 3: meta_data { 6: uncompressed, 7: compressed, 9: data_page_offset } }
  ...i64(2, dataPage),
  ...field(1, 12),
  ...i64(6, uncompressed),
  ...i64(1, compressed),
  ...i64(2, dataPage),
  0,
  0,
];
export const rowGroup = (rows: number, bytes: number, columns: number[][]) => [...list(1, 12, columns), ...i64(1, bytes), ...i64(1, rows), 0];
export const footer = (rows: number, groups: number[][]) => Buffer.from([...i64(3, rows), ...list(1, 12, groups), 0]);

/** A file with the Parquet magic at both ends, `dataBytes` of filler, and `footerBytes` as its footer. */
export function parquetWithFooter(dataBytes: number, footerBytes: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32LE(footerBytes.length, 0);
  return Buffer.concat([Buffer.from('PAR1'), Buffer.alloc(dataBytes), footerBytes, length, Buffer.from('PAR1')]);
}
