/**
 * The `ferry` command. Thin: parse flags, load config, call the same runner the service uses,
 * release everything in `finally`. Errors print one line naming what failed, with secrets
 * removed, and exit non-zero.
 */
import path from 'node:path';
import { Command, Option } from 'commander';
import { type ConfigFlags, loadConfig, type ResolvedConfig } from '../config/index.ts';
import { coerceError, FerryError } from '../errors/index.ts';
import {
  FILE_STATUSES,
  type FileStatus,
  findProcessedFiles,
  listCheckResults,
  listFiles,
  listRuns,
  pruneLedger,
  RUN_STATUSES,
  type RunStatus,
  reprocessFiles,
  requeueFiles,
} from '../ledger/index.ts';
import { createLogger } from '../logger.ts';
import type { Service } from '../main.ts';
import { embeddedDatabaseInfo, migrate, type Pool, redactConnectionString, redactSecrets } from '../postgres/index.ts';
import { discardPrestartedReaders } from '../readers/index.ts';
import { openRuntime } from '../runtime.ts';
import { nextFireTime } from '../schedule/index.ts';
import { parseDuration } from '../units/index.ts';
import { VERSION } from '../version.ts';
import { printBlock, printJson, printLine, printTable } from './output.ts';
import { exitCodeFor, onStopSignal, stopState } from './signals.ts';

/** A stop that hangs (a stuck read) still ends the process: in-flight transactions roll back. */
const HARD_EXIT_MS = 9_500;

/** A logger in the format the global flag asks for (else by FERRY_LOG_FORMAT, else by the terminal). */
function logger(options: { destination?: 1 | 2; level?: string } = {}) {
  const { logFormat } = program.opts<{ logFormat?: string }>();
  return createLogger({ destination: options.destination, defaultLevel: options.level, format: logFormat });
}

/** Objects in the storage that a pipeline's source selects but its time window leaves out. */
async function filesOutsideWindow(config: ResolvedConfig, pipelineName: string | undefined, limit: number) {
  const { openObjectStore } = await import('../storage/index.ts');
  const { sourceFilter } = await import('../discover/index.ts');
  const { formatDuration } = await import('../units/index.ts');
  const store = openObjectStore(config.storage, config.s3);
  const found: { pipeline: string; key: string; last_modified: string | null; window: string }[] = [];
  for (const pipeline of config.pipelines) {
    if ((pipelineName !== undefined && pipeline.name !== pipelineName) || pipeline.source.modifiedWithinMs === null) continue;
    const matches = sourceFilter(pipeline.source, new Date());
    for await (const page of store.list(pipeline.source.prefix)) {
      for (const object of page) {
        if (matches(object) !== 'too-old') continue;
        found.push({ pipeline: pipeline.name, key: object.key, last_modified: object.lastModified, window: formatDuration(pipeline.source.modifiedWithinMs) });
        if (found.length >= limit) return found;
      }
    }
  }
  return found;
}

/** `--since 1d` as the time it names, or a CONFIG_INVALID naming the flag. */
function sinceOption(text: string | undefined): Date | undefined {
  if (text === undefined) return undefined;
  const ms = parseDuration(text);
  if (ms === null) throw new FerryError('CONFIG_INVALID', `--since: "${text}" is not a duration (use e.g. 30m, 6h, 1d, 7d)`);
  return new Date(Date.now() - ms);
}

/** The ids or keys given that name no file version at all. */
async function unknownFiles(pool: Pool, files: readonly string[]): Promise<string[]> {
  if (files.length === 0) return [];
  const found = await pool.query<{ id: string; key: string }>('SELECT id::text AS id, key FROM ferry_files WHERE id::text = ANY($1) OR key = ANY($1)', [files]);
  const known = new Set(found.rows.flatMap((row) => [row.id, row.key]));
  return files.filter((file) => !known.has(file));
}

function configFlags(options: { config?: string; storage?: string; host?: string; port?: string }): ConfigFlags {
  return { config: options.config, storage: options.storage, host: options.host, port: options.port };
}

