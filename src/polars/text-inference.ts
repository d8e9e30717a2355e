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
 * | `HH:MM:SS[.fraction]`                               | time            |
 * | numbers with `NaN`, `inf`, `Infinity` among them     | double precision |
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
const CLOCK = '^[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?$';
/** A float as text, NaN and infinities included (Polars' own inference leaves a column with them text). */
const FLOAT = '^[+-]?([0-9]+(\\.[0-9]*)?([eE][+-]?[0-9]+)?|\\.[0-9]+([eE][+-]?[0-9]+)?|(?i:nan|inf|infinity))$';

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
  readonly type: ParsedType | 'text' | 'bigint';
  readonly reason: string;
}

export interface TextInference {
  /** Columns to read as text instead of the type Polars inferred (leading zeros, and integers to check). */
  readonly asText: readonly string[];
  /** Columns read as text and parsed (strictly) into a date or timestamp: their expressions. */
  readonly parses: readonly pl.Expr[];
  readonly decisions: readonly InferredText[];
}

/**
 * Integer columns read as text, parsed strictly: a value with a leading zero is marked so that
 * the parse fails on it, naming its column and showing the value. One expression for all of
 * them (see the measures in inferTextTypes).
 */
function integersWithoutLeadingZero(columns: readonly string[]): pl.Expr {
  return pl
    .col([...columns])
    .str.replace(`(${LEADING_ZERO}.*)$`, 'a leading zero past the sample: $1')
    .cast(pl.Int64, true);
}

/**
 * Round 1, one query: non-null values per column, leading zeros per numeric column, and per
 * text column how many values have each form. One expression per measure over all its columns
 * (named column + suffix): an expression per column and measure cost seconds on a file of a
 * thousand columns (each compiles its pattern).
 */
function measureInPolars(sample: pl.DataFrame, numeric: readonly string[], textual: readonly string[]): Record<string, number | bigint | null> {
  const measures: pl.Expr[] = [];
  const over = (columns: readonly string[], measure: (columns: pl.Expr) => pl.Expr, suffix: string) => {
    if (columns.length > 0) measures.push((measure(pl.col([...columns])) as pl.Expr & { suffix(s: string): pl.Expr }).suffix(`${MEASURE}${suffix}`));
  };
  over(numeric, (c) => c.str.contains(LEADING_ZERO).sum(), 'z');
  over(textual, (c) => c.isNotNull().sum(), 'n');
  over(textual, (c) => c.str.contains(DATE).sum(), 'd');
  over(textual, (c) => c.str.contains(CLOCK).sum(), 'c');
  over(textual, (c) => c.str.contains(FLOAT).sum(), 'f');
  for (const [form, { pattern }] of TIMESTAMP_FORMS.entries()) over(textual, (c) => c.str.contains(pattern).sum(), `t${form}`);
  return sample.select(...measures).toRecords()[0] as Record<string, number | bigint | null>;
}

/**
 * The same measures in JavaScript, for a small sample (a small file's): Polars compiles each
 * pattern anew for every query, which cost ~50 ms a file, more than reading it.
 */
function measureInJs(valuesOf: (name: string) => unknown[], numeric: readonly string[], textual: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  const tally = (name: string, suffix: string, values: readonly unknown[], pattern: RegExp | null) => {
    let count = 0;
    for (const value of values) if (typeof value === 'string' && (pattern === null || pattern.test(value))) count++;
    counts[`${name}${MEASURE}${suffix}`] = count;
  };
  for (const name of numeric) tally(name, 'z', valuesOf(name), JS_PATTERNS.leadingZero);
  for (const name of textual) {
    const values = valuesOf(name);
    tally(name, 'n', values, null);
    tally(name, 'd', values, JS_PATTERNS.date);
    tally(name, 'c', values, JS_PATTERNS.clock);
    tally(name, 'f', values, JS_PATTERNS.float);
    for (const [form, pattern] of JS_PATTERNS.timestamps.entries()) tally(name, `t${form}`, values, pattern);
  }
  return counts;
}

/**
 * How many values of a small sample's candidate column are real values of the type: dates and
 * timestamps whose day exists and whose clock and offset are in range (the forms were matched
 * already). What Polars' parse accepts, without a query.
 */
