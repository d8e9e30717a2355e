/**
 * Types for columns read from text (CSV fields, JSON strings), decided the way DuckDB's sniffer
 * does, on the inference sample, without losing anything the file holds:
 *
 * | values in the sample (all non-null ones)            | type            |
 * |-----------------------------------------------------|-----------------|
 * | integers, one with a leading zero (`00501`, `-07`)  | text (kept as written) |
 * | `YYYY-MM-DD`, each a real date                      | date            |
 * | `YYYY-MM-DD[T ]HH:MM[:SS[.fraction]]`, one form     | timestamp       |
 * | the same with `Z` or an offset (`+02:00`, `-0530`)  | timestamptz (converted to UTC) |
 *
 * Everything else keeps the type Polars inferred (integers, floats, `true`/`false`, text).
 * A later value that does not fit the type chosen here fails the file (SCHEMA_INFERENCE_FAILED
 * naming the column), never becomes NULL: the parse is strict.
 */
import pl from 'nodejs-polars';

type NativeExpr = {
  strToDatetime(format: string, unit: string, zone: string | undefined, strict: boolean, exact: boolean, cache: boolean, ambiguous: unknown): NativeExpr;
  strToDate(format: string, strict: boolean, exact: boolean, cache: boolean): NativeExpr;
};
const native = (expr: pl.Expr) => (expr as unknown as { _expr: NativeExpr })._expr;
const wrap = (expr: NativeExpr) => (pl as unknown as { _Expr(expr: NativeExpr): pl.Expr })._Expr(expr);

const LEADING_ZERO = '^[+-]?0[0-9]';
const DATE = '^[0-9]{4}-[0-9]{2}-[0-9]{2}$';
const TIME = '[0-9]{2}:[0-9]{2}';
const SECONDS = ':[0-9]{2}(\\.[0-9]+)?';
const ZONE = '(Z|[+-][0-9]{2}(:?[0-9]{2})?)';

/** The timestamp forms a column may have: one per column, as DuckDB's sniffer picks one format. */
const TIMESTAMP_FORMS = [
  { pattern: `^[0-9]{4}-[0-9]{2}-[0-9]{2}T${TIME}${SECONDS}$`, format: '%Y-%m-%dT%H:%M:%S%.f', zoned: false },
  { pattern: `^[0-9]{4}-[0-9]{2}-[0-9]{2} ${TIME}${SECONDS}$`, format: '%Y-%m-%d %H:%M:%S%.f', zoned: false },
  { pattern: `^[0-9]{4}-[0-9]{2}-[0-9]{2}T${TIME}$`, format: '%Y-%m-%dT%H:%M', zoned: false },
  { pattern: `^[0-9]{4}-[0-9]{2}-[0-9]{2} ${TIME}$`, format: '%Y-%m-%d %H:%M', zoned: false },
  { pattern: `^[0-9]{4}-[0-9]{2}-[0-9]{2}T${TIME}${SECONDS}${ZONE}$`, format: '%Y-%m-%dT%H:%M:%S%.f%#z', zoned: true },
  { pattern: `^[0-9]{4}-[0-9]{2}-[0-9]{2} ${TIME}${SECONDS}${ZONE}$`, format: '%Y-%m-%d %H:%M:%S%.f%#z', zoned: true },
  { pattern: `^[0-9]{4}-[0-9]{2}-[0-9]{2}T${TIME}${ZONE}$`, format: '%Y-%m-%dT%H:%M%#z', zoned: true },
  { pattern: `^[0-9]{4}-[0-9]{2}-[0-9]{2} ${TIME}${ZONE}$`, format: '%Y-%m-%d %H:%M%#z', zoned: true },
] as const;

/** What inference decided for one column, and why (shown by `ferry preview`). */
export interface InferredText {
  readonly column: string;
  /** The PostgreSQL type the column loads as. */
  readonly type: 'text' | 'date' | 'timestamp' | 'timestamptz';
  readonly reason: string;
}

export interface TextInference {
  /** Columns to read as text instead of the type Polars inferred (leading zeros). */
  readonly asText: readonly string[];
  /** Columns read as text and parsed (strictly) into a date or timestamp: their expressions. */
  readonly parses: readonly pl.Expr[];
  readonly decisions: readonly InferredText[];
}

/** Parses text strictly (a value that does not fit fails the query) in the given form. */
function parseExpr(column: string, type: 'date' | 'timestamp' | 'timestamptz', format: string): pl.Expr {
  const text = native(pl.col(column));
  if (type === 'date') return wrap(text.strToDate(format, true, true, false)).alias(column);
  return wrap(text.strToDatetime(format, 'us', type === 'timestamptz' ? 'UTC' : undefined, true, true, false, undefined)).alias(column);
}