const program = new Command('ferry')
  .description('Scheduled, exactly-once ETL from object storage into PostgreSQL')
  .version(VERSION)
  .addOption(new Option('-c, --config <file>', 'config file (default: ./ferry.config.ts if present)'))
  .addOption(new Option('--storage <location>', 'storage: a folder, file:///dir or s3://bucket/prefix'))
  .addOption(new Option('--log-format <format>', 'log lines: pretty (default in a terminal) or json (default otherwise)').choices(['pretty', 'json']))
  .showHelpAfterError();

program
  .command('start')
  .description('run the service: scheduler and HTTP API')
  .option('--host <host>', 'HTTP host (default 127.0.0.1)')
  .option('--port <port>', 'HTTP port (default 8000)')
  .action(async (options: { host?: string; port?: string }) => {
    const config = await loadConfig({ flags: configFlags({ ...program.opts(), ...options }) });
    const log = logger();
    // Signals are handled from before the start: one that comes while ferry is starting (or
    // right after it logged that it started) stops it in order instead of killing it. The
    // handlers go first, so that the embedded database's removal of signal handlers it did
    // not find before it was loaded leaves them in place.
    // It exits with 128 + the signal's number (130, 143, 129) once stopped; a second signal exits at once.
    let started: Promise<Service> | undefined;
    const starting = new AbortController();
    onStopSignal((signal, code) => {
      log.info({ signal }, 'signal received: stopping (in-flight files finish or roll back within 8 s; send it again to exit at once)');
      setTimeout(() => process.exit(code), HARD_EXIT_MS).unref();
      starting.abort();
      (started as Promise<Service>)
        .then((service) => service.stop())
        .then(
          () => process.exit(code),
          (error: unknown) => {
            // Stopped before it had started (waiting for the database, say): a stop all the same.
            if (coerceError(error).code === 'INTERRUPTED') process.exit(code);
            log.error({ err: error }, 'stop failed');
            process.exit(1);
          },
        );
    });
    // Each command loads only what it uses (the HTTP server, Polars' preview, …): less start-up
    // time and memory for the others.
    started = import('../main.ts').then(({ startService }) => startService(config, log, { signal: starting.signal }));
    await started;
  });

program
  .command('run')
  .description('run the pipelines now and print a summary')
  .option('--once', 'run once and exit (the only mode)', true)
  .option('-p, --pipeline <name>', 'only this pipeline')
  .option('--json', 'print the summary as JSON')
  .option('-v, --verbose', 'log each step to stderr')
  .action(async (options: { pipeline?: string; json?: boolean; verbose?: boolean }) => {
    const config = await loadConfig({ flags: configFlags(program.opts()) });
    // Without -v only errors are logged: the summary already lists each file that failed.
    const log = logger({ destination: 2, level: options.verbose ? 'info' : 'error' });
    // Ctrl-C (or SIGTERM, SIGHUP) stops the run in order: loads in hand roll back and their
    // leases are given back before exit, so a rerun claims those files at once; it exits with
    // 128 + the signal's number. A second signal exits now.
    const stop = new AbortController();
    onStopSignal((signal, code) => {
      process.stderr.write(`ferry: ${signal}: stopping (again to exit at once)\n`);
      stop.abort();
      setTimeout(() => process.exit(code), HARD_EXIT_MS).unref();
    });
    const { runOnce } = await import('./run-once.ts');
    const code = await runOnce(config, log, { ...options, signal: stop.signal });
    process.exitCode = stopState.signal !== null ? exitCodeFor(stopState.signal) : code;
  });

