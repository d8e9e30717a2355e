/**
 * Fidelity: every file of the corpus (`test/fixtures/fidelity-corpus.ts`) is loaded by ferry into
 * PostgreSQL and compared with an independent reader's view of the same file (DuckDB): the row
 * count; per column the type, the non-null count, and by the column's type sum/min/max of numbers,
 * distinct count and min/max of text, min/max of dates and times, the parts of intervals, sizes
 * and extremes of binary values, and nested values (lists, structs, maps, JSON) row by row as
 * JSON. A refused file must be quarantined with its expected code, never processed.
 *
 * The comparison is driven by each column's type in DuckDB, not by the file; a documented
 * inference choice of ferry's is declared in the corpus (the oracle then reads the column as
 * ferry does). Every other difference fails the file's test with one line per difference.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { Runtime } from '../../src/runtime.ts';
import { runPipeline } from '../../src/worker/index.ts';
import { type CorpusEntry, type DocumentedDifference, writeFidelityCorpus } from '../fixtures/fidelity-corpus.ts';
import { tempDir } from '../helpers/fixtures.ts';
import { useTestRuntime } from '../helpers/runtime.ts';

const test = useTestRuntime('fidelity-');
const corpusDir = tempDir('fidelity-corpus-');
const entries = await writeFidelityCorpus(corpusDir);
let instance: DuckDBInstance;
let duck: DuckDBConnection;
let runtime: Runtime | null = null;
/** What ferry did with each file, printed after the run. */
const outcomes: string[] = [];

before(async () => {
  instance = await DuckDBInstance.create(':memory:');
  duck = await instance.connect();
  await duck.run("SET TimeZone = 'UTC'");
});
after(() => {
  duck.closeSync();
  instance.closeSync();
  process.stdout.write(`\nfidelity corpus, what ferry did:\n${outcomes.map((line) => `  ${line}`).join('\n')}\n`);
  fs.rmSync(corpusDir, { recursive: true, force: true });
});

const tableOf = (file: string) => `f_${file.replace(/[^a-z0-9]+/gi, '_').toLowerCase()}`;
const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;
const sqlString = (text: string) => `'${text.replaceAll("'", "''")}'`;

/** One runtime with a pipeline per corpus file (its glob is the file's name). */
async function corpusRuntime(): Promise<Runtime> {
  test.inbox = corpusDir;
  if (runtime !== null && test.runtime === runtime) return runtime;
  const pipelines = Object.fromEntries(
    entries.map((entry, i) => [`p${i}`, { source: { glob: entry.file, modifiedWithin: null }, sink: { table: tableOf(entry.file) } }]),
  );
  runtime = await test.open({ raw: { pipelines } });
  return runtime;
}

// ---------------------------------------------------------------- the oracle's read

/** DuckDB's relation for a file, with the documented differences' types applied. */
async function oracleSource(entry: CorpusEntry): Promise<string> {
  const file = sqlString(path.join(corpusDir, entry.file));
  const typed = ('differences' in entry ? (entry.differences ?? []) : []).filter((d) => d.duckdbType !== undefined);
  const overrides = (pairs: [string, string][]) => `{${pairs.map(([name, type]) => `${sqlString(name)}: ${sqlString(type)}`).join(', ')}}`;
  if (/\.parquet$/.test(entry.file)) {
    if (typed.length === 0) return `read_parquet(${file})`;
    return `(SELECT * REPLACE (${typed.map((d) => `CAST(${quote(d.column)} AS ${d.duckdbType}) AS ${quote(d.column)}`).join(', ')}) FROM read_parquet(${file}))`;
  }
  // A quoted empty field is an empty string, an unquoted one NULL (as PostgreSQL's COPY reads CSV).
  if (/\.csv(\.gz)?$/.test(entry.file))
    return `read_csv(${file}, allow_quoted_nulls = false${typed.length === 0 ? '' : `, types = ${overrides(typed.map((d) => [d.column, d.duckdbType!]))}`})`;
  if (typed.length === 0) return `read_json(${file})`;
  // read_json takes no partial types: every column, with the documented ones replaced.
  const described = (await duck.runAndReadAll(`DESCRIBE SELECT * FROM read_json(${file})`)).getRowObjectsJson();
  const columns = described.map((row): [string, string] => {
    const name = String(row.column_name);
    return [name, typed.find((d) => d.column === name)?.duckdbType ?? String(row.column_type)];
  });
  return `read_json(${file}, columns = ${overrides(columns)})`;
}

