/**
 * Loads config once at start: defaults < `ferry.config.ts` < environment < command-line flags.
 * Every problem is reported with the field it is in (`pipelines.sales.schedule`,
 * `FERRY_WINDOW`), one per line, in a single CONFIG_INVALID error.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { CHECK_ACTIONS, resolveChecks } from '../check/index.ts';
import { FerryError } from '../errors/index.ts';
import { isSchemaTypeName, SCHEMA_TYPE_NAMES } from '../polars/index.ts';
import { COMPRESSIONS, FILE_FORMATS } from '../read/index.ts';
import { cronSchedule, everySchedule, parseSchedule, type Schedule } from '../schedule/index.ts';
import { parseStorage, type StorageInput, s3SettingsFromEnv } from '../storage/index.ts';
import type { TransformSpec } from '../transform/index.ts';
import { parseDuration, parseSize } from '../units/index.ts';
import {
  type FerryConfigInput,
  LINEAGE_COLUMNS,
  type PipelineInput,
  type ResolvedConfig,
  type ResolvedPipeline,
  SCHEMA_DRIFT_POLICIES,
  SINK_MODES,
  type SinkConfig,
  type Transform,
} from './types.ts';

export const CONFIG_FILE_NAMES = ['ferry.config.ts', 'ferry.config.mts', 'ferry.config.js', 'ferry.config.mjs'] as const;

export const DEFAULTS = {
  storage: './data/inbox',
  host: '127.0.0.1',
  port: 8000,
  dataDir: '.ferry',
  concurrency: 2,
  leaseDuration: '1m',
  retry: { maxAttempts: 5, baseDelay: '2s', maxDelay: '5m' },
  limits: { maxFileSize: '10GiB', maxFooterSize: '16MiB', maxDecompressedSize: '4GiB', maxRowGroupSize: '4GiB', maxReaderCrashes: 2 },
  inferSchemaLength: 10_000,
  pipelineName: 'default',
  glob: '**/*.parquet',
  modifiedWithin: '24h',
  schedule: '5m',
  timezone: 'UTC',
} as const;

/** Values given on the command line; they win over everything else. */
export interface ConfigFlags {
  readonly config?: string;
  readonly storage?: string;
  readonly host?: string;
  readonly port?: string;
}

export interface LoadConfigOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly flags?: ConfigFlags;
}