program
  .command('status')
  .description('the ledger in brief: what /status shows')
  .option('--json', 'print JSON')
  .action(async (options: { json?: boolean }) => {
    const config = await loadConfig({ flags: configFlags(program.opts()) });
    const runtime = await openRuntime(config, logger({ destination: 2, level: 'warn' }), { checkStorage: false });
    try {
      const { buildStatusReport } = await import('../http/index.ts');
      // Is a service running for this project? Its HTTP address answers /health if so.
      const url = `http://${config.http.host === '0.0.0.0' ? '127.0.0.1' : config.http.host}:${config.http.port}`;
      const service = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1_500) }).then(
        (response) => (response.status === 200 || response.status === 503 ? `running at ${url}` : `something else answers at ${url}`),
        () => `not running (nothing answers at ${url})`,
      );
      const now = new Date();
      const nextRun = (name: string) => {
        const pipeline = config.pipelines.find((p) => p.name === name);
        return service.startsWith('running') && pipeline !== undefined ? nextFireTime(pipeline.schedule, now) : null;
      };
      const report = await buildStatusReport({ pool: runtime.pool, pipelines: config.pipelines, nextRun, serviceStatus: service });
      if (options.json) return printJson(report);
      printLine(`service: ${service}`);
      printLine(`last run: ${report.last_run?.toISOString() ?? 'never'}`);
      printLine(`file versions processed: ${report.total_files_processed}`);
      process.stdout.write('\n');
      printTable(
        report.pipelines.map((p) => ({
          pipeline: p.name,
          schedule: p.schedule,
          last_run: p.last_run?.status ?? '-',
          next_run: p.next_run ?? '-',
          in_progress: p.in_progress.length,
          ...p.files,
        })),
        ['pipeline', 'schedule', 'last_run', 'next_run', 'in_progress', ...FILE_STATUSES],
      );
    } finally {
      await runtime.close();
    }
  });

program
  .command('files')
  .description('file versions in the ledger, newest first')
  .addOption(new Option('-s, --status <status>', 'only this status').choices(FILE_STATUSES))
  .option('-p, --pipeline <name>', 'only this pipeline')
  .option('--since <duration>', 'only those found or finished within this time (e.g. 1d, 6h)')
  .option('--outside-window', 'instead: files in the storage that the pipelines leave out for their time window (not in the ledger)')
  .option('-n, --limit <n>', 'at most this many (default 50)', '50')
  .option('--json', 'print JSON')
  .action(async (options: { status?: FileStatus; pipeline?: string; since?: string; outsideWindow?: boolean; limit: string; json?: boolean }) => {
    const since = sinceOption(options.since);
    const config = await loadConfig({ flags: configFlags(program.opts()) });
    if (options.outsideWindow) {
      const found = await filesOutsideWindow(config, options.pipeline, Number(options.limit) || 50);
      if (options.json) return printJson({ files: found });
      printTable(found, ['pipeline', 'key', 'last_modified', 'window']);
      return;
    }
    const runtime = await openRuntime(config, logger({ destination: 2, level: 'warn' }), { checkStorage: false });
    try {
      const files = await listFiles(runtime.pool, { status: options.status, pipeline: options.pipeline, since, limit: Number(options.limit) || 50 });
      if (options.json) return printJson({ files });
      printTable(files, ['id', 'pipeline', 'key', 'status', 'rows', 'rows_rejected', 'warnings', 'attempts', 'finished_at', 'error_code', 'error']);
    } finally {
      await runtime.close();
    }
  });

program
  .command('runs')
  .description('runs of the pipelines, newest first, with what each did')
  .option('-p, --pipeline <name>', 'only this pipeline')
  .addOption(new Option('-s, --status <status>', 'only this status').choices(RUN_STATUSES))
  .option('--since <duration>', 'only runs started within this time (e.g. 1d, 6h)')
  .option('-n, --limit <n>', 'at most this many (default 20)', '20')
  .option('--json', 'print JSON')
  .action(async (options: { pipeline?: string; status?: RunStatus; since?: string; limit: string; json?: boolean }) => {
    const since = sinceOption(options.since);
    const config = await loadConfig({ flags: configFlags(program.opts()) });
    const runtime = await openRuntime(config, logger({ destination: 2, level: 'warn' }), { checkStorage: false });
    try {
      const runs = await listRuns(runtime.pool, { pipeline: options.pipeline, status: options.status, since, limit: Number(options.limit) || 20 });
      if (options.json) return printJson({ runs });
      printTable(
        runs.map((run) => ({
          ...run,
          took: run.finished_at === null ? 'running' : `${((run.finished_at.getTime() - run.started_at.getTime()) / 1000).toFixed(1)}s`,
        })),
        ['id', 'pipeline', 'trigger', 'status', 'started_at', 'took', 'files_processed', 'files_failed', 'files_retrying', 'files_skipped', 'error'],
      );
    } finally {
      await runtime.close();
    }
  });

