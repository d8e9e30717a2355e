/**
 * The table's shape: created from the frame's schema when missing (a primary key on the key in
 * merge mode, an index on the lineage column), evolved (new nullable columns) or refused with
 * the difference (schemaDrift: strict). Creation and changes take an advisory lock, so workers
 * loading their first files at once do not race.
 */
import { FerryError } from '../errors/index.ts';
import { type ColumnDefinition, canonicalType, createTableSql, type FrameColumn, type PoolClient, postgresType, quoteIdentifier } from '../postgres/index.ts';
import { hasUniqueIndex, type TableColumn, tableColumns } from './table-introspector.ts';
import { LINEAGE_COLUMNS, qualifiedRejectsName, type TableSink } from './table-sink.ts';

/** First key of the advisory lock taken to create or alter a table ("Fert"). */
const TABLE_LOCK_NAMESPACE = 0x4665_7274;

/** The table's columns for a frame's: their PostgreSQL types, then the lineage columns when on. */
export function tableColumnsFor(sink: Pick<TableSink, 'lineage'>, columns: readonly FrameColumn[]): ColumnDefinition[] {
  const definitions: ColumnDefinition[] = columns.map((c) => ({ name: c.name, type: postgresType(c) }));
  if (sink.lineage) {
    definitions.push(
      { name: LINEAGE_COLUMNS.file, type: 'text' },
      { name: LINEAGE_COLUMNS.version, type: 'text' },
      { name: LINEAGE_COLUMNS.loadedAt, type: 'timestamptz', extra: 'NOT NULL DEFAULT now()' },
    );
  }
  return definitions;
}

/** How a file's columns differ from an existing table's (types in PostgreSQL's spelling). */
export interface TableDrift {
  /** In the file, not in the table: `evolve` adds them (nullable), `strict` quarantines the file. */
  readonly added: readonly ColumnDefinition[];
  /** In both, with another type. */
  readonly changed: readonly { readonly name: string; readonly table: string; readonly file: string }[];
  /** In the table, not in the file: NULL in this file's rows (or their default). */
  readonly missing: readonly TableColumn[];
}

/** Compares the columns a file would have in the table (tableColumnsFor) with the table's. */
export function tableDrift(wanted: readonly ColumnDefinition[], existing: readonly TableColumn[]): TableDrift {
  const have = new Map(existing.map((c) => [c.name, c.type]));
  const wantedNames = new Set(wanted.map((c) => c.name));
  return {
    added: wanted.filter((c) => !have.has(c.name)),
    changed: wanted
      .filter((c) => have.has(c.name) && have.get(c.name) !== canonicalType(c.type))
      .map((c) => ({ name: c.name, table: have.get(c.name) as string, file: canonicalType(c.type) })),
    missing: existing.filter((c) => !wantedNames.has(c.name)),
  };
}

/** The statement that adds a file's new column to the table (`table` quoted and qualified). */
export function addColumnSql(table: string, column: ColumnDefinition): string {
  const extra = column.name === LINEAGE_COLUMNS.loadedAt ? ' DEFAULT now()' : '';
  return `ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS ${quoteIdentifier(column.name)} ${column.type}${extra}`;
}

/** One line per difference: `+ name type (not in the table)`, `- …`, `~ …`. */
export function describeDrift(drift: TableDrift): string[] {
  return [
    ...drift.added.map((c) => `+ ${c.name} ${c.type} (not in the table)`),
    ...drift.missing.map((c) => `- ${c.name} ${c.type} (not in the file)`),
    ...drift.changed.map((c) => `~ ${c.name}: table ${c.table}, file ${c.file}`),
  ];
}

/** Creates the table, or checks the file against it and evolves it; returns the table's column types (PostgreSQL's spelling). */
export async function prepareTable(
  client: PoolClient,
  sink: TableSink,
  table: string,
  key: string,
  columns: readonly FrameColumn[],
): Promise<Map<string, string>> {
  const wanted = tableColumnsFor(sink, columns);
  const lock = () => client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [TABLE_LOCK_NAMESPACE, table]);

  let existing = await tableColumns(client, sink);
  if (existing === null) {
    // Workers loading their first files at once would race to create the table; the first
    // takes this lock (until its commit) and the others then find the table made.
    await lock();
    existing = await tableColumns(client, sink);
    if (existing === null) {
      if (sink.schema !== null) await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(sink.schema)}`);
      await client.query(createTableSql(table, wanted, sink.mode === 'merge' ? sink.key : []));
      if (sink.lineage) await client.query(`CREATE INDEX ON ${table} (${quoteIdentifier(LINEAGE_COLUMNS.file)})`);
      return new Map(wanted.map((c) => [c.name, canonicalType(c.type)]));
    }
  }

  const have = new Map(existing.map((c) => [c.name, c.type]));
  const { added, changed, missing } = tableDrift(wanted, existing);
  if (sink.schemaDrift === 'strict' && added.length + changed.length + missing.length > 0) {
    throw new FerryError(
      'SCHEMA_MISMATCH',
      `${key} does not match the columns of ${table} (schemaDrift: strict): ${describeDrift({ added, changed, missing }).join('; ')}`,
    );
  }
  if (added.length > 0) {
    await lock();
    for (const column of added) await client.query(addColumnSql(table, column));
  }
  if (sink.mode === 'merge' && !(await hasUniqueIndex(client, sink, sink.key))) {
    const keyList = sink.key.map(quoteIdentifier).join(', ');
    throw new FerryError(
      'TABLE_UNSUITABLE',
      `merge into ${table} needs a primary key or unique index on (${keyList}), and it has none; create one: CREATE UNIQUE INDEX ON ${table} (${keyList})`,
    );
  }
  for (const column of added) have.set(column.name, canonicalType(column.type));
  return have;
}

/**
 * The rejects table of a sink, created when missing: the rejected row's values as JSON, the
 * rules it failed, its file, version and row number, and when it was rejected.
 */
export async function prepareRejectsTable(client: PoolClient, sink: TableSink): Promise<void> {
  const name = { schema: sink.schema, table: sink.rejects };
  if ((await tableColumns(client, name)) !== null) return;
  const table = qualifiedRejectsName(sink);
  await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [TABLE_LOCK_NAMESPACE, table]);
  if ((await tableColumns(client, name)) !== null) return;
  if (sink.schema !== null) await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(sink.schema)}`);
  await client.query(
    `CREATE TABLE IF NOT EXISTS ${table} (
       _ferry_file text NOT NULL, _ferry_version text NOT NULL, row_number bigint NOT NULL, rules text[] NOT NULL,
       "values" jsonb NOT NULL, _ferry_rejected_at timestamptz NOT NULL DEFAULT now())`,
  );
  await client.query(`CREATE INDEX ON ${table} (_ferry_file)`);
}