function validInJs(values: readonly unknown[], type: ParsedType): number {
  let valid = 0;
  for (const value of values) {
    if (typeof value !== 'string') continue;
    if (type === 'double precision') {
      valid++;
      continue;
    }
    const day = /^(\d{4})-(\d{2})-(\d{2})/.exec(value);
    const clock = /(\d{2}):(\d{2})(?::(\d{2}))?/.exec(type === 'time' ? value : value.slice(11));
    const offset = /([+-])(\d{2}):?(\d{2})?$/.exec(type === 'timestamptz' ? value.slice(19) : '');
    if (type !== 'time') {
      if (day === null) continue;
      const [y, m, d] = [Number(day[1]), Number(day[2]), Number(day[3])];
      const date = new Date(Date.UTC(2000, m - 1, d));
      date.setUTCFullYear(y);
      if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) continue;
    }
    if (type !== 'date') {
      if (clock === null || Number(clock[1]) > 23 || Number(clock[2]) > 59 || Number(clock[3] ?? 0) > 59) continue;
      if (offset !== null && (Number(offset[2]) > 23 || Number(offset[3] ?? 0) > 59)) continue;
    }
    valid++;
  }
  return valid;
}

/** Cells of a sample measured in JavaScript rather than by a Polars query. */
const JS_SAMPLE_CELLS = 50_000;

/** The patterns above as JavaScript regular expressions (Rust's `(?i:…)` becomes a flag). */
const JS_PATTERNS = {
  leadingZero: new RegExp(LEADING_ZERO),
  date: new RegExp(DATE),
  clock: new RegExp(CLOCK),
  float: new RegExp(FLOAT.replace('(?i:nan|inf|infinity)', '[nN][aA][nN]|[iI][nN][fF]|[iI][nN][fF][iI][nN][iI][tT][yY]')),
  timestamps: TIMESTAMP_FORMS.map(({ pattern }) => new RegExp(pattern)),
};

/**
 * Parse expressions by what they parse: nodejs-polars makes each expression a large JavaScript
 * object (milliseconds each), more than a small file's whole read; files of one layout share them.
 */
const expressions = new Map<string, pl.Expr>();
const MAX_EXPRESSIONS = 256;

function cached(key: string, make: () => pl.Expr): pl.Expr {
  let expression = expressions.get(key);
  if (expression === undefined) {
    expression = make();
    if (expressions.size >= MAX_EXPRESSIONS) expressions.delete(expressions.keys().next().value as string);
    expressions.set(key, expression);
  }
  return expression;
}

/** Between a column's name and a measure's in the sample's measures: no column name holds it. */
const MEASURE = '\u0000';

type ParsedType = 'date' | 'timestamp' | 'timestamptz' | 'time' | 'double precision';

/**
 * Parses text in the given form; `strict`: a value that does not fit fails the query (naming
 * the column), else it is null (to test the sample).
 */
function parse(column: string, type: ParsedType, format: string, strict: boolean): pl.Expr {
  const text = native(pl.col(column));
  if (type === 'double precision') return pl.col(column).cast(pl.Float64, strict);
  if (type === 'date') return wrap(text.strToDate(format, strict, true, false));
  if (type === 'time') {
    // Polars parses no time alone: on a day, then the time of it.
    const onDay = pl
      .when(pl.col(column).isNull())
      .then(pl.lit(null).cast(pl.Utf8))
      .otherwise(pl.concatString([pl.lit('1970-01-01 '), pl.col(column)], ''))
      .alias(column);
    return wrap(native(onDay).strToDatetime(`%Y-%m-%d ${format}`, 'us', undefined, strict, true, false, undefined)).cast(pl.Time);
  }
  return wrap(text.strToDatetime(format, 'us', type === 'timestamptz' ? 'UTC' : undefined, strict, true, false, undefined));
}

/**
 * Decides the columns of `sample` (every column as text, as read) whose inferred type
 * (`inferred`: column → Polars dtype text) must change: numbers with leading zeros become text,
 * text columns of dates and timestamps are parsed. `skip`: columns whose type the config gives.
 */
