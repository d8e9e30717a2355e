/**
 * What a Parquet file's schema (from its footer, see parquet-footer.ts) says before any value is
 * decoded: the columns a reader is known to get wrong, and what the footer declares about each
 * column, so that what was decoded can be compared with it (see read-guard.ts).
 *
 * Pure: no Polars here. Nothing in this module trusts a reader; it reads the footer's words.
 */
import { FerryError } from '../errors/index.ts';
import type { FooterInfo, SchemaNode } from './parquet-footer.ts';

const REPEATED = 2;
const INT96 = 3;
const FIXED_LEN_BYTE_ARRAY = 7;
const CONVERTED_MAP = 1;
const CONVERTED_MAP_KEY_VALUE = 2;
const CONVERTED_LIST = 3;
const LOGICAL_MAP = 2;
const LOGICAL_LIST = 3;
const LOGICAL_UUID = 14;
const LOGICAL_FLOAT16 = 15;
/** LogicalType union members defined by the Parquet format up to 2.11 (9 is unused). */
const KNOWN_LOGICAL_TYPES = new Set([1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14, 15, 16, 17, 18]);

const isList = (node: SchemaNode) => node.convertedType === CONVERTED_LIST || node.logicalType === LOGICAL_LIST;
const isMap = (node: SchemaNode) => node.convertedType === CONVERTED_MAP || node.convertedType === CONVERTED_MAP_KEY_VALUE || node.logicalType === LOGICAL_MAP;

/** A list written in one of the encodings older writers used, which readers decode differently. */
export interface LegacyList {
  /** The column's path, dotted (`a.b`). */
  readonly column: string;
  readonly encoding: string;
  /**
   * For a top-level column with one level of repetition: the path of its first leaf, whose
   * declared value count tells whether a reader decoded every element (see legacyListsDecoded);
   * null where ferry cannot check (a list inside a struct, lists of lists).
   */
  readonly leaf: readonly string[] | null;
}

/**
 * Every list in a legacy encoding. The Parquet format's backward-compatibility rules name them:
 * a `repeated` field outside a LIST or MAP group (a one-level list), and a LIST group whose
 * repeated child is itself the element (two-level: a repeated primitive, a repeated group of
 * several fields, or one named `array` or `<name>_tuple`). Polars reads some of these right and
 * others as empty lists without an error, so each is checked or refused, never trusted.
 */
export function findLegacyLists(schema: readonly SchemaNode[]): LegacyList[] {
  const found: LegacyList[] = [];
  const visit = (node: SchemaNode, parent: SchemaNode | null, path: readonly string[], top: SchemaNode): void => {
    const here = [...path, node.name];
    const column = here.join('.');
    if (node.repetition === REPEATED && (parent === null || !(isList(parent) || isMap(parent)))) {
      found.push({
        column,
        encoding: `a repeated ${node.type === null ? 'group' : 'field'} "${node.name}" without a LIST annotation (a one-level list)`,
        leaf: parent === null ? checkableLeaf(top) : null,
      });
      return;
    }
    if (isList(node)) {
      const [child] = node.children;
      if (node.children.length === 1 && child !== undefined && child.repetition === REPEATED) {
        const twoLevel =
          child.type !== null
            ? 'a repeated primitive inside the LIST group'
            : child.children.length !== 1
              ? 'a repeated group of several fields inside the LIST group'
              : child.name === 'array' || child.name === `${node.name}_tuple`
                ? `a repeated group named "${child.name}" inside the LIST group`
                : null;
        if (twoLevel !== null) {
          found.push({ column, encoding: `the two-level list encoding (${twoLevel})`, leaf: parent === null ? checkableLeaf(top) : null });
          return;
        }
        // The standard three-level list: look inside its element.
        visit(child.children[0] as SchemaNode, child, [...here, child.name], top);
        return;
      }
    }
    for (const inner of node.children) visit(inner, node, here, top);
  };
  for (const column of schema) visit(column, null, [], column);
  return found;
}

/**
 * The first leaf of a top-level column that repeats exactly once on the way to it (the only
 * shape whose decoded list lengths the footer's value count can check), else null.
 */
function checkableLeaf(top: SchemaNode): string[] | null {
  const path: string[] = [];
  let repeated = 0;
  let node: SchemaNode | undefined = top;
  while (node !== undefined) {
    path.push(node.name);
    if (node.repetition === REPEATED) repeated++;
    if (node.children.length === 0) break;
    node = node.children[0];
  }
  // Every leaf under the repeated node must repeat no further.
  const repeatsBelow = (n: SchemaNode, seen: number): boolean =>
    (n.repetition === REPEATED ? seen + 1 : seen) > 1 || n.children.some((c) => repeatsBelow(c, n.repetition === REPEATED ? seen + 1 : seen));
  return repeated === 1 && !repeatsBelow(top, 0) ? path : null;
}

/** The values the footer declares for a leaf (nulls and empty lists count one each), over all row groups. */
export function declaredLeafValues(footer: FooterInfo, leaf: readonly string[]): number {
  let values = 0;
  for (const group of footer.rowGroups)
    for (const chunk of group.columns) if (chunk.path.length === leaf.length && chunk.path.every((part, i) => part === leaf[i])) values += chunk.values;
  return values;
}

