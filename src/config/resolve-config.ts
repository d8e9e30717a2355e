/**
 * Resolves a raw config (what a config file exports) into the frozen ResolvedConfig ferry runs
 * with: validated by the schema, defaults < file < environment < command-line flags. Every
 * problem is reported with the field it is in (`pipelines.sales.schedule`, `FERRY_WINDOW`),
 * one per line, in a single CONFIG_INVALID error.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type AlertDestination, destinationId, redactUrl } from '../alerts/index.ts';
import { type CheckInput, MAX_SAMPLES, resolveChecks } from '../check/index.ts';
import { FerryError } from '../errors/index.ts';
import type { ConfigFlags } from '../project.ts';
import { cronSchedule, everySchedule, parseSchedule, type Schedule, scheduleIntervalMs } from '../schedule/index.ts';
import { serviceUrl } from '../service-url.ts';
import { azureSettingsProblems, parseStorage, type StorageInput, storeSettingsFromEnv } from '../storage/index.ts';
import type { TransformSpec } from '../transform/index.ts';
import { parseDuration, parseSize } from '../units/index.ts';
import { DEFAULTS } from './defaults.ts';
import type { ConfigInput } from './schema.ts';
import { parseTrustProxy, type TrustProxy } from './trust-proxy.ts';
import { LINEAGE_COLUMNS, type ResolvedConfig, type ResolvedPipeline, type ResolvedSource, type SinkConfig, type SourceEvents } from './types.ts';

/** One pipeline as the schema accepts it. */
type PipelineInput = NonNullable<ConfigInput['pipelines']>[string];

/** The least memory a reader process starts with (see limits.readerMemory; measured: at 512 MiB Node dies at start). */
const MIN_READER_MEMORY = 1024 ** 3;

interface ResolveContext {
  readonly cwd: string;
  /** The project's folder; null outside any project (see findProjectRoot). @default cwd */
  readonly projectRoot?: string | null;
  readonly env: NodeJS.ProcessEnv;
  readonly flags: ConfigFlags;
  readonly configFile: string | null;
  /**
   * The config was validated already (by the process that started this one, from the same
   * file and environment): its shape is not checked again, and zod is not loaded.
   */
  readonly trusted?: boolean;
}

/** The zod schema's module, loaded on first use (see schema.ts); `.ts` here, `.js` when compiled. */
function schemaModule(): typeof import('./schema.ts') {
  const extension = path.extname(fileURLToPath(import.meta.url));
  return createRequire(import.meta.url)(`./schema${extension}`) as typeof import('./schema.ts');
}