/** The same parse, null where a value does not fit: to test the sample without failing. */
function tryParseExpr(column: string, type: 'date' | 'timestamp' | 'timestamptz', format: string, alias: string): pl.Expr {
  const text = native(pl.col(column));
  if (type === 'date') return wrap(text.strToDate(format, false, true, false)).alias(alias);
  return wrap(text.strToDatetime(format, 'us', type === 'timestamptz' ? 'UTC' : undefined, false, true, false, undefined)).alias(alias);
}

/**
 * Decides the columns of `sample` (every column as text, as read) whose inferred type
 * (`inferred`: column → Polars dtype text) must change: numbers with leading zeros become text,
 * text columns of dates and timestamps are parsed. `skip`: columns whose type the config gives.
 */
export function inferTextTypes(sample: pl.DataFrame, inferred: ReadonlyMap<string, string>, skip: ReadonlySet<string>): TextInference {
  const numeric = sample.columns.filter((name) => !skip.has(name) && /^(U?Int\d+|Float\d+)$/.test(inferred.get(name) ?? ''));
  const textual = sample.columns.filter((name) => !skip.has(name) && /^(String|Utf8)$/.test(inferred.get(name) ?? ''));
  const asText: string[] = [];
  const parses: pl.Expr[] = [];
  const decisions: InferredText[] = [];
  if (numeric.length + textual.length === 0 || sample.height === 0) return { asText, parses, decisions };

  // Round 1, one query: non-null values per column, leading zeros per numeric column, and per
  // text column how many values have each form.
  const measures: pl.Expr[] = [];
  for (const [index, name] of numeric.entries()) measures.push(pl.col(name).str.contains(LEADING_ZERO).sum().alias(`z${index}`));
  for (const [index, name] of textual.entries()) {
    measures.push(pl.col(name).isNotNull().sum().alias(`n${index}`));
    measures.push(pl.col(name).str.contains(DATE).sum().alias(`d${index}`));
    for (const [form, { pattern }] of TIMESTAMP_FORMS.entries()) measures.push(pl.col(name).str.contains(pattern).sum().alias(`t${index}_${form}`));
  }
  const counts = sample.select(...measures).toRecords()[0] as Record<string, number | bigint | null>;
  const count = (alias: string) => Number(counts[alias] ?? 0);

  for (const [index, name] of numeric.entries()) {
    if (count(`z${index}`) > 0) {
      asText.push(name);
      decisions.push({ column: name, type: 'text', reason: `${count(`z${index}`)} values of the sample have a leading zero (kept as written)` });
    }
  }
  // Round 2: a text column whose every value has one form is parsed on the sample; it is that
  // type only if every value parses (2026-02-30 has the form of a date, but is none).
  const candidates: { name: string; type: 'date' | 'timestamp' | 'timestamptz'; format: string; values: number }[] = [];
  for (const [index, name] of textual.entries()) {
    const values = count(`n${index}`);
    if (values === 0) continue;
    if (count(`d${index}`) === values) {
      candidates.push({ name, type: 'date', format: '%Y-%m-%d', values });
      continue;
    }
    const form = TIMESTAMP_FORMS.findIndex((_, at) => count(`t${index}_${at}`) === values);
    const chosen = TIMESTAMP_FORMS[form];
    if (chosen !== undefined) candidates.push({ name, type: chosen.zoned ? 'timestamptz' : 'timestamp', format: chosen.format, values });
  }
  if (candidates.length === 0) return { asText, parses, decisions };
  const parsed = sample
    .select(
      ...candidates.map((candidate, index) => tryParseExpr(candidate.name, candidate.type, candidate.format, `p${index}`).isNotNull().sum().alias(`p${index}`)),
    )
    .toRecords()[0] as Record<string, number | bigint | null>;
  for (const [index, candidate] of candidates.entries()) {
    if (Number(parsed[`p${index}`] ?? 0) !== candidate.values) continue;
    parses.push(parseExpr(candidate.name, candidate.type, candidate.format));
    decisions.push({
      column: candidate.name,
      type: candidate.type,
      reason: `all ${candidate.values} values of the sample are ${candidate.type === 'date' ? 'dates' : 'timestamps'} (${candidate.format}${candidate.type === 'timestamptz' ? ', converted to UTC' : ''})`,
    });
  }
  return { asText, parses, decisions };
}