const durationText = z.string().min(1);
const storageSchema = z.union([z.string(), z.strictObject({ scheme: z.string().min(1), options: z.record(z.string(), z.string()).optional() })]);
const scheduleSchema = z.union([
  z.string().min(1),
  z.strictObject({ every: durationText }),
  z.strictObject({ cron: z.string().min(1), timezone: z.string().optional() }),
]);
const threshold = z.union([z.number(), z.string()]).optional();
const ruleBase = { name: z.string().min(1).max(200).optional(), action: z.enum(CHECK_ACTIONS).optional(), warnIf: threshold, errorIf: threshold };
const columnName = z.string().min(1);
const checkSchema = z.discriminatedUnion('rule', [
  z.strictObject({ ...ruleBase, rule: z.literal('notNull'), columns: z.array(columnName).min(1) }),
  z.strictObject({ ...ruleBase, rule: z.literal('unique'), columns: z.array(columnName).min(1) }),
  z.strictObject({ ...ruleBase, rule: z.literal('range'), column: columnName, min: z.number().optional(), max: z.number().optional() }),
  z.strictObject({
    ...ruleBase,
    rule: z.literal('length'),
    column: columnName,
    min: z.number().int().min(0).optional(),
    max: z.number().int().min(0).optional(),
  }),
  z.strictObject({ ...ruleBase, rule: z.literal('accepted'), column: columnName, values: z.array(z.union([z.string(), z.number(), z.boolean()])).min(1) }),
  z.strictObject({ ...ruleBase, rule: z.literal('regex'), column: columnName, pattern: z.string().min(1) }),
  z.strictObject({
    ...ruleBase,
    rule: z.literal('expression'),
    expr: z.custom<object>((value) => typeof value === 'object' && value !== null && '_expr' in value, 'must be a Polars expression, e.g. pl.col("qty").gt(0)'),
  }),
  z.strictObject({ ...ruleBase, rule: z.literal('cast'), columns: z.array(columnName).min(1).optional() }),
  z.strictObject({ ...ruleBase, rule: z.literal('rowCount'), min: z.number().int().min(0).optional(), max: z.number().int().min(0).optional() }),
  z.strictObject({ ...ruleBase, rule: z.literal('freshness'), column: columnName, within: z.string().min(1) }),
  z.strictObject({ ...ruleBase, rule: z.literal('columns'), required: z.array(columnName).optional(), types: z.record(z.string(), z.string()).optional() }),
]);
const pipelineSchema = z.strictObject({
  source: z
    .strictObject({
      prefix: z.string().optional(),
      glob: z.string().min(1).optional(),
      modifiedWithin: durationText.nullable().optional(),
      format: z.enum(FILE_FORMATS).optional(),
      compression: z.enum(COMPRESSIONS).optional(),
      csv: z
        .strictObject({
          delimiter: z.string().length(1).optional(),
          header: z.boolean().optional(),
          quote: z.string().length(1).optional(),
          nullValues: z.array(z.string()).optional(),
        })
        .optional(),
      inferSchemaLength: z.number().int().min(1).nullable().optional(),
      schema: z
        .record(
          z.string().min(1),
          z.string().refine(isSchemaTypeName, {
            error: (issue) => `${JSON.stringify(issue.input)} is not a type ferry reads; use one of ${SCHEMA_TYPE_NAMES.join(', ')}`,
          }),
        )
        .optional(),
    })
    .optional(),
  transform: z.custom<Transform>((value) => typeof value === 'function', 'must be a function (frame) => frame').optional(),
  sql: z.string().min(1).optional(),
  sink: z
    .union([
      z.literal('row-count'),
      z.strictObject({
        table: z.string().min(1).max(63),
        schema: z.string().min(1).max(63).optional(),
        mode: z.enum(SINK_MODES).optional(),
        key: z.array(z.string().min(1).max(63)).min(1).optional(),
        lineage: z.boolean().optional(),
        schemaDrift: z.enum(SCHEMA_DRIFT_POLICIES).optional(),
        rejects: z.string().min(1).max(63).optional(),
      }),
    ])
    .optional(),
  checks: z.array(checkSchema).optional(),
  schedule: scheduleSchema.optional(),
});
const configSchema = z.strictObject({
  storage: storageSchema.optional(),
  http: z.strictObject({ host: z.string().min(1).optional(), port: z.number().int().min(0).max(65535).optional() }).optional(),
  dataDir: z.string().min(1).optional(),
  concurrency: z.number().int().min(1).max(64).optional(),
  leaseDuration: durationText.optional(),
  retry: z
    .strictObject({ maxAttempts: z.number().int().min(1).max(100).optional(), baseDelay: durationText.optional(), maxDelay: durationText.optional() })
    .optional(),
  limits: z
    .strictObject({
      maxFileSize: z.string().min(1).optional(),
      maxFooterSize: z.string().min(1).optional(),
      maxDecompressedSize: z.string().min(1).optional(),
      maxRowGroupSize: z.string().min(1).optional(),
      maxReaderCrashes: z.number().int().min(1).max(100).optional(),
    })
    .optional(),
  pipelines: z.record(z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/, 'pipeline names use letters, digits, _ . - only'), pipelineSchema).optional(),
});

/** Finds the config file: the flag or FERRY_CONFIG when given (then it must exist), else the first default name in cwd. */
export function findConfigFile(cwd: string, env: NodeJS.ProcessEnv, flags: ConfigFlags): string | null {
  const explicit = flags.config ?? env.FERRY_CONFIG;
  if (explicit !== undefined && explicit !== '') {
    const file = path.resolve(cwd, explicit);
    if (!fs.existsSync(file)) {
      throw new FerryError('CONFIG_INVALID', `config file ${file} does not exist (from ${flags.config ? '--config' : 'FERRY_CONFIG'})`);
    }
    return file;
  }
  for (const name of CONFIG_FILE_NAMES) {
    const file = path.join(cwd, name);
    if (fs.existsSync(file)) return file;
  }
  return null;
}

async function importConfigFile(file: string): Promise<unknown> {
  try {
    // The modification time in the URL makes a changed file load anew instead of from the module cache.
    const url = `${pathToFileURL(file).href}?mtime=${fs.statSync(file).mtimeMs}`;
    const module = (await import(url)) as { default?: unknown };
    if (module.default === undefined) {
      throw new FerryError('CONFIG_INVALID', `${file} has no default export (write: export default defineConfig({...}))`);
    }
    return module.default;
  } catch (error) {
    if (error instanceof FerryError) throw error;
    const message = (error as Error).message;
    if ((error as Error).name === 'SyntaxError') {
      const where = locateSyntaxError(file);
      if (where !== null) throw new FerryError('CONFIG_INVALID', `${file}:${where.line}:${where.column}: ${message}\n${where.excerpt}`, { cause: error });
    }
    throw new FerryError('CONFIG_INVALID', `${file} could not be loaded: ${message}`, { cause: error });
  }
}

