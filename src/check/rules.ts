/**
 * Data quality rules as users write them (`checks` in a pipeline) and as ferry runs them.
 *
 * Row rules judge each row (notNull, range, accepted, regex, length, expression): `warn` loads
 * every row and records the failures, `reject` moves the failing rows to the rejects table and
 * loads the rest, `quarantine` loads nothing of the file. File rules judge the whole file
 * (unique, rowCount, freshness, columns): `warn` or `quarantine`. `warnIf` / `errorIf` are
 * thresholds (a count, or a percentage of the rows): a rule warns when its failures pass
 * `warnIf` (default: any), and quarantines the file when they pass `errorIf` (default: any for
 * `quarantine`, never for the others).
 */
import { parseDuration } from '../units/index.ts';

export const CHECK_ACTIONS = ['warn', 'reject', 'quarantine'] as const;
export type CheckAction = (typeof CHECK_ACTIONS)[number];

export const ROW_RULES = ['notNull', 'range', 'accepted', 'regex', 'length', 'expression', 'cast'] as const;
export const FILE_RULES = ['unique', 'rowCount', 'freshness', 'columns'] as const;
export type RuleName = (typeof ROW_RULES)[number] | (typeof FILE_RULES)[number];

/** A count of rows, or a fraction of the file's rows (`'1%'` → 0.01). */
export type Threshold = { readonly count: number } | { readonly fraction: number };

interface RuleBase {
  /** A stable id for the rule's history. @default derived from the rule and its columns, e.g. `range(amount)` */
  readonly name?: string;
  /** @default 'quarantine' */
  readonly action?: CheckAction;
  /** Warn only when the failures pass this count or percentage (`10`, `'0.5%'`). @default 0 */
  readonly warnIf?: number | string;
  /** Quarantine the file when the failures pass this count or percentage. @default 0 for quarantine, never otherwise */
  readonly errorIf?: number | string;
}

/** A Polars expression (kept opaque here: the reader processes build and run it). */
export type CheckExpression = { readonly _expr: unknown } | object;

export type CheckInput =
  | (RuleBase & { readonly rule: 'notNull'; readonly columns: readonly string[] })
  | (RuleBase & { readonly rule: 'range'; readonly column: string; readonly min?: number; readonly max?: number })
  | (RuleBase & { readonly rule: 'accepted'; readonly column: string; readonly values: readonly (string | number | boolean)[] })
  | (RuleBase & { readonly rule: 'regex'; readonly column: string; readonly pattern: string })
  | (RuleBase & { readonly rule: 'length'; readonly column: string; readonly min?: number; readonly max?: number })
  | (RuleBase & { readonly rule: 'expression'; readonly expr: CheckExpression })
  /** Values that do not fit their `source.schema` type (of these columns; default: all of it). */
  | (RuleBase & { readonly rule: 'cast'; readonly columns?: readonly string[] })
  | (RuleBase & { readonly rule: 'unique'; readonly columns: readonly string[] })
  | (RuleBase & { readonly rule: 'rowCount'; readonly min?: number; readonly max?: number })
  | (RuleBase & { readonly rule: 'freshness'; readonly column: string; readonly within: string })
  | (RuleBase & { readonly rule: 'columns'; readonly required?: readonly string[]; readonly types?: Readonly<Record<string, string>> });

/** What every resolved rule has, whatever it checks. */
interface ResolvedRule<Rule extends RuleName, Kind extends 'row' | 'file'> {
  readonly id: string;
  readonly rule: Rule;
  readonly kind: Kind;
  readonly action: CheckAction;
  readonly warnIf: Threshold;
  readonly errorIf: Threshold | null;
  /** The columns the rule reads (its samples are their values). */
  readonly columns: readonly string[];
  /** Sample values kept per rule (0: none: `checks: { samples: 0, rules }`). */
  readonly samples: number;
}

/** At least `min`, at most `max` (null: no bound; at least one is set). */
interface Bounds {
  readonly min: number | null;
  readonly max: number | null;
}

/** A rule as ferry runs it, tagged by `rule`: each carries exactly the fields its rule reads. */
export type ResolvedCheck =
  | ResolvedRule<'notNull', 'row'>
  | (ResolvedRule<'range', 'row'> & Bounds)
  | (ResolvedRule<'length', 'row'> & Bounds)
  | (ResolvedRule<'accepted', 'row'> & { readonly values: readonly (string | number | boolean)[] })
  | (ResolvedRule<'regex', 'row'> & { readonly pattern: string })
  | (ResolvedRule<'expression', 'row'> & { readonly expr: CheckExpression })
  | ResolvedRule<'cast', 'row'>
  | ResolvedRule<'unique', 'file'>
  | (ResolvedRule<'rowCount', 'file'> & Bounds)
  | (ResolvedRule<'freshness', 'file'> & { readonly withinMs: number })
  | (ResolvedRule<'columns', 'file'> & { readonly required: readonly string[]; readonly types: Readonly<Record<string, string>> });

export function isRowRule(rule: string): boolean {
  return (ROW_RULES as readonly string[]).includes(rule);
}

/** `5` → 5 rows; `'1%'` → 1% of the rows; null when the text is neither. */
export function parseThreshold(value: number | string): Threshold | null {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 ? { count: value } : null;
  const percent = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(value);
  if (percent) return Number(percent[1]) <= 100 ? { fraction: Number(percent[1]) / 100 } : null;
  const count = /^\s*(\d+)\s*$/.exec(value);
  return count ? { count: Number(count[1]) } : null;
}

/** True when `failing` of `total` rows pass the threshold. */
export function exceeds(threshold: Threshold, failing: number, total: number): boolean {
  return 'count' in threshold ? failing > threshold.count : failing > threshold.fraction * total;
}