/** Validates raw config (as exported by a config file) and layers environment and flags on top. */
export function resolveConfig(raw: unknown, context: ResolveContext): ResolvedConfig {
  const { cwd, env, flags, configFile } = context;
  const where = configFile === null ? 'config' : path.basename(configFile);
  let input: ConfigInput;
  if (context.trusted === true) input = (raw ?? {}) as ConfigInput;
  else {
    const { configSchema, describeIssue } = schemaModule();
    const parsed = configSchema.safeParse(raw, { reportInput: true });
    if (!parsed.success) {
      const lines = parsed.error.issues.map((issue) => describeIssue(issue, []));
      throw new FerryError('CONFIG_INVALID', `invalid ${where}: ${[...new Set(lines)].join('; ')}`);
    }
    input = parsed.data;
  }
  const problems: string[] = [];
  const problem = (field: string, message: string) => problems.push(`${field}: ${message}`);

  const duration = (field: string, text: string): number => {
    const ms = parseDuration(text);
    // A zero (0s, 0m) is a duration, but none of ferry's durations may be zero: say that.
    const zero = ms === null && /^\s*(?:0+(?:\.0*)?\s*(?:ms|s|m|h|d|w)?\s*)+$/i.test(text);
    if (ms === null) problem(field, zero ? `"${text}" must be more than zero` : `"${text}" is not a duration (use e.g. 30s, 5m, 24h, 7d)`);
    return ms ?? 0;
  };
  const envValue = (name: string): string | undefined => {
    const value = env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };
  const flag = (name: string): boolean => {
    const value = envValue(name)?.toLowerCase();
    if (value === undefined || value === 'false' || value === '0' || value === 'no') return false;
    if (value === 'true' || value === '1' || value === 'yes') return true;
    problem(name, `"${env[name]}" is not true or false`);
    return false;
  };

  // storage: flag > env > file > default
  let storageField = 'storage';
  let storageInput: StorageInput = input.storage ?? DEFAULTS.storage;
  if (envValue('FERRY_STORAGE') !== undefined) [storageField, storageInput] = ['FERRY_STORAGE', envValue('FERRY_STORAGE') as string];
  if (flags.storage !== undefined) [storageField, storageInput] = ['--storage', flags.storage];
  const storage = parseStorage(storageInput, cwd);
  if (typeof storage === 'string') problem(storageField, storage);
  // Azure's settings are read only for an azblob storage: a key that is not base64 or an
  // endpoint that is not a URL is the config's problem, said before any request.
  else if (storage.kind === 'azblob') for (const { field, message } of azureSettingsProblems(env)) problem(field, message);

  const host = flags.host ?? envValue('HOST') ?? input.http?.host ?? DEFAULTS.http.host;
  const portText = flags.port ?? envValue('PORT');
  let port = input.http?.port ?? DEFAULTS.http.port;
  if (portText !== undefined) {
    port = Number(portText);
    if (!Number.isInteger(port) || port < 0 || port > 65535) problem(flags.port ? '--port' : 'PORT', `"${portText}" is not a port number (0-65535)`);
  }

  const envSchedule = envValue('FERRY_SCHEDULE');
  const envTimezone = envValue('FERRY_TIMEZONE');
  const envWindow = envValue('FERRY_WINDOW');
  const pipelineInputs = Object.entries(input.pipelines ?? { [DEFAULTS.pipelineName]: {} });
  if (pipelineInputs.length === 0) problem('pipelines', 'declares no pipeline');

  const size = (field: string, text: string): number => {
    const bytes = parseSize(text);
    if (bytes === null) problem(field, `"${text}" is not a size (use e.g. 512MB, 16MiB, 10GB)`);
    return bytes ?? 0;
  };

  const pipelines: ResolvedPipeline[] = pipelineInputs.map(([name, pipeline]: [string, PipelineInput]) => {
    const field = `pipelines.${name}`;
    // The demo's row count looks at the last 24 h; a table pipeline loads whatever is there
    // unless told otherwise (last week's exports are not silently left out).
    const defaultWindow = pipeline.sink === undefined || pipeline.sink === 'row-count' ? DEFAULTS.rowCountWindow : null;
    let window: string | null = pipeline.source?.modifiedWithin === undefined ? defaultWindow : pipeline.source.modifiedWithin;
    let windowField = `${field}.source.modifiedWithin`;
    if (envWindow !== undefined) [window, windowField] = [envWindow, 'FERRY_WINDOW'];
    const modifiedWithinMs = window === null ? null : duration(windowField, window);

    const schedule = resolveSchedule(field, pipeline.schedule, envSchedule, envTimezone, problem);
    const prefix = (pipeline.source?.prefix ?? DEFAULTS.pipeline.source.prefix).replace(/^\/+/, '');
    if (prefix.split('/').includes('..')) problem(`${field}.source.prefix`, 'must not contain ".."');
    const source = pipeline.source ?? {};
    // checks: a list of rules, or { samples, rules } (samples: 0 keeps no value from the file).
    const checkInput = checkList(pipeline.checks);
    const checksField = checkInput.listed ? `${field}.checks` : `${field}.checks.rules`;
    const checks = resolveChecks(checksField, checkInput.rules, problem, source.schema ?? DEFAULTS.pipeline.source.schema, checkInput.samples ?? MAX_SAMPLES);
    return {
      name,
      source: {
        prefix,
        glob: source.glob ?? DEFAULTS.pipeline.source.glob,
        modifiedWithinMs,
        listFrom: source.listFrom ?? DEFAULTS.pipeline.source.listFrom,
        includeHidden: source.includeHidden ?? DEFAULTS.pipeline.source.includeHidden,
        ...resolveEvents(field, source, typeof storage === 'string' ? null : storage.kind, duration, problem),
        format: source.format ?? null,
        compression: source.compression ?? null,
        csv: source.csv ?? {},
        inferSchemaLength: source.inferSchemaLength === undefined ? DEFAULTS.pipeline.source.inferSchemaLength : source.inferSchemaLength,
        schema: source.schema ?? DEFAULTS.pipeline.source.schema,
        // A cast rule's columns are read as they are and cast by the rule, row by row.
        lenient: checks.find((check) => check.rule === 'cast')?.columns ?? [],
      },
      transform: resolveTransform(field, pipeline, problem),
      checks,
      sink: resolveSink(field, pipeline, problem),
      schedule,
      expectEveryMs: pipeline.expectEvery === undefined ? 2 * scheduleIntervalMs(schedule) : duration(`${field}.expectEvery`, pipeline.expectEvery),
      batch:
        pipeline.batch === false
          ? { files: 1, bytes: 0 }
          : {
              files: pipeline.batch?.files ?? DEFAULTS.pipeline.batch.files,
              bytes: size(`${field}.batch.bytes`, pipeline.batch?.bytes ?? DEFAULTS.pipeline.batch.bytes),
            },
    };
  });

  const leaseMs = duration('leaseDuration', input.leaseDuration ?? DEFAULTS.leaseDuration);
  const retentionText = input.retention === undefined ? DEFAULTS.retention : input.retention;
  const retentionMs = retentionText === null ? null : duration('retention', retentionText);
  const retry = {
    maxAttempts: input.retry?.maxAttempts ?? DEFAULTS.retry.maxAttempts,
    baseDelayMs: duration('retry.baseDelay', input.retry?.baseDelay ?? DEFAULTS.retry.baseDelay),
    maxDelayMs: duration('retry.maxDelay', input.retry?.maxDelay ?? DEFAULTS.retry.maxDelay),
  };

  const limits = {
    maxFileSize: size('limits.maxFileSize', input.limits?.maxFileSize ?? DEFAULTS.limits.maxFileSize),
    maxFooterSize: size('limits.maxFooterSize', input.limits?.maxFooterSize ?? DEFAULTS.limits.maxFooterSize),
    maxDecompressedSize: size('limits.maxDecompressedSize', input.limits?.maxDecompressedSize ?? DEFAULTS.limits.maxDecompressedSize),
    maxRowGroupSize: size('limits.maxRowGroupSize', input.limits?.maxRowGroupSize ?? DEFAULTS.limits.maxRowGroupSize),
    maxReaderCrashes: input.limits?.maxReaderCrashes ?? DEFAULTS.limits.maxReaderCrashes,
    readerMemory: size('limits.readerMemory', input.limits?.readerMemory ?? DEFAULTS.limits.readerMemory),
    fileTimeoutMs: duration('limits.fileTimeout', input.limits?.fileTimeout ?? DEFAULTS.limits.fileTimeout),
  };
  if (limits.readerMemory < MIN_READER_MEMORY)
    problem('limits.readerMemory', 'must be at least 1GiB: a reader needs that much to load Node, Polars and the config');

  const idleExit = input.readers?.idleExit === undefined ? DEFAULTS.readers.idleExit : input.readers.idleExit;
  const readers = {
    idleExitMs: idleExit === null ? null : duration('readers.idleExit', idleExit),
    recycleAfter: input.readers?.recycleAfter === undefined ? DEFAULTS.readers.recycleAfter : input.readers.recycleAfter,
  };

  const databaseUrl = envValue('DATABASE_URL') ?? null;
  if (databaseUrl !== null && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    problem('DATABASE_URL', 'must start with postgres:// or postgresql://');
  }

  const publicRead = flag('FERRY_PUBLIC_READ');
  const trustProxyParsed = parseTrustProxy(envValue('FERRY_TRUST_PROXY'), host);
  if ('problem' in trustProxyParsed) problem('FERRY_TRUST_PROXY', trustProxyParsed.problem);
  const trustProxy: TrustProxy = 'problem' in trustProxyParsed ? { kind: 'none' } : trustProxyParsed;
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
    projectRoot: context.projectRoot === undefined ? cwd : context.projectRoot,
    stores: storeSettingsFromEnv(env),
    databaseUrl,
    http: { host, port },
    dataDir: path.resolve(cwd, envValue('FERRY_DATA_DIR') ?? input.dataDir ?? DEFAULTS.dataDir),
    concurrency: input.concurrency ?? DEFAULTS.concurrency,
    leaseMs,
    retentionMs,
    retry,
    limits,
    readers,
    adminToken: envValue('FERRY_ADMIN_TOKEN') ?? null,
    readToken: envValue('FERRY_READ_TOKEN') ?? null,
    metricsToken: envValue('FERRY_METRICS_TOKEN') ?? null,
    eventsToken: envValue('FERRY_EVENTS_TOKEN') ?? null,
    publicRead,
    trustProxy,
    ...resolveAlerts(input, duration),
    publicUrl: (envValue('FERRY_PUBLIC_URL') ?? input.http?.publicUrl ?? serviceUrl({ host, port })).replace(/\/+$/, ''),
    pipelines,
    origin: { cwd, configFile, raw: configFile === null ? raw : null, env: { ...env }, flags: { ...flags } },
  });
}