program
  .command('checks')
  .description("a file version's check results: one line per rule, with failing rows and samples")
  .argument('<file>', 'a file version id, or a key (its newest version)')
  .option('-p, --pipeline <name>', 'the pipeline, when a key is in several')
  .option('--json', 'print JSON')
  .action(async (file: string, options: { pipeline?: string; json?: boolean }) => {
    const config = await loadConfig({ flags: configFlags(program.opts()) });
    const runtime = await openRuntime(config, logger({ destination: 2, level: 'warn' }), { checkStorage: false });
    try {
      const found = await runtime.pool.query(
        `SELECT id, pipeline, key, status, rows, rows_rejected, warnings, error FROM ferry_files
          WHERE (id::text = $1 OR key = $1) AND ($2::text IS NULL OR pipeline = $2) ORDER BY id DESC LIMIT 1`,
        [file, options.pipeline ?? null],
      );
      const version = found.rows[0];
      if (version === undefined) throw new FerryError('CONFIG_INVALID', `checks: no file version ${file} in the ledger`);
      const checks = await listCheckResults(runtime.pool, version.id);
      if (options.json) return printJson({ file: version, checks });
      printLine(
        `${version.pipeline} ${version.key} (version ${version.id}): ${version.status}, ${version.rows ?? 0} rows loaded, ${version.rows_rejected} rejected, ${version.warnings} rules warned`,
      );
      if (checks.length === 0) {
        process.stdout.write('no check results (the pipeline has no checks, or the file was not checked)\n');
        return;
      }
      printTable(
        checks.map((check) => ({ ...check, samples: JSON.stringify(check.samples).slice(0, 120) })),
        ['rule_id', 'action', 'outcome', 'failing', 'total', 'detail', 'samples'],
      );
    } finally {
      await runtime.close();
    }
  });

program
  .command('preview')
  .description("read one file, apply the pipeline's transform, print schema, first rows and table; loads nothing")
  .argument('<file>', 'a key in the storage, or a local file')
  .option('-p, --pipeline <name>', 'the pipeline whose transform and sink to use (default: the first with a table)')
  .option('-n, --rows <n>', 'rows to show', '10')
  .option('--checks', "run the pipeline's checks on the file and show each rule's result")
  .option('--json', 'print JSON')
  .action(async (file: string, options: { pipeline?: string; rows: string; json?: boolean; checks?: boolean }) => {
    const config = await loadConfig({ flags: configFlags(program.opts()) });
    const { preview } = await import('./preview.ts');
    await preview(config, file, { pipeline: options.pipeline, rows: Number(options.rows) || 10, json: options.json, checks: options.checks });
  });

program
  .command('retry')
  .description('requeue quarantined file versions (by id or key), to be processed at the next run')
  .argument('[files...]', 'file version ids or keys')
  .option('--all-quarantined', 'every quarantined file version')
  .option('-p, --pipeline <name>', 'only this pipeline')
  .option('--json', 'print JSON')
  .action(async (files: string[], options: { allQuarantined?: boolean; pipeline?: string; json?: boolean }) => {
    if (files.length === 0 && !options.allQuarantined) throw new FerryError('CONFIG_INVALID', 'retry: name file ids or keys, or use --all-quarantined');
    const config = await loadConfig({ flags: configFlags(program.opts()) });
    const runtime = await openRuntime(config, logger({ destination: 2, level: 'warn' }), { checkStorage: false });
    try {
      const requeued = await requeueFiles(runtime.pool, { files, allQuarantined: options.allQuarantined, pipeline: options.pipeline });
      const unknown = await unknownFiles(runtime.pool, files);
      if (unknown.length > 0) {
        process.exitCode = 1;
        printLine(`ferry: not found in the ledger: ${unknown.join(', ')} (give a file version id or a key, as ferry files shows them)`, process.stderr);
      }
      if (options.json) return printJson({ requeued });
      for (const file of requeued) printLine(`requeued ${file.id} ${file.pipeline} ${file.key}`);
      if (requeued.length > 0) process.stdout.write(`${requeued.length} requeued; they are processed at the next run (or now: ferry run --once)\n`);
      else if (unknown.length < files.length || options.allQuarantined)
        process.stdout.write('nothing to requeue (only quarantined or waiting file versions can be retried)\n');
      if (requeued.length === 0) process.exitCode = 1;
    } finally {
      await runtime.close();
    }
  });

