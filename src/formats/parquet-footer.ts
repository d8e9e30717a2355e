/**
 * Reads what ferry checks of a Parquet footer (Thrift compact protocol) before a reader
 * decodes the file: the row count, and per row group its rows, its uncompressed size and where
 * its column chunks lie. A hostile footer (row groups that claim more rows than the file, a
 * column chunk outside the file, a row group that would decompress to gigabytes) is refused
 * with a reason before Polars allocates anything for it.
 *
 * Only the fields needed are read; every other field is skipped by its wire type.
 */

import { formatSize } from '../units/index.ts';

export interface ColumnChunkInfo {
  /** Where the chunk's first page starts (dictionary page if any, else data page). */
  readonly start: number;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
  /** The leaf's path in the schema (`path_in_schema`), e.g. `['tags', 'list', 'element']`. */
  readonly path: readonly string[];
  /** Values in the chunk, counting nulls and empty lists (one per repetition/definition level). */
  readonly values: number;
  /** Nulls in the chunk as its statistics declare them, or null when not written. */
  readonly nullCount: number | null;
  /** The compression codec (CompressionCodec: 0 none, 1 snappy, 2 gzip, 6 zstd, …). */
  readonly codec: number;
  /** The chunk says dictionary_page_offset 0: a writer quirk for "no dictionary" that some readers follow to the magic bytes. */
  readonly dictionaryOffsetZero: boolean;
}

/** A node of the file's schema tree, as the footer declares it. */
export interface SchemaNode {
  readonly name: string;
  /** Physical type (Type: 0 BOOLEAN … 3 INT96 … 7 FIXED_LEN_BYTE_ARRAY), null for a group. */
  readonly type: number | null;
  readonly typeLength: number | null;
  /** 0 required, 1 optional, 2 repeated. */
  readonly repetition: number;
  /** ConvertedType (legacy annotation: 1 MAP, 2 MAP_KEY_VALUE, 3 LIST, …), or null. */
  readonly convertedType: number | null;
  /** The LogicalType union's field id (3 LIST, 2 MAP, 8 TIMESTAMP, 15 FLOAT16, …), or null. */
  readonly logicalType: number | null;
  readonly children: readonly SchemaNode[];
}

export interface RowGroupInfo {
  readonly rows: number;
  /** Uncompressed bytes of the row group's data, as the footer declares them. */
  readonly totalByteSize: number;
  readonly columns: readonly ColumnChunkInfo[];
}

export interface FooterInfo {
  readonly rows: number;
  readonly rowGroups: readonly RowGroupInfo[];
  /** The schema's root's children (the file's top-level columns); empty when the footer has none. */
  readonly schema: readonly SchemaNode[];
}

// Compact protocol types.
const BOOL_TRUE = 1;
const BOOL_FALSE = 2;
const BYTE = 3;
const I16 = 4;
const I32 = 5;
const I64 = 6;
const DOUBLE = 7;
const BINARY = 8;
const LIST = 9;
const SET = 10;
const MAP = 11;
const STRUCT = 12;

/** Nesting deeper than this is not a real Parquet footer. */
const MAX_DEPTH = 64;

class Reader {
  private at = 0;
  private readonly bytes: Buffer;

  constructor(bytes: Buffer) {
    this.bytes = bytes;
  }