/**
 * Where a syntax error is: Node's type stripping says what is wrong but not where, and
 * `node --check` says where (the line, and a caret under the column).
 */
function locateSyntaxError(file: string): { line: number; column: number; excerpt: string } | null {
  const checked = spawnSync(process.execPath, ['--check', file], { encoding: 'utf8', timeout: 10_000 });
  const lines = (checked.stderr ?? '').split('\n');
  const at = lines.findIndex((line) => line.startsWith(`${file}:`));
  const number = at >= 0 ? Number(lines[at]?.slice(file.length + 1)) : Number.NaN;
  const source = lines[at + 1];
  const caret = lines[at + 2];
  if (!Number.isInteger(number) || source === undefined || caret === undefined || !caret.includes('^')) return null;
  return { line: number, column: caret.indexOf('^') + 1, excerpt: `${source}\n${caret}` };
}

export async function loadConfig(options: LoadConfigOptions = {}): Promise<ResolvedConfig> {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  const flags = options.flags ?? {};
  const configFile = findConfigFile(cwd, env, flags);
  const raw = configFile === null ? {} : await importConfigFile(configFile);
  return resolveConfig(raw, { cwd, env, flags, configFile });
}

interface ResolveContext {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  readonly flags: ConfigFlags;
  readonly configFile: string | null;
}

/**
 * One line for a validation problem: the field, what is wrong, what is allowed. For a field
 * that takes one of several shapes (`sink: 'row-count' | { table, … }`), the shape the value
 * came closest to says what is wrong (`pipelines.p.sink.mode: Invalid option: expected one of
 * "append"|"replace"|"merge"`), not zod's bare "Invalid input".
 */
function describeIssue(issue: z.core.$ZodIssue, prefix: readonly PropertyKey[]): string {
  const at = [...prefix, ...issue.path];
  // What was given, when it is a plain value (functions and objects are not echoed).
  const input = (issue as { input?: unknown }).input;
  const given = typeof input === 'string' || typeof input === 'number' || typeof input === 'boolean' ? ` (given ${JSON.stringify(input)})` : '';
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    const deepest = issue.errors.flat().reduce((best, candidate) => (candidate.path.length > best.path.length ? candidate : best));
    if (deepest.path.length > 0) return describeIssue(deepest, at);
    // No shape came close: say what each would have taken.
    const expected = [...new Set(issue.errors.flat().map((inner) => inner.message.replace(/^Invalid (input|option): /, '')))];
    return `${at.map(String).join('.') || '(root)'}: Invalid input: ${expected.join('; or ')}${given}`;
  }
  return `${at.map(String).join('.') || '(root)'}: ${issue.message}${given}`;
}