/** `source.events` and `source.reconcile`: how a pipeline hears of new files besides listing. */
function resolveEvents(
  field: string,
  source: NonNullable<PipelineInput['source']>,
  storageKind: string | null,
  duration: (field: string, text: string) => number,
  problem: (field: string, message: string) => void,
): Pick<ResolvedSource, 'events' | 'reconcileMs'> {
  if (source.events === undefined) {
    if (source.reconcile !== undefined) problem(`${field}.source.reconcile`, 'applies only with source.events (without events every run lists the store)');
    return { events: null, reconcileMs: null };
  }
  // Events name a bucket and a key: only an S3 storage can place them (a local folder is watched).
  if (storageKind !== null && storageKind !== 's3') problem(`${field}.source.events`, 'needs an s3:// storage (events name a bucket and a key)');
  const events: SourceEvents = source.events === 'http' ? { kind: 'http' } : { kind: 'sqs', queueUrl: source.events.sqs };
  const reconcile = source.reconcile === undefined ? DEFAULTS.pipeline.source.reconcile : source.reconcile;
  return { events, reconcileMs: reconcile === null ? null : duration(`${field}.source.reconcile`, reconcile) };
}

/** `checks` as a list, or as `{ samples, rules }`. */
function checkList(checks: PipelineInput['checks']): { rules: readonly CheckInput[]; samples?: number; listed: boolean } {
  if (checks === undefined) return { rules: DEFAULTS.pipeline.checks, listed: true };
  if ('rules' in checks) return { rules: checks.rules, ...(checks.samples === undefined ? {} : { samples: checks.samples }), listed: false };
  return { rules: checks, listed: true };
}