  private byte(): number {
    if (this.at >= this.bytes.length) throw new Error('the footer ends in the middle of a value');
    return this.bytes[this.at++] as number;
  }

  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = this.byte();
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 70n) throw new Error('a varint in the footer is too long');
    }
  }

  /** A zigzag integer as a number (footer sizes and counts fit in 2^53). */
  int(): number {
    const raw = this.varint();
    const value = (raw >> 1n) ^ -(raw & 1n);
    return Number(value);
  }

  skip(type: number, depth = 0): void {
    if (depth > MAX_DEPTH) throw new Error('the footer nests too deeply');
    switch (type) {
      case BOOL_TRUE:
      case BOOL_FALSE:
        return;
      case BYTE:
        this.byte();
        return;
      case I16:
      case I32:
      case I64:
        this.varint();
        return;
      case DOUBLE:
        this.advance(8);
        return;
      case BINARY:
        this.advance(Number(this.varint()));
        return;
      case LIST:
      case SET: {
        const { size, elementType } = this.listHeader();
        // Booleans in a list are a byte each (in a struct field the type itself is the value).
        if (elementType === BOOL_TRUE || elementType === BOOL_FALSE) this.advance(size);
        else for (let i = 0; i < size; i++) this.skip(elementType, depth + 1);
        return;
      }
      case MAP: {
        const size = Number(this.varint());
        if (size === 0) return;
        const types = this.byte();
        for (let i = 0; i < size; i++) {
          this.skip(types >> 4, depth + 1);
          this.skip(types & 0x0f, depth + 1);
        }
        return;
      }
      case STRUCT:
        this.struct(() => false, depth + 1);
        return;
      default:
        throw new Error(`unknown Thrift type ${type} in the footer`);
    }
  }

  private advance(count: number): void {
    if (count < 0 || this.at + count > this.bytes.length) throw new Error('a value runs past the end of the footer');
    this.at += count;
  }

  /** Bytes read so far. */
  get position(): number {
    return this.at;
  }

  /** A binary field as UTF-8 text (names in the schema). */
  text(): string {
    const length = Number(this.varint());
    this.advance(length);
    return this.bytes.toString('utf8', this.at - length, this.at);
  }

  listHeader(): { size: number; elementType: number } {
    const header = this.byte();
    let size = header >> 4;
    if (size === 15) size = Number(this.varint());
    if (size > this.bytes.length) throw new Error(`a list in the footer claims ${size} elements`);
    return { size, elementType: header & 0x0f };
  }

  /** Reads a struct's fields, calling `field(id, type)` for each; it returns true when it consumed the value. */
  struct(field: (id: number, type: number) => boolean, depth = 0): void {
    let last = 0;
    for (;;) {
      const header = this.byte();
      if (header === 0) return; // stop
      const type = header & 0x0f;
      const delta = header >> 4;
      const id = delta === 0 ? this.int() : last + delta;
      last = id;
      if (!field(id, type)) this.skip(type, depth);
    }
  }
}

/** A page's header: its kind (0 data, 2 dictionary, 3 data v2), its sizes, and its own length in bytes. */
export interface PageHeaderInfo {
  readonly type: number;
  readonly uncompressedSize: number;
  readonly compressedSize: number;
  readonly headerLength: number;
}

/** Parses the PageHeader at the start of `bytes` (Thrift compact). Throws on a malformed one. */
export function readPageHeader(bytes: Buffer): PageHeaderInfo {
  const reader = new Reader(bytes);
  let type = -1;
  let uncompressedSize = -1;
  let compressedSize = -1;
  reader.struct((id, wire) => {
    if (wire !== I32 || id > 3) return false;
    const value = reader.int();
    if (id === 1) type = value;
    else if (id === 2) uncompressedSize = value;
    else compressedSize = value;
    return true;
  });
  return { type, uncompressedSize, compressedSize, headerLength: reader.position };
}

/** Parses a footer (the FileMetaData bytes between the data and the length). Throws with a reason on a malformed one. */
export function readFooter(bytes: Buffer): FooterInfo {
  const reader = new Reader(bytes);
  let rows = 0;
  const rowGroups: RowGroupInfo[] = [];
  let elements: FlatElement[] = [];
  reader.struct((id, type) => {
    if (id === 2 && type === LIST) {
      const { size } = reader.listHeader();
      elements = [];
      for (let i = 0; i < size; i++) elements.push(readSchemaElement(reader));
      return true;
    }
    if (id === 3 && type === I64) {
      rows = reader.int();
      return true;
    }
    if (id === 4 && type === LIST) {
      const { size } = reader.listHeader();
      for (let i = 0; i < size; i++) rowGroups.push(readRowGroup(reader));
      return true;
    }
    return false;
  });
  return { rows, rowGroups, schema: schemaTree(elements) };
}

/** A SchemaElement as the footer lists it: depth first, each group followed by its children. */
interface FlatElement extends Omit<SchemaNode, 'children'> {
  readonly childCount: number;
}

function readSchemaElement(reader: Reader): FlatElement {
  let name = '';
  let type: number | null = null;
  let typeLength: number | null = null;
  let repetition = 0;
  let childCount = 0;
  let convertedType: number | null = null;
  let logicalType: number | null = null;
  reader.struct((id, wire) => {
    if (id === 4 && wire === BINARY) {
      name = reader.text();
      return true;
    }
    if (id === 10 && wire === STRUCT) {
      // A union: one field, whose id names the logical type (its contents are skipped).
      reader.struct((member, memberType) => {
        logicalType = member;
        reader.skip(memberType);
        return true;
      });
      return true;
    }
    if (wire !== I32) return false;
    const value = reader.int();
    if (id === 1) type = value;
    else if (id === 2) typeLength = value;
    else if (id === 3) repetition = value;
    else if (id === 5) childCount = value;
    else if (id === 6) convertedType = value;
    return true;
  });
  return { name, type, typeLength, repetition, childCount, convertedType, logicalType };
}