/** Validates raw config (as exported by a config file) and layers environment and flags on top. */
export function resolveConfig(raw: unknown, context: ResolveContext): ResolvedConfig {
  const { cwd, env, flags, configFile } = context;
  const where = configFile === null ? 'config' : path.basename(configFile);
  const parsed = configSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => describeIssue(issue, []));
    throw new FerryError('CONFIG_INVALID', `invalid ${where}: ${[...new Set(lines)].join('; ')}`);
  }
  const input: FerryConfigInput = parsed.data;
  const problems: string[] = [];
  const problem = (field: string, message: string) => problems.push(`${field}: ${message}`);

  const duration = (field: string, text: string): number => {
    const ms = parseDuration(text);
    if (ms === null) problem(field, `"${text}" is not a duration (use e.g. 30s, 5m, 24h, 7d)`);
    return ms ?? 0;
  };
  const envValue = (name: string): string | undefined => {
    const value = env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };

  // storage: flag > env > file > default
  let storageField = 'storage';
  let storageInput: StorageInput = input.storage ?? DEFAULTS.storage;
  if (envValue('FERRY_STORAGE') !== undefined) [storageField, storageInput] = ['FERRY_STORAGE', envValue('FERRY_STORAGE') as string];
  if (flags.storage !== undefined) [storageField, storageInput] = ['--storage', flags.storage];
  const storage = parseStorage(storageInput, cwd);
  if (typeof storage === 'string') problem(storageField, storage);

  const host = flags.host ?? envValue('HOST') ?? input.http?.host ?? DEFAULTS.host;
  const portText = flags.port ?? envValue('PORT');
  let port = input.http?.port ?? DEFAULTS.port;
  if (portText !== undefined) {
    port = Number(portText);
    if (!Number.isInteger(port) || port < 0 || port > 65535) problem(flags.port ? '--port' : 'PORT', `"${portText}" is not a port number (0-65535)`);
  }

  const envSchedule = envValue('FERRY_SCHEDULE');
  const envTimezone = envValue('FERRY_TIMEZONE');
  const envWindow = envValue('FERRY_WINDOW');
  const pipelineInputs = Object.entries(input.pipelines ?? { [DEFAULTS.pipelineName]: {} });
  if (pipelineInputs.length === 0) problem('pipelines', 'declares no pipeline');

  const pipelines: ResolvedPipeline[] = pipelineInputs.map(([name, pipeline]: [string, PipelineInput]) => {
    const field = `pipelines.${name}`;
    // The demo's row count looks at the last 24 h; a table pipeline loads whatever is there
    // unless told otherwise (last week's exports are not silently left out).
    const defaultWindow = pipeline.sink === undefined || pipeline.sink === 'row-count' ? DEFAULTS.modifiedWithin : null;
    let window: string | null = pipeline.source?.modifiedWithin === undefined ? defaultWindow : pipeline.source.modifiedWithin;
    let windowField = `${field}.source.modifiedWithin`;
    if (envWindow !== undefined) [window, windowField] = [envWindow, 'FERRY_WINDOW'];
    const modifiedWithinMs = window === null ? null : duration(windowField, window);

    const schedule = resolveSchedule(field, pipeline.schedule, envSchedule, envTimezone, problem);
    const prefix = (pipeline.source?.prefix ?? '').replace(/^\/+/, '');
    if (prefix.split('/').includes('..')) problem(`${field}.source.prefix`, 'must not contain ".."');
    const source = pipeline.source ?? {};
    const checks = resolveChecks(`${field}.checks`, pipeline.checks ?? [], problem, source.schema ?? {});
    return {
      name,
      source: {
        prefix,
        glob: source.glob ?? DEFAULTS.glob,
        modifiedWithinMs,
        format: source.format ?? null,
        compression: source.compression ?? null,
        csv: source.csv ?? {},
        inferSchemaLength: source.inferSchemaLength === undefined ? DEFAULTS.inferSchemaLength : source.inferSchemaLength,
        schema: source.schema ?? {},
        // A cast rule's columns are read as they are and cast by the rule, row by row.
        lenient: checks.find((check) => check.rule === 'cast')?.columns ?? [],
      },
      transform: resolveTransform(field, pipeline, problem),
      checks,
      sink: resolveSink(field, pipeline, problem),
      schedule,
    };
  });

  const leaseMs = duration('leaseDuration', input.leaseDuration ?? DEFAULTS.leaseDuration);
  const retry = {
    maxAttempts: input.retry?.maxAttempts ?? DEFAULTS.retry.maxAttempts,
    baseDelayMs: duration('retry.baseDelay', input.retry?.baseDelay ?? DEFAULTS.retry.baseDelay),
    maxDelayMs: duration('retry.maxDelay', input.retry?.maxDelay ?? DEFAULTS.retry.maxDelay),
  };

  const size = (field: string, text: string): number => {
    const bytes = parseSize(text);
    if (bytes === null) problem(field, `"${text}" is not a size (use e.g. 512MB, 16MiB, 10GB)`);
    return bytes ?? 0;
  };
  const limits = {
    maxFileSize: size('limits.maxFileSize', input.limits?.maxFileSize ?? DEFAULTS.limits.maxFileSize),
    maxFooterSize: size('limits.maxFooterSize', input.limits?.maxFooterSize ?? DEFAULTS.limits.maxFooterSize),
    maxDecompressedSize: size('limits.maxDecompressedSize', input.limits?.maxDecompressedSize ?? DEFAULTS.limits.maxDecompressedSize),
    maxRowGroupSize: size('limits.maxRowGroupSize', input.limits?.maxRowGroupSize ?? DEFAULTS.limits.maxRowGroupSize),
    maxReaderCrashes: input.limits?.maxReaderCrashes ?? DEFAULTS.limits.maxReaderCrashes,
  };

  const databaseUrl = envValue('DATABASE_URL') ?? null;
  if (databaseUrl !== null && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    problem('DATABASE_URL', 'must start with postgres:// or postgresql://');
  }

  if (problems.length > 0) {
    // A value from the environment applies to every pipeline: its problem is said once, and
    // the file is not blamed for it.
    const unique = [...new Set(problems)];
    const fromFile = unique.some((line) => !/^(?:[A-Z][A-Z0-9_]*|--[a-z-]+):/.test(line));
    throw new FerryError('CONFIG_INVALID', `invalid ${fromFile ? where : 'config'}: ${unique.join('; ')}`);
  }

  return deepFreeze({
    configFile,
    storage: storage as Exclude<typeof storage, string>,
    storageIsDefault: storageField === 'storage' && input.storage === undefined,
    s3: s3SettingsFromEnv(env),
    databaseUrl,
    http: { host, port },
    dataDir: path.resolve(cwd, envValue('FERRY_DATA_DIR') ?? input.dataDir ?? DEFAULTS.dataDir),
    concurrency: input.concurrency ?? DEFAULTS.concurrency,
    leaseMs,
    retry,
    limits,
    adminToken: envValue('FERRY_ADMIN_TOKEN') ?? null,
    pipelines,
    origin: { cwd, configFile, raw: configFile === null ? raw : null, env: { ...env }, flags: { ...flags } },
  });
}