export function inferTextTypes(
  sample: pl.DataFrame,
  inferred: ReadonlyMap<string, string>,
  skip: ReadonlySet<string>,
  options: { readonly checkEveryRow: boolean; readonly parseDates: boolean },
): TextInference {
  const { checkEveryRow, parseDates } = options;
  const numeric = sample.columns.filter((name) => !skip.has(name) && /^(U?Int\d+|Float\d+)$/.test(inferred.get(name) ?? ''));
  const textual = sample.columns.filter((name) => !skip.has(name) && /^(String|Utf8)$/.test(inferred.get(name) ?? ''));
  const asText: string[] = [];
  const parses: pl.Expr[] = [];
  const decisions: InferredText[] = [];
  if (numeric.length + textual.length === 0 || sample.height === 0) return { asText, parses, decisions };

  const inJs = sample.height * (numeric.length + textual.length) <= JS_SAMPLE_CELLS;
  // A small sample's values as JavaScript rows: one call (a Series per column costs far more).
  const rows = inJs ? (sample.toRecords() as Record<string, unknown>[]) : [];
  const valuesOf = (name: string) => rows.map((row) => row[name]);
  const counts = inJs ? measureInJs(valuesOf, numeric, textual) : measureInPolars(sample, numeric, textual);
  const measured = (name: string, suffix: string) => Number(counts[`${name}${MEASURE}${suffix}`] ?? 0);

  const checked: string[] = [];
  for (const name of numeric) {
    const zeros = measured(name, 'z');
    if (zeros > 0) {
      asText.push(name);
      decisions.push({ column: name, type: 'text', reason: `${zeros} values of the sample have a leading zero (kept as written)` });
    } else if (checkEveryRow && inferred.get(name) === 'Int64') {
      // Polars would read a later `00501` as 501: the column is read as text and every value
      // checked as it is parsed, so such a value fails the file instead.
      asText.push(name);
      checked.push(name);
      decisions.push({ column: name, type: 'bigint', reason: 'integers in the sample, none with a leading zero (every row is checked for one)' });
    }
  }
  if (checked.length > 0) parses.push(cached(`int:${JSON.stringify(checked)}`, () => integersWithoutLeadingZero(checked)));
  // Round 2: a text column whose every value has one form is parsed on the sample; it is that
  // type only if every value parses (2026-02-30 has the form of a date, but is none).
  const candidates: { name: string; type: ParsedType; format: string; values: number }[] = [];
  for (const name of textual) {
    const values = measured(name, 'n');
    if (values === 0) continue;
    if (measured(name, 'f') === values) {
      candidates.push({ name, type: 'double precision', format: 'NaN or infinities among them', values });
      continue;
    }
    // Dates and times only for a pipeline without a transform: a transform parses its text itself.
    if (!parseDates) continue;
    if (measured(name, 'd') === values) {
      candidates.push({ name, type: 'date', format: '%Y-%m-%d', values });
      continue;
    }
    if (measured(name, 'c') === values) {
      candidates.push({ name, type: 'time', format: '%H:%M:%S%.f', values });
      continue;
    }
    const form = TIMESTAMP_FORMS.findIndex((_, at) => measured(name, `t${at}`) === values);
    const chosen = TIMESTAMP_FORMS[form];
    if (chosen !== undefined) candidates.push({ name, type: chosen.zoned ? 'timestamptz' : 'timestamp', format: chosen.format, values });
  }
  if (candidates.length === 0) return { asText, parses, decisions };
  const parsed = inJs
    ? Object.fromEntries(candidates.map((candidate, index) => [`p${index}`, validInJs(valuesOf(candidate.name), candidate.type)]))
    : (sample
        .select(...candidates.map((candidate, index) => parse(candidate.name, candidate.type, candidate.format, false).isNotNull().sum().alias(`p${index}`)))
        .toRecords()[0] as Record<string, number | bigint | null>);
  for (const [index, candidate] of candidates.entries()) {
    if (Number(parsed[`p${index}`] ?? 0) !== candidate.values) continue;
    parses.push(
      cached(`${candidate.type}:${candidate.format}:${candidate.name}`, () =>
        parse(candidate.name, candidate.type, candidate.format, true).alias(candidate.name),
      ),
    );
    const what = { date: 'dates', time: 'times of day', timestamp: 'timestamps', timestamptz: 'timestamps', 'double precision': 'numbers' }[candidate.type];
    decisions.push({
      column: candidate.name,
      type: candidate.type,
      reason: `all ${candidate.values} values of the sample are ${what} (${candidate.format}${candidate.type === 'timestamptz' ? ', converted to UTC' : ''})`,
    });
  }
  return { asText, parses, decisions };
}