program
  .command('reprocess')
  .description('load processed file versions again (after fixing a transform, say)')
  .argument('[files...]', 'file version ids or keys')
  .option('-p, --pipeline <name>', 'every processed version of this pipeline (or only of it)')
  .option('--since <duration>', 'only versions processed within this time (e.g. 1d)')
  .option('--yes', 'also for pipelines that append (their rows are then loaded again)')
  .option('--json', 'print JSON')
  .action(async (files: string[], options: { pipeline?: string; since?: string; yes?: boolean; json?: boolean }) => {
    if (files.length === 0 && options.pipeline === undefined) throw new FerryError('CONFIG_INVALID', 'reprocess: name file ids or keys, or a --pipeline');
    const since = sinceOption(options.since);
    const config = await loadConfig({ flags: configFlags(program.opts()) });
    const runtime = await openRuntime(config, logger({ destination: 2, level: 'warn' }), { checkStorage: false });
    try {
      const found = await findProcessedFiles(runtime.pool, { files, pipeline: options.pipeline, since });
      if (found.length === 0) {
        process.exitCode = 1;
        process.stderr.write('ferry: no processed file version matches (only processed versions can be reprocessed; see ferry files)\n');
        return;
      }
      // Replace and merge converge on a reload; append (and the row count) would add the rows again.
      const adding = [...new Set(found.map((file) => file.pipeline))].filter((name) => {
        const sink = config.pipelines.find((p) => p.name === name)?.sink;
        return sink === undefined || sink.kind === 'row-count' || sink.mode === 'append';
      });
      if (adding.length > 0 && !options.yes) {
        process.exitCode = 1;
        process.stderr.write(
          `ferry: ${adding.join(', ')} ${adding.length === 1 ? 'appends' : 'append'} its rows: reprocessing ${found.length} file version(s) would load their rows again. Add --yes to do it, or use mode: 'replace' or 'merge'\n`,
        );
        return;
      }
      const requeued = await reprocessFiles(
        runtime.pool,
        found.map((file) => file.id),
      );
      if (options.json) return printJson({ reprocess: requeued });
      for (const file of requeued) printLine(`reprocess ${file.id} ${file.pipeline} ${file.key}`);
      process.stdout.write(`${requeued.length} queued; they are loaded at the next run (or now: ferry run --once)\n`);
    } finally {
      await runtime.close();
    }
  });

program
  .command('check')
  .description('check the config, the database, the storage, and each pipeline on one of its files (read, transform, checks; nothing loaded)')
  .option('--json', 'print JSON')
  .action(async (options: { json?: boolean }) => {
    const config = await loadConfig({ flags: configFlags(program.opts()) });
    const runtime = await openRuntime(config, logger({ destination: 2, level: 'warn' }), { migrate: false, warmReaders: true });
    try {
      const { checkPipelines } = await import('../worker/index.ts');
      const results = await checkPipelines(runtime);
      if (options.json) printJson({ database: runtime.databaseDescription, pipelines: results });
      else {
        printLine(`config: ok (${config.configFile ?? 'no config file: defaults'})`);
        printLine(`database: ok (${runtime.databaseDescription})`);
        printLine('storage: ok');
        process.stdout.write('\n');
        printTable(results, ['pipeline', 'status', 'file', 'detail']);
      }
      if (results.some((result) => result.status === 'failed')) process.exitCode = 1;
    } finally {
      await runtime.close();
    }
  });

const db = program.command('db').description('the database ferry uses (DATABASE_URL, else the embedded one)');