/** The flat element list as a tree; the root's children are returned. */
function schemaTree(elements: readonly FlatElement[]): SchemaNode[] {
  let at = 0;
  const node = (depth: number): SchemaNode => {
    if (depth > MAX_DEPTH) throw new Error('the schema nests too deeply');
    const element = elements[at++];
    if (element === undefined) throw new Error('the schema declares more children than it lists');
    const children: SchemaNode[] = [];
    for (let i = 0; i < element.childCount; i++) children.push(node(depth + 1));
    const { childCount: _, ...rest } = element;
    return { ...rest, type: element.childCount > 0 ? null : element.type, children };
  };
  if (elements.length === 0) return [];
  return [...node(0).children];
}

function readRowGroup(reader: Reader): RowGroupInfo {
  let rows = 0;
  let totalByteSize = 0;
  const columns: ColumnChunkInfo[] = [];
  reader.struct((id, type) => {
    if (id === 1 && type === LIST) {
      const { size } = reader.listHeader();
      for (let i = 0; i < size; i++) {
        const column = readColumnChunk(reader);
        if (column !== null) columns.push(column);
      }
      return true;
    }
    if (id === 2 && type === I64) {
      totalByteSize = reader.int();
      return true;
    }
    if (id === 3 && type === I64) {
      rows = reader.int();
      return true;
    }
    return false;
  });
  return { rows, totalByteSize, columns };
}

function readColumnChunk(reader: Reader): ColumnChunkInfo | null {
  let info: ColumnChunkInfo | null = null;
  reader.struct((id, type) => {
    if (id !== 3 || type !== STRUCT) return false;
    let dataPage = -1;
    let dictionaryPage = -1;
    let compressedSize = 0;
    let uncompressedSize = 0;
    let values = 0;
    let nullCount: number | null = null;
    let codec = 0;
    const path: string[] = [];
    reader.struct((field, fieldType) => {
      if (field === 3 && fieldType === LIST) {
        const { size } = reader.listHeader();
        for (let i = 0; i < size; i++) path.push(reader.text());
        return true;
      }
      if (field === 4 && fieldType === I32) {
        codec = reader.int();
        return true;
      }
      if (field === 12 && fieldType === STRUCT) {
        reader.struct((stat, statType) => {
          if (stat !== 3 || statType !== I64) return false;
          nullCount = reader.int();
          return true;
        });
        return true;
      }
      if (fieldType !== I64) return false;
      if (field === 5) values = reader.int();
      else if (field === 6) uncompressedSize = reader.int();
      else if (field === 7) compressedSize = reader.int();
      else if (field === 9) dataPage = reader.int();
      else if (field === 11) dictionaryPage = reader.int();
      else return false;
      return true;
    });
    // Some writers put 0 in dictionary_page_offset to mean "no dictionary" (0 is the magic
    // bytes, never a page): read as absent, as parquet-mr and Arrow do.
    const hasDictionary = dictionaryPage >= 4;
    const start = hasDictionary && (dataPage < 0 || dictionaryPage < dataPage) ? dictionaryPage : dataPage;
    info = { start, compressedSize, uncompressedSize, path, values, nullCount, codec, dictionaryOffsetZero: dictionaryPage === 0 };
    return true;
  });
  return info;
}

/** What is wrong with a footer for a file of `fileSize` bytes whose footer is `footerSize` bytes, or null. */
export function footerProblem(footer: FooterInfo, fileSize: number, footerSize: number, maxRowGroupSize: number): string | null {
  const dataEnd = fileSize - 8 - footerSize;
  let rows = 0;
  for (const [index, group] of footer.rowGroups.entries()) {
    if (group.rows < 0) return `row group ${index} declares ${group.rows} rows`;
    rows += group.rows;
    if (group.totalByteSize < 0 || group.totalByteSize > maxRowGroupSize) {
      return `row group ${index} declares ${formatSize(group.totalByteSize)} of data, over the limit of ${formatSize(maxRowGroupSize)} (limits.maxRowGroupSize)`;
    }
    for (const [c, column] of group.columns.entries()) {
      if (column.start < 4 || column.compressedSize < 0 || column.start + column.compressedSize > dataEnd) {
        return `column chunk ${c} of row group ${index} lies outside the file's data (bytes ${column.start} to ${column.start + column.compressedSize} of ${dataEnd})`;
      }
      if (column.uncompressedSize < 0 || column.uncompressedSize > maxRowGroupSize) {
        return `column chunk ${c} of row group ${index} declares ${formatSize(column.uncompressedSize)} uncompressed, over the limit of ${formatSize(maxRowGroupSize)} (limits.maxRowGroupSize)`;
      }
    }
  }
  if (rows !== footer.rows) return `its row groups declare ${rows} rows in all, its footer ${footer.rows}`;
  return null;
}
