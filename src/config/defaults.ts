/**
 * The value a config field takes when it is not given, by the field's path in the config
 * (`retry.maxAttempts`, `pipelines.<name>.source.glob`: the entry under `pipeline`). The
 * resolver reads its defaults from here only, and test/unit/config-shape.test.ts holds the
 * JSDoc `@default` tags of the input types and the README's tables to these values and the
 * fields to the schema. Defaults that depend on other fields (a table sink's time window, its
 * lineage and rejects table, `expectEvery`) are said in the resolver and documented in words.
 * No zod here: reader processes load the defaults, never the schema.
 */
export const DEFAULTS = {
  storage: './data/inbox',
  http: { host: '127.0.0.1', port: 8000 },
  dataDir: '.ferry',
  concurrency: 2,
  leaseDuration: '1m',
  retention: '30d',
  retry: { maxAttempts: 5, baseDelay: '2s', maxDelay: '5m' },
  limits: {
    maxFileSize: '10GiB',
    maxFooterSize: '16MiB',
    maxDecompressedSize: '4GiB',
    maxRowGroupSize: '4GiB',
    maxReaderCrashes: 2,
    readerMemory: '4GiB',
    fileTimeout: '30m',
  },
  readers: { idleExit: '1m', recycleAfter: null },
  /** Each of `alerts`. */
  alert: { format: 'json', on: ['*'], cooldown: '15m' },
  /** With no `pipelines`, this one: the demo's row count of recent Parquet files. */
  pipelineName: 'default',
  /** Each of `pipelines`. */
  pipeline: {
    source: {
      prefix: '',
      glob: '**/*.parquet',
      listFrom: 'start',
      includeHidden: false,
      reconcile: '1d',
      inferSchemaLength: 10_000,
      schema: {},
    },
    checks: [],
    sink: 'row-count',
    schedule: { every: '5m' },
    batch: { files: 100, bytes: '16MiB' },
  },
  /** Each table sink (`sink: { table }`). */
  tableSink: { mode: 'append', lineage: false, schemaDrift: 'evolve' },
  /** The time window of a row-count pipeline (`source.modifiedWithin`); a table pipeline has none. */
  rowCountWindow: '24h',
  /** The time zone of a cron schedule (`schedule.timezone`). */
  timezone: 'UTC',
} as const;