function resolveSink(field: string, pipeline: PipelineInput, problem: (field: string, message: string) => void): SinkConfig {
  const sink = pipeline.sink ?? DEFAULTS.pipeline.sink;
  if (sink === 'row-count') {
    if (pipeline.transform !== undefined || pipeline.sql !== undefined)
      problem(`${field}.sink`, 'a transform or sql needs a table sink: sink: { table: "name" }');
    checkList(pipeline.checks).rules.forEach((check: CheckInput, index: number) => {
      if (check.action === 'reject') problem(`${field}.checks[${index}].action`, 'the row-count sink loads no rows to set aside: use warn or quarantine');
    });
    return { kind: 'row-count' };
  }
  const mode = sink.mode ?? DEFAULTS.tableSink.mode;
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
    // Replace mode finds a file's earlier rows by their lineage: on there (false is refused above).
    lineage: sink.lineage ?? (mode === 'replace' || DEFAULTS.tableSink.lineage),
    schemaDrift: sink.schemaDrift ?? DEFAULTS.tableSink.schemaDrift,
    rejects: sink.rejects ?? `${sink.table}_rejects`.slice(0, 63),
  };
}

function resolveTransform(field: string, pipeline: PipelineInput, problem: (field: string, message: string) => void): TransformSpec {
  if (pipeline.transform !== undefined && pipeline.sql !== undefined) problem(`${field}.sql`, 'give transform or sql, not both');
  if (pipeline.transform !== undefined) return { kind: 'function', fn: pipeline.transform };
  if (pipeline.sql !== undefined) return { kind: 'sql', sql: pipeline.sql };
  return { kind: 'none' };
}

function resolveAlerts(input: ConfigInput, duration: (field: string, text: string) => number): { alerts: AlertDestination[]; alertsOff: string[] } {
  const alerts: AlertDestination[] = [];
  const alertsOff: string[] = [];
  (input.alerts ?? []).forEach((alert, index) => {
    const cooldownMs = duration(`alerts[${index}].cooldown`, alert.cooldown ?? DEFAULTS.alert.cooldown);
    if (alert.url === undefined || alert.url === '') {
      alertsOff.push(`alerts[${index}] is off: its url is not set (it comes from an environment variable that is empty here)`);
      return;
    }
    const on: readonly string[] = alert.on ?? DEFAULTS.alert.on;
    alerts.push({
      id: destinationId(alert.url),
      url: alert.url,
      shown: redactUrl(alert.url),
      format: alert.format ?? DEFAULTS.alert.format,
      events: on.includes('*') ? '*' : new Set(on),
      cooldownMs,
    });
  });
  return { alerts, alertsOff };
}

/** The schedule of one pipeline: FERRY_SCHEDULE / FERRY_TIMEZONE win over the file. */
function resolveSchedule(
  field: string,
  declared: PipelineInput['schedule'],
  envSchedule: string | undefined,
  envTimezone: string | undefined,
  problem: (field: string, message: string) => void,
): Schedule {
  const given = declared ?? DEFAULTS.pipeline.schedule;
  let text: string;
  let timezone: string = DEFAULTS.timezone;
  let scheduleField = `${field}.schedule`;
  let parse = parseSchedule;
  if (typeof given === 'string') text = given;
  else if ('every' in given) {
    [text, scheduleField] = [given.every, `${field}.schedule.every`];
    parse = (every) => {
      const ms = parseDuration(every);
      return ms === null ? `"${every}" is not a duration (use e.g. 30s, 5m, 24h)` : everySchedule(ms);
    };
  } else {
    [text, scheduleField] = [given.cron, `${field}.schedule.cron`];
    timezone = given.timezone ?? timezone;
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