db.command('url')
  .description('print the connection string (the password hidden unless --show-password)')
  .option('--show-password', 'print the password too')
  .action(async (options: { showPassword?: boolean }) => {
    const config = await loadConfig({ flags: configFlags(program.opts()) });
    const show = (url: string) => (options.showPassword ? url : redactConnectionString(url));
    if (config.databaseUrl !== null) {
      process.stdout.write(`${show(config.databaseUrl)}\n`);
      return;
    }
    const embedded = embeddedDatabaseInfo(config.dataDir);
    if (embedded === null) {
      throw new FerryError('CONFIG_INVALID', `no embedded database in ${config.dataDir} yet: any ferry command (ferry migrate, ferry start) creates it`);
    }
    process.stdout.write(`${show(embedded.connectionString)}\n`);
    if (!embedded.running)
      process.stderr.write('(not running now: it runs while ferry start or a ferry command does; ferry db psql starts it for the session)\n');
  });

db.command('psql')
  .description('open psql on the database (the embedded one stays up until psql exits)')
  .action(async () => {
    const config = await loadConfig({ flags: configFlags(program.opts()) });
    const runtime = await openRuntime(config, logger({ destination: 2, level: 'warn' }), { checkStorage: false });
    try {
      const { spawn } = await import('node:child_process');
      // Ctrl-C in psql cancels its query: it must not end ferry (and the embedded server with it).
      process.on('SIGINT', () => {});
      const child = spawn('psql', [runtime.connectionString], { stdio: 'inherit' });
      const code = await new Promise<number>((resolve, reject) => {
        child.on('error', (error: NodeJS.ErrnoException) =>
          reject(error.code === 'ENOENT' ? new FerryError('CONFIG_INVALID', 'psql is not on the PATH (Debian: apt-get install postgresql-client)') : error),
        );
        child.on('exit', (exitCode) => resolve(exitCode ?? 1));
      });
      process.exitCode = code;
    } finally {
      await runtime.close();
    }
  });

program
  .command('prune')
  .description('delete the ledger rows that can no longer matter (see retention in the config); the service does this every hour')
  .option('--dry-run', 'count them, delete nothing')
  .option('--json', 'print JSON')
  .action(async (options: { dryRun?: boolean; json?: boolean }) => {
    const config = await loadConfig({ flags: configFlags(program.opts()) });
    if (config.retentionMs === null) throw new FerryError('CONFIG_INVALID', 'prune: retention is null in the config, so every ledger row is kept');
    const runtime = await openRuntime(config, logger({ destination: 2, level: 'warn' }), { checkStorage: false });
    try {
      const counts = await pruneLedger(runtime.pool, config.pipelines, config.retentionMs, { dryRun: options.dryRun === true });
      if (options.json) return printJson({ dryRun: options.dryRun === true, ...counts });
      const what = `${counts.superseded} superseded and ${counts.processed} processed file versions, ${counts.runs} runs, ${counts.alerts} alerts`;
      process.stdout.write(options.dryRun ? `would delete ${what}\n` : `deleted ${what}\n`);
    } finally {
      await runtime.close();
    }
  });

program
  .command('migrate')
  .description('apply database migrations')
  .action(async () => {
    const config = await loadConfig({ flags: configFlags(program.opts()) });
    const runtime = await openRuntime(config, logger({ destination: 2, level: 'warn' }), { migrate: false, checkStorage: false });
    try {
      const client = await runtime.pool.connect();
      try {
        const { applied } = await migrate(client);
        process.stdout.write(applied.length === 0 ? 'database is up to date\n' : `applied: ${applied.join(', ')}\n`);
      } finally {
        client.release();
      }
    } finally {
      await runtime.close();
    }
  });

// Output piped into `head` and the like: when the reader goes away, stop quietly. After a stop
// signal (SIGHUP: the terminal closed) output may fail too; the stop goes on without it.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (stopState.signal !== null && (error.code === 'EPIPE' || error.code === 'EIO')) return;
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