/**
 * Resolves a pipeline's checks; `problem(field, message)` collects what is wrong, with the field
 * (`pipelines.p.checks[2].pattern`), so that a bad rule stops ferry at start. `sourceSchema`
 * is the pipeline's `source.schema` (a cast rule judges values against it).
 */
export function resolveChecks(
  field: string,
  inputs: readonly CheckInput[],
  problem: (field: string, message: string) => void,
  sourceSchema: Readonly<Record<string, string>> = {},
  samples = 20,
): ResolvedCheck[] {
  const resolved = inputs.map((input, index) => ({ ...resolveCheck(`${field}[${index}]`, input, problem, sourceSchema), samples }));
  const casts = resolved.flatMap((check, index) => (check.rule === 'cast' ? [index] : []));
  if (casts.length > 1) problem(`${field}[${casts[1]}]`, `rule ${casts[0]} is already the cast rule; one cast rule per pipeline (list its columns)`);
  const seen = new Map<string, number>();
  resolved.forEach((check, index) => {
    const other = seen.get(check.id);
    if (other !== undefined) {
      problem(`${field}[${index}].name`, `rules ${other} and ${index} both have the id ${JSON.stringify(check.id)}; give one a name`);
    }
    seen.set(check.id, index);
  });
  return resolved;
}

function resolveCheck(
  field: string,
  input: CheckInput,
  problem: (field: string, message: string) => void,
  sourceSchema: Readonly<Record<string, string>>,
): DistributiveOmit<ResolvedCheck, 'samples'> {
  const action = input.action ?? 'quarantine';
  if (!isRowRule(input.rule) && action === 'reject')
    problem(`${field}.action`, `${input.rule} judges the whole file: use warn or quarantine (reject keeps single rows aside)`);
  const threshold = (name: 'warnIf' | 'errorIf', value: number | string | undefined): Threshold | null => {
    if (value === undefined) return null;
    const parsed = parseThreshold(value);
    if (parsed === null) problem(`${field}.${name}`, `${JSON.stringify(value)} is not a count or a percentage (e.g. 10 or '1%')`);
    return parsed;
  };
  const warnIf = threshold('warnIf', input.warnIf) ?? { count: 0 };
  const errorIf = threshold('errorIf', input.errorIf) ?? (action === 'quarantine' ? { count: 0 } : null);

  const row = { kind: 'row', action, warnIf, errorIf } as const;
  const file = { kind: 'file', action, warnIf, errorIf } as const;
  const id = (derived: string) => input.name ?? derived;
  const minMax = (min: number | undefined, max: number | undefined): Bounds => {
    if (min === undefined && max === undefined) problem(field, `${input.rule} needs min, max or both`);
    if (min !== undefined && max !== undefined && min > max) problem(`${field}.min`, `min ${min} is above max ${max}`);
    return { min: min ?? null, max: max ?? null };
  };
  const columnsOf = (columns: readonly string[]) => {
    if (columns.length === 0) problem(`${field}.columns`, 'names no column');
    return columns;
  };
  switch (input.rule) {
    case 'notNull':
      return { ...row, id: id(`notNull(${input.columns.join(',')})`), rule: 'notNull', columns: columnsOf(input.columns) };
    case 'unique':
      return { ...file, id: id(`unique(${input.columns.join(',')})`), rule: 'unique', columns: columnsOf(input.columns) };
    case 'range':
    case 'length':
      return { ...row, id: id(`${input.rule}(${input.column})`), rule: input.rule, columns: [input.column], ...minMax(input.min, input.max) };
    case 'accepted':
      if (input.values.length === 0) problem(`${field}.values`, 'lists no value');
      return { ...row, id: id(`accepted(${input.column})`), rule: 'accepted', columns: [input.column], values: input.values };
    case 'regex':
      try {
        new RegExp(input.pattern);
      } catch (error) {
        problem(`${field}.pattern`, `is not a regular expression: ${(error as Error).message}`);
      }
      return { ...row, id: id(`regex(${input.column})`), rule: 'regex', columns: [input.column], pattern: input.pattern };
    case 'expression':
      if (input.name === undefined) problem(`${field}.name`, 'an expression rule needs a name (its id in the results)');
      return { ...row, id: id('expression'), rule: 'expression', columns: [], expr: input.expr };
    case 'cast': {
      const declared = Object.keys(sourceSchema);
      if (declared.length === 0)
        problem(`${field}.rule`, 'a cast rule judges values against source.schema, and the pipeline has none; give the column types in source.schema');
      for (const column of input.columns ?? []) {
        if (!declared.includes(column))
          problem(`${field}.columns`, `${JSON.stringify(column)} has no type in source.schema (it has ${declared.join(', ') || 'none'})`);
      }
      if (input.columns !== undefined) columnsOf(input.columns);
      return {
        ...row,
        id: id(input.columns === undefined ? 'cast' : `cast(${input.columns.join(',')})`),
        rule: 'cast',
        columns: input.columns ?? declared,
      };
    }
    case 'rowCount':
      return { ...file, id: id('rowCount'), rule: 'rowCount', columns: [], ...minMax(input.min, input.max) };
    case 'freshness': {
      const withinMs = parseDuration(input.within);
      // A duration that does not parse stops ferry at start (the problem above), so 0 never runs.
      if (withinMs === null) problem(`${field}.within`, `"${input.within}" is not a duration (use e.g. 2d, 6h)`);
      return { ...file, id: id(`freshness(${input.column})`), rule: 'freshness', columns: [input.column], withinMs: withinMs ?? 0 };
    }
    case 'columns':
      return { ...file, id: id('columns'), rule: 'columns', columns: [], required: input.required ?? [], types: input.types ?? {} };
  }
}

/** Omit over each member of a union (TypeScript's Omit merges the members into one). */
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