// ---------------------------------------------------------------- measures by type

type ColumnClass = 'number' | 'float' | 'text' | 'bool' | 'date' | 'timestamp' | 'timestamptz' | 'time' | 'interval' | 'blob' | 'json';

/** A DuckDB type → its class and the PostgreSQL types ferry may give it. */
function classify(duckType: string): { cls: ColumnClass; pg: readonly string[] } {
  const t = duckType.toUpperCase();
  if (/\[\d*\]$/.test(t) || /^(STRUCT|MAP|UNION)\(/.test(t) || t === 'JSON') return { cls: 'json', pg: ['jsonb'] };
  if (/^DECIMAL/.test(t)) return { cls: 'number', pg: ['numeric'] };
  const simple: Record<string, { cls: ColumnClass; pg: readonly string[] }> = {
    TINYINT: { cls: 'number', pg: ['smallint'] },
    SMALLINT: { cls: 'number', pg: ['smallint'] },
    UTINYINT: { cls: 'number', pg: ['smallint'] },
    INTEGER: { cls: 'number', pg: ['integer'] },
    USMALLINT: { cls: 'number', pg: ['integer'] },
    BIGINT: { cls: 'number', pg: ['bigint'] },
    UINTEGER: { cls: 'number', pg: ['bigint'] },
    UBIGINT: { cls: 'number', pg: ['numeric'] },
    // DuckDB's JSON reader types any column with a negative integer HUGEINT: bigint is right when
    // the values fit (the extremes are compared), numeric when they do not.
    HUGEINT: { cls: 'number', pg: ['numeric', 'bigint'] },
    UHUGEINT: { cls: 'number', pg: ['numeric'] },
    FLOAT: { cls: 'float', pg: ['real'] },
    DOUBLE: { cls: 'float', pg: ['double precision'] },
    VARCHAR: { cls: 'text', pg: ['text'] },
    UUID: { cls: 'text', pg: ['uuid', 'text'] },
    BOOLEAN: { cls: 'bool', pg: ['boolean'] },
    DATE: { cls: 'date', pg: ['date'] },
    TIMESTAMP: { cls: 'timestamp', pg: ['timestamp without time zone'] },
    TIMESTAMP_S: { cls: 'timestamp', pg: ['timestamp without time zone'] },
    TIMESTAMP_MS: { cls: 'timestamp', pg: ['timestamp without time zone'] },
    TIMESTAMP_NS: { cls: 'timestamp', pg: ['timestamp without time zone'] },
    'TIMESTAMP WITH TIME ZONE': { cls: 'timestamptz', pg: ['timestamp with time zone'] },
    TIME: { cls: 'time', pg: ['time without time zone'] },
    TIME_NS: { cls: 'time', pg: ['time without time zone'] },
    INTERVAL: { cls: 'interval', pg: ['interval'] },
    BLOB: { cls: 'blob', pg: ['bytea'] },
  };
  return simple[t] ?? { cls: 'text', pg: ['text'] };
}

/** The class a PostgreSQL column's values are measured as. */
function pgClass(pgType: string): ColumnClass {
  if (['smallint', 'integer', 'bigint', 'numeric'].includes(pgType)) return 'number';
  if (['real', 'double precision'].includes(pgType)) return 'float';
  const other: Record<string, ColumnClass> = {
    boolean: 'bool',
    date: 'date',
    'timestamp without time zone': 'timestamp',
    'timestamp with time zone': 'timestamptz',
    'time without time zone': 'time',
    interval: 'interval',
    bytea: 'blob',
    jsonb: 'json',
    json: 'json',
  };
  return other[pgType] ?? 'text';
}

/** Aggregate expressions (as text) for a column measured as `cls`, in DuckDB's or PostgreSQL's dialect. */
function measures(side: 'duckdb' | 'pg', column: string, cls: ColumnClass): Record<string, string> {
  const c = quote(column);
  const pg = side === 'pg';
  const txt = (e: string) => (pg ? `(${e})::text` : `CAST(${e} AS VARCHAR)`);
  const stamp = (e: string) => (pg ? `to_char(${e}, 'YYYY-MM-DD HH24:MI:SS.US')` : `strftime(${e}, '%Y-%m-%d %H:%M:%S.%f')`);
  const base = { 'non-null': txt(`count(${c})`) };
  switch (cls) {
    case 'number':
      return { ...base, sum: txt(`sum(${c})`), min: txt(`min(${c})`), max: txt(`max(${c})`) };
    case 'float': // summed in double precision on both sides (PostgreSQL sums a real as a real)
      return { ...base, sum: txt(`sum(CAST(${c} AS DOUBLE PRECISION))`), min: txt(`min(${c})`), max: txt(`max(${c})`) };
    case 'bool':
      return { ...base, true: txt(`count(*) FILTER (WHERE ${c})`) };
    case 'text': {
      const v = pg ? `(${c})::text COLLATE "C"` : `CAST(${c} AS VARCHAR)`;
      return { ...base, distinct: txt(`count(DISTINCT ${v})`), min: `min(${v})`, max: `max(${v})` };
    }
    case 'date': // the sum of days since 1970 catches a change of any one value
      return { ...base, min: txt(`min(${c})`), max: txt(`max(${c})`), 'sum of days': txt(`sum(${c} - DATE '1970-01-01')`) };
    case 'time': {
      // Nanoseconds are cut, as ferry does (DuckDB's cast to TIME would round them).
      const micros = (e: string) => (pg ? `(${e})::text` : `regexp_replace(CAST(${e} AS VARCHAR), '(\\.\\d{6})\\d+$', '\\1')`);
      return { ...base, min: micros(`min(${c})`), max: micros(`max(${c})`) };
    }
    case 'timestamp':
    case 'timestamptz': {
      const utc = (e: string) => (cls === 'timestamptz' ? `(${e} AT TIME ZONE 'UTC')` : e);
      const micros = pg ? `(extract(epoch FROM ${c}) * 1000000)::numeric(30, 0)` : `epoch_us(${c})`;
      return { ...base, min: stamp(utc(`min(${c})`)), max: stamp(utc(`max(${c})`)), 'sum of µs': txt(`sum(${micros})`) };
    }
    case 'interval': {
      const part = (p: string) => (pg ? `extract(${p} FROM ${c})` : `datepart('${p}', ${c})`);
      return {
        ...base,
        months: txt(`sum(${part('year')} * 12 + ${part('month')})`),
        days: txt(`sum(${part('day')})`),
        microseconds: txt(`sum(${part('hour')} * 3600000000 + ${part('minute')} * 60000000 + ${part('microseconds')})`),
      };
    }
    case 'blob': {
      // PostgreSQL has no min(bytea): lowercase hex sorts as the bytes do.
      const hex = pg ? `encode(${c}, 'hex') COLLATE "C"` : `lower(hex(${c}))`;
      return { ...base, bytes: txt(`sum(${pg ? 'length' : 'octet_length'}(${c}))`), min: `min(${hex})`, max: `max(${hex})` };
    }
    case 'json':
      return base; // compared row by row
  }
}

/** Runs aggregate expressions in chunks (PostgreSQL takes at most 1,664 result columns). */
async function aggregate(side: 'duckdb' | 'pg', from: string, expressions: [string, string][]): Promise<Map<string, string | null>> {
  const out = new Map<string, string | null>();
  for (let start = 0; start < expressions.length; start += 500) {
    const chunk = expressions.slice(start, start + 500);
    const sql = `SELECT ${chunk.map(([, e], i) => `${e} AS m${i}`).join(', ')} FROM ${from}`;
    const row = side === 'pg' ? (await test.db.pool.query(sql)).rows[0] : (await duck.runAndReadAll(sql)).getRowObjectsJson()[0];
    chunk.forEach(([key], i) => {
      const value = row?.[`m${i}`];
      out.set(key, value === null || value === undefined ? null : String(value));
    });
  }
  return out;
}

// ---------------------------------------------------------------- equality

const SPECIAL: Record<string, string> = { nan: 'NaN', '-nan': 'NaN', inf: 'Infinity', infinity: 'Infinity', '-inf': '-Infinity', '-infinity': '-Infinity' };

/** Plain decimal text without redundant zeros (`007.50` → `7.5`), else the text itself. */
function canonicalNumber(text: string): string {
  const special = SPECIAL[text.toLowerCase()];
  if (special) return special;
  const match = /^(-?)0*(\d+?)(?:\.(\d*?)0*)?$/.exec(text);
  if (match === null) return text;
  const [, sign, whole, fraction] = match;
  const digits = fraction ? `${whole}.${fraction}` : whole!;
  return digits === '0' ? '0' : `${sign}${digits}`;
}

function sameMeasure(cls: ColumnClass, measure: string, ferry: string | null, oracle: string | null): boolean {
  if (ferry === null || oracle === null) return ferry === oracle;
  if (cls !== 'number' && cls !== 'float') return ferry === oracle;
  const [a, b] = [canonicalNumber(ferry), canonicalNumber(oracle)];
  if (a === b) return true;
  if (cls !== 'float') return false;
  const [x, y] = [Number(a), Number(b)];
  if (Number.isNaN(x) || Number.isNaN(y)) return Number.isNaN(x) && Number.isNaN(y);
  // A float sum depends on the order of additions; extremes must be equal.
  return measure === 'sum' ? Math.abs(x - y) <= 1e-9 * Math.max(1, Math.abs(x), Math.abs(y)) : x === y;
}

/** JSON with sorted keys, timestamps in one spelling, and (where documented) one-field structs unwrapped. */
function canonicalJson(text: string | null, unwrap: boolean): string {
  if (text === null) return 'null';
  const walk = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(walk);
    if (value !== null && typeof value === 'object') {
      const keys = Object.keys(value).sort();
      if (unwrap && keys.length === 1) return walk((value as Record<string, unknown>)[keys[0]!]);
      return Object.fromEntries(keys.map((k) => [k, walk((value as Record<string, unknown>)[k])]));
    }
    if (typeof value === 'string' && /^\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d/.test(value))
      return value
        .replace('T', ' ')
        .replace(/(\.\d*?)0+(?=$|[-+Z])/, '$1')
        .replace(/\.(?=$|[-+Z])/, '');
    return value;
  };
  return JSON.stringify(walk(JSON.parse(text)));
}