function resolveSink(field: string, pipeline: PipelineInput, problem: (field: string, message: string) => void): SinkConfig {
  const sink = pipeline.sink ?? 'row-count';
  if (sink === 'row-count') {
    if (pipeline.transform !== undefined || pipeline.sql !== undefined)
      problem(`${field}.sink`, 'a transform or sql needs a table sink: sink: { table: "name" }');
    (pipeline.checks ?? []).forEach((check, index) => {
      if (check.action === 'reject') problem(`${field}.checks[${index}].action`, 'the row-count sink loads no rows to set aside: use warn or quarantine');
    });
    return { kind: 'row-count' };
  }
  const mode = sink.mode ?? 'append';
  if (mode === 'merge' && sink.key === undefined) problem(`${field}.sink.key`, "merge mode needs the columns that identify a row, e.g. key: ['id']");
  if (mode !== 'merge' && sink.key !== undefined) problem(`${field}.sink.key`, `only merge mode uses a key (the mode is ${mode})`);
  if (mode === 'replace' && sink.lineage === false) {
    problem(`${field}.sink.lineage`, `replace mode finds a file's earlier rows by its lineage column ${LINEAGE_COLUMNS.file}; it cannot be false`);
  }
  const key = sink.key ?? [];
  if (new Set(key).size !== key.length) problem(`${field}.sink.key`, 'names a column twice');
  return {
    kind: 'table',
    table: sink.table,
    schema: sink.schema ?? null,
    mode,
    key,
    lineage: sink.lineage ?? mode === 'replace',
    schemaDrift: sink.schemaDrift ?? 'evolve',
    rejects: sink.rejects ?? `${sink.table}_rejects`.slice(0, 63),
  };
}

function resolveTransform(field: string, pipeline: PipelineInput, problem: (field: string, message: string) => void): TransformSpec {
  if (pipeline.transform !== undefined && pipeline.sql !== undefined) problem(`${field}.sql`, 'give transform or sql, not both');
  if (pipeline.transform !== undefined) return { kind: 'function', fn: pipeline.transform };
  if (pipeline.sql !== undefined) return { kind: 'sql', sql: pipeline.sql };
  return { kind: 'none' };
}

/** The schedule of one pipeline: FERRY_SCHEDULE / FERRY_TIMEZONE win over the file. */
function resolveSchedule(
  field: string,
  declared: PipelineInput['schedule'],
  envSchedule: string | undefined,
  envTimezone: string | undefined,
  problem: (field: string, message: string) => void,
): Schedule {
  let text: string = DEFAULTS.schedule;
  let timezone: string = DEFAULTS.timezone;
  let scheduleField = `${field}.schedule`;
  let parse = parseSchedule;
  if (typeof declared === 'string') text = declared;
  else if (declared !== undefined && 'every' in declared) {
    [text, scheduleField] = [declared.every, `${field}.schedule.every`];
    parse = (every) => {
      const ms = parseDuration(every);
      return ms === null ? `"${every}" is not a duration (use e.g. 30s, 5m, 24h)` : everySchedule(ms);
    };
  } else if (declared !== undefined) {
    [text, scheduleField] = [declared.cron, `${field}.schedule.cron`];
    timezone = declared.timezone ?? timezone;
    parse = cronSchedule;
  }
  if (envSchedule !== undefined) [text, scheduleField, parse] = [envSchedule, 'FERRY_SCHEDULE', parseSchedule];
  if (envTimezone !== undefined) timezone = envTimezone;
  const schedule = parse(text, timezone);
  if (typeof schedule === 'string') {
    problem(scheduleField, schedule);
    return everySchedule(1);
  }
  return schedule;
}

/** Freezes plain objects and arrays all the way down; other objects (Polars expressions in checks) are left as they are. */
function deepFreeze<T>(value: T): T {
  const plain = value !== null && typeof value === 'object' && (Array.isArray(value) || Object.getPrototypeOf(value) === Object.prototype);
  if (plain && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