program
  .command('init')
  .description('make this folder a ferry project: a config with one pipeline, a sample file it loads, .env.example, .gitignore entries, npm scripts')
  .argument('[dir]', 'the project folder', '.')
  .option('--force', 'overwrite files that exist')
  .action(async (dir: string, options: { force?: boolean }) => {
    const { initProject } = await import('./init.ts');
    const result = initProject(path.resolve(dir), { force: options.force });
    for (const { file, action } of result.files) process.stdout.write(`${action.padEnd(11)} ${file}\n`);
    const kept = result.files.filter((f) => f.action === 'kept' && f.file !== '.gitignore' && f.file !== 'package.json');
    if (kept.length > 0) process.stdout.write(`\n${kept.length} file(s) existed and were kept (--force overwrites them).\n`);
    process.stdout.write(
      '\nNext: npx ferry run --once   (loads data/inbox/sample-orders.csv into the table "orders")\n      npx ferry start        (the service: every 5 minutes, HTTP on 127.0.0.1:8000)\n',
    );
  });

const alerts = program.command('alerts').description('alert destinations (alerts in the config)');

alerts
  .command('test')
  .description('send a test event to every alert destination; exit 1 if one does not take it')
  .action(async () => {
    const config = await loadConfig({ flags: configFlags(program.opts()) });
    const { alertPayload, post } = await import('../alerts/index.ts');
    for (const line of config.alertsOff) printLine(line, process.stderr);
    if (config.alerts.length === 0)
      throw new FerryError('CONFIG_INVALID', 'no alert destination is configured (alerts in ferry.config.ts, with their URLs set)');
    const payload = alertPayload(
      { event: 'test', pipeline: null, dedupKey: `test:${Date.now()}`, summary: 'a test alert from ferry alerts test: this destination works' },
      config.publicUrl,
    );
    let failed = 0;
    for (const destination of config.alerts) {
      const failure = await post(destination, payload);
      if (failure !== null) failed++;
      printLine(`${failure === null ? 'delivered' : 'FAILED   '} ${destination.shown} (${destination.format})${failure === null ? '' : `: ${failure}`}`);
    }
    process.exitCode = failed > 0 ? 1 : 0;
  });

program
  .command('health')
  .description("ask a running ferry's /health (exit 0 when healthy, 1 when not): for container health checks")
  .option('--url <url>', 'the service (default: http://127.0.0.1:<port> from the config, PORT or 8000)')
  .option('--timeout <duration>', 'give up after', '5s')
  .action(async (options: { url?: string; timeout: string }) => {
    const timeoutMs = parseDuration(options.timeout);
    if (timeoutMs === null) throw new FerryError('CONFIG_INVALID', `--timeout: "${options.timeout}" is not a duration (use e.g. 5s)`);
    let base = options.url;
    if (base === undefined) {
      const config = await loadConfig({ flags: configFlags(program.opts()) });
      const host = ['0.0.0.0', '::', ''].includes(config.http.host) ? '127.0.0.1' : config.http.host;
      base = `http://${host.includes(':') ? `[${host}]` : host}:${config.http.port}`;
    }
    const url = new URL('/health', base);
    try {
      // With the read token (when this environment has it), /health also says why a part failed.
      const token = process.env.FERRY_READ_TOKEN?.trim();
      const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: token ? { authorization: `Bearer ${token}` } : {} });
      const body = await response.text();
      // Ferry's answer is JSON (no raw control characters); another server's is shown escaped.
      printLine(body);
      process.exitCode = response.status === 200 ? 0 : 1;
    } catch (error) {
      printLine(`ferry: ${url.href} did not answer: ${(error as Error).message}`, process.stderr);
      process.exitCode = 1;
    }
  });

try {
  await program.parseAsync(process.argv);
} catch (thrown) {
  const error = coerceError(thrown);
  const secrets = [process.env.AWS_SECRET_ACCESS_KEY, process.env.FERRY_ADMIN_TOKEN, passwordOf(process.env.DATABASE_URL)];
  // A config error can show the config file's lines (a syntax error's code frame); any other
  // is one line, whatever file name or value it quotes.
  const print = error.code === 'CONFIG_INVALID' ? printBlock : printLine;
  print(`ferry: ${redactSecrets(error.message, secrets)}`, process.stderr);
  process.exitCode = error.code === 'CONFIG_INVALID' ? 2 : 1;
  await discardPrestartedReaders();
}

function passwordOf(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    return decodeURIComponent(new URL(url).password) || undefined;
  } catch {
    return undefined;
  }
}