// ---------------------------------------------------------------- one file

async function compareWithOracle(entry: CorpusEntry, differences: readonly DocumentedDifference[]): Promise<string[]> {
  const problems: string[] = [];
  const report = (column: string, measure: string, ferry: unknown, oracle: unknown) =>
    problems.push(`${entry.file} ${column} ${measure}: ferry ${JSON.stringify(ferry)}, duckdb ${JSON.stringify(oracle)}`);
  const table = tableOf(entry.file);
  const source = await oracleSource(entry);
  const oracleColumns = (await duck.runAndReadAll(`DESCRIBE SELECT * FROM ${source}`))
    .getRowObjectsJson()
    .map((row) => ({ name: String(row.column_name), type: String(row.column_type) }));
  const pgColumns = new Map<string, string>(
    (
      await test.db.pool.query("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = $1 AND column_name NOT LIKE '\\_ferry\\_%'", [
        table,
      ])
    ).rows.map((row) => [row.column_name, row.data_type]),
  );
  const [ferryRows] = (await test.db.pool.query(`SELECT count(*)::text AS n FROM ${quote(table)}`)).rows.map((r) => r.n as string);
  const oracleRows = String((await duck.runAndReadAll(`SELECT count(*) AS n FROM ${source}`)).getRowObjectsJson()[0]?.n);
  if (ferryRows !== oracleRows) report('*', 'rows', ferryRows, oracleRows);
  for (const name of pgColumns.keys()) if (!oracleColumns.some((c) => c.name === name)) report(name, 'column', pgColumns.get(name), 'absent');

  const ferryExpressions: [string, string][] = [];
  const oracleExpressions: [string, string][] = [];
  const compared: { name: string; cls: ColumnClass; keys: string[] }[] = [];
  const nested: { name: string; unwrap: boolean; isMap: boolean }[] = [];
  for (const column of oracleColumns) {
    const pgType = pgColumns.get(column.name);
    if (pgType === undefined) {
      report(column.name, 'column', 'absent', column.type);
      continue;
    }
    const expected = classify(column.type);
    if (!expected.pg.includes(pgType)) report(column.name, 'type', pgType, `${column.type} (${expected.pg.join(' or ')})`);
    // Measured by the oracle's type; a column ferry typed otherwise is measured as text on both sides.
    const cls = pgClass(pgType) === expected.cls || (pgClass(pgType) === 'number' && expected.cls === 'float') ? expected.cls : 'text';
    const ferrySide = measures('pg', column.name, cls);
    const oracleSide = measures('duckdb', column.name, cls);
    compared.push({ name: column.name, cls, keys: Object.keys(oracleSide) });
    for (const key of Object.keys(oracleSide)) {
      ferryExpressions.push([`${column.name}\0${key}`, ferrySide[key]!]);
      oracleExpressions.push([`${column.name}\0${key}`, oracleSide[key]!]);
    }
    if (expected.cls === 'json')
      nested.push({
        name: column.name,
        unwrap: differences.some((d) => d.column === column.name && d.unwrapOneFieldStructs),
        isMap: /^MAP\(/i.test(column.type),
      });
  }
  const ferryValues = await aggregate('pg', quote(table), ferryExpressions);
  const oracleValues = await aggregate('duckdb', source, oracleExpressions);
  for (const { name, cls, keys } of compared)
    for (const key of keys) {
      const [ferry, oracle] = [ferryValues.get(`${name}\0${key}`) ?? null, oracleValues.get(`${name}\0${key}`) ?? null];
      if (!sameMeasure(cls, key, ferry, oracle)) report(name, key, ferry, oracle);
    }

  // Nested values row by row, in the order of `id` (as text) when the file has one, else as sorted multisets.
  const byId = oracleColumns.some((c) => c.name === 'id') && pgColumns.has('id');
  for (const { name, unwrap, isMap } of nested) {
    const c = quote(name);
    const ferryRows = (
      await test.db.pool.query(
        `SELECT to_jsonb(${c})::text AS j${byId ? `, id::text AS id FROM ${quote(table)} ORDER BY id::text COLLATE "C"` : ` FROM ${quote(table)}`}`,
      )
    ).rows;
    const oracleRows = (
      await duck.runAndReadAll(
        `SELECT CAST(to_json(${isMap ? `map_entries(${c})` : c}) AS VARCHAR) AS j${byId ? `, CAST(id AS VARCHAR) AS id FROM ${source} ORDER BY 2` : ` FROM ${source}`}`,
      )
    ).getRowObjectsJson();
    const ferry = ferryRows.map((r) => canonicalJson(r.j, unwrap));
    const oracle = oracleRows.map((r) => canonicalJson(r.j === null ? null : String(r.j), unwrap));
    if (!byId) {
      ferry.sort();
      oracle.sort();
    }
    const differing = Array.from({ length: Math.max(ferry.length, oracle.length) }, (_, i) => i).filter((i) => ferry[i] !== oracle[i]);
    for (const i of differing.slice(0, 3))
      report(name, byId ? `value of id ${oracleRows[i]?.id ?? ferryRows[i]?.id}` : `value #${i} (sorted)`, ferry[i], oracle[i]);
    if (differing.length > 3) report(name, 'values', `${differing.length} rows differ`, '');
  }
  return problems;
}

describe('fidelity: ferry loads what an independent reader (DuckDB) reads', () => {
  for (const entry of entries) {
    it(`${entry.file}: ${entry.about} (${entry.expect}${'codes' in entry ? ` ${entry.codes.join('|')}` : ''})`, async () => {
      const rt = await corpusRuntime();
      const pipeline = rt.config.pipelines.find((p) => p.name === `p${entries.indexOf(entry)}`)!;
      await runPipeline(rt, { pipeline, trigger: 'manual' });
      const ledger = (await test.db.pool.query('SELECT status, error_code, error FROM ferry_files WHERE key = $1', [entry.file])).rows[0];
      const done = `${ledger?.status ?? 'not in the ledger'}${ledger?.error_code ? ` ${ledger.error_code}` : ''}`;
      outcomes.push(`${entry.file}: ${done}${ledger?.error ? ` (${String(ledger.error).slice(0, 160)})` : ''}`);
      if (entry.expect === 'refused') {
        assert.equal(ledger?.status, 'quarantined', `${entry.file} must be refused (${entry.codes.join(' or ')}), got ${done}`);
        assert.ok(
          entry.codes.includes(ledger.error_code),
          `${entry.file}: refused with ${ledger.error_code} (${ledger.error}), expected ${entry.codes.join(' or ')}`,
        );
        return;
      }
      if (entry.expect === 'match-or-refused' && ledger?.status === 'quarantined' && entry.codes.includes(ledger.error_code)) return;
      // A reader that died on the file: not loaded, retried, and POISON_FILE after limits.maxReaderCrashes.
      if (entry.expect === 'match-or-refused' && ledger?.error_code === 'READER_CRASHED' && entry.codes.includes('READER_CRASHED')) return;
      assert.equal(ledger?.status, 'processed', `${entry.file}: ${done}: ${ledger?.error ?? ''}`);
      const problems = await compareWithOracle(entry, entry.differences ?? []);
      assert.deepEqual(problems, [], `${entry.file} differs from DuckDB's read:\n${problems.join('\n')}`);
    });
  }
});