/** Top-level columns of one physical/logical kind that ferry decodes or checks itself. */
export interface SpecialColumns {
  /** INT96 timestamps: Polars reads them as nanoseconds and saturates past 2262-04-11. */
  readonly int96: readonly string[];
  /** Float16 (FIXED_LEN_BYTE_ARRAY(2) with the FLOAT16 logical type): Polars hands over the raw bytes. */
  readonly float16: readonly string[];
  /** UUIDs (FIXED_LEN_BYTE_ARRAY(16) with the UUID logical type): Polars hands over the 16 bytes. */
  readonly uuid: readonly string[];
  /** Columns with a logical type the format did not define when this was written. */
  readonly unknownLogical: readonly { readonly column: string; readonly id: number }[];
}

export function specialColumns(schema: readonly SchemaNode[]): SpecialColumns {
  const int96: string[] = [];
  const float16: string[] = [];
  const uuid: string[] = [];
  const unknownLogical: { column: string; id: number }[] = [];
  const visit = (node: SchemaNode, path: string) => {
    if (node.logicalType !== null && !KNOWN_LOGICAL_TYPES.has(node.logicalType)) unknownLogical.push({ column: path, id: node.logicalType });
    for (const child of node.children) visit(child, `${path}.${child.name}`);
  };
  for (const column of schema) {
    if (column.type === INT96) int96.push(column.name);
    if (column.type === FIXED_LEN_BYTE_ARRAY && column.logicalType === LOGICAL_FLOAT16 && column.typeLength === 2) float16.push(column.name);
    if (column.type === FIXED_LEN_BYTE_ARRAY && column.logicalType === LOGICAL_UUID && column.typeLength === 16) uuid.push(column.name);
    visit(column, column.name);
  }
  return { int96, float16, uuid, unknownLogical };
}

/** What the footer declares about a file's top-level flat columns, summed over its row groups. */
export interface DeclaredCounts {
  readonly rows: number;
  /** Column → nulls declared, for the flat top-level columns whose every chunk has a null count. */
  readonly nulls: Readonly<Record<string, number>>;
}

/** The row count and, per flat top-level column, the nulls the footer declares. */
export function declaredCounts(footer: FooterInfo): DeclaredCounts {
  const flat = new Set(footer.schema.filter((node) => node.type !== null && node.repetition !== REPEATED).map((node) => node.name));
  const nulls: Record<string, number> = {};
  const missing = new Set<string>();
  for (const group of footer.rowGroups) {
    for (const chunk of group.columns) {
      const [name] = chunk.path;
      if (chunk.path.length !== 1 || name === undefined || !flat.has(name)) continue;
      // A flat chunk holds one value per row, nulls included; one that says otherwise is not
      // a declaration to hold the decoded values to.
      if (chunk.nullCount === null || chunk.values !== group.rows) missing.add(name);
      else nulls[name] = (nulls[name] ?? 0) + chunk.nullCount;
    }
  }
  for (const name of missing) delete nulls[name];
  return { rows: footer.rows, nulls };
}

/**
 * Refuses a file whose schema holds what ferry cannot check Polars on; returns the legacy lists
 * it can check (top-level, one level of repetition), which legacyListsDecoded then holds to the
 * footer once the file is open.
 */
export function refuseUnreadableSchema(key: string, footer: FooterInfo): LegacyList[] {
  const legacy = findLegacyLists(footer.schema);
  const unchecked = legacy.find((list) => list.leaf === null);
  if (unchecked !== undefined) throw legacyRefusal(key, unchecked, null);
  return legacy;
}

export function legacyRefusal(key: string, legacy: LegacyList, decoded: { readonly got: number; readonly declared: number } | null): FerryError {
  const how =
    decoded === null
      ? "which ferry's Parquet reader does not read correctly"
      : `of which ferry's Parquet reader decoded ${decoded.got} values where the footer declares ${decoded.declared}`;
  return new FerryError(
    'FILE_UNSUPPORTED',
    `${key}: column ${JSON.stringify(legacy.column)} is a list in ${legacy.encoding}, ${how}; rewrite the file with a current writer (three-level LIST)`,
  );
}

/** Rows and nulls per column as decoded, summed over a file's parts. */
export class DecodedCounts {
  rows = 0;
  readonly nulls: Record<string, number> = {};

  add(rows: number, nulls: Readonly<Record<string, number>>): void {
    this.rows += rows;
    for (const [column, count] of Object.entries(nulls)) this.nulls[column] = (this.nulls[column] ?? 0) + count;
  }
}

/**
 * Refuses a file whose decoded rows or nulls differ from what its footer declares: a reader
 * that dropped, repeated or blanked values, whatever its bug, is caught before the rows load.
 */
export function compareDecoded(key: string, declared: DeclaredCounts, decoded: DecodedCounts): void {
  if (decoded.rows !== declared.rows) {
    throw new FerryError('READ_MISMATCH', `${key}: ${decoded.rows} rows were decoded, but the file's footer declares ${declared.rows}; nothing was loaded`);
  }
  for (const [column, nulls] of Object.entries(declared.nulls)) {
    const got = decoded.nulls[column];
    if (got !== undefined && got !== nulls) {
      throw new FerryError(
        'READ_MISMATCH',
        `${key}: column ${JSON.stringify(column)} decoded with ${got} nulls, but the file's footer declares ${nulls}; nothing was loaded`,
      );
    }
  }
}

/** Columns with a logical type the format did not define when this was written, named for a refusal. */
export function unknownLogicalTypes(footer: FooterInfo): string | null {
  const { unknownLogical } = specialColumns(footer.schema);
  return unknownLogical.length === 0 ? null : unknownLogical.map(({ column, id }) => `${JSON.stringify(column)} (logical type ${id})`).join(', ');
}
