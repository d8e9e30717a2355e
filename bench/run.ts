/**
 * `npm run bench`: ferry's load speed and memory, measured against `psql \copy` in the same run.
 *
 *   npm run bench -- [--rows 3000000] [--trials 3] [--big-rows 15000000 | --no-big]
 *   npm run bench -- --small [--files 2000]
 *   npm run bench -- --csv [--rows 3000000] [--trials 3]
 *   npm run bench -- --scale all | curve,discovery,ledger   (see scale.ts)
 *   npm run bench -- --footprint [--load-seconds 120] [--idle-seconds 75] [--files 300] [--variants before,after]   (see footprint.ts)
 *
 * 1. Speed: a Parquet file of --rows rows (5 columns) is loaded by `ferry run --once` into a new
 *    table, and the same rows, written beforehand as CSV, by `psql -c "\copy … FROM … (FORMAT csv)"`
 *    into a new table of the same columns. Trials alternate; medians are reported.
 *    A second baseline is the server's own binary COPY of the same rows from a file it reads
 *    itself (`COPY … FROM '/path' (FORMAT binary)`, no client at all): the limit of one COPY
 *    stream, which no loader that goes through COPY can beat.
 * 2. Row count: the demo's row-count pipeline on that file against reading the whole file.
 * 3. Memory: a file whose data is more than 2 GiB in memory (4 × 512 MiB) is loaded by ferry
 *    while the peak RSS of ferry and its reader processes together is read; `psql \copy` of
 *    the same rows is timed beside it.
 *
 * With --small, only many small files: --files Parquet files of 1,000 rows (bigint, double,
 * text) loaded into one table by `ferry run --once`, against a shell loop of `psql \copy` per
 * file (the same rows as CSV: what users script today) and ferry's own load of the same rows
 * as one file; and the row-count pipeline on the same files. Then the checks' cost per small
 * file: 300 CSV files of 10 rows without checks, with the cast rule, and with three other rules.
 *
 * With --csv, only typed CSV: the --rows rows as a CSV file with a header, whose `day` (ISO
 * dates) and `at` (ISO timestamps with an offset) columns ferry's inference types as date and
 * timestamptz, loaded by `ferry run --once`, against `psql \copy` of the same file into a
 * table of the same types (the work ferry's inference and parse add, measured).
 *
 * The database is BENCH_DATABASE_URL, else an embedded PostgreSQL in bench/.data/pg. `psql`
 * must be on the PATH (Debian: postgresql-client). Generated files are kept in bench/.data and
 * reused by later runs.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pl from 'nodejs-polars';
import pg from 'pg';
import { tableColumnsFor } from '../src/load/index.ts';
import { outputColumns } from '../src/polars/index.ts';
import { createTableSql, startEmbeddedDatabase, TYPE_PARSERS } from '../src/postgres/index.ts';
import { runFootprint } from './footprint.ts';
import { runScale } from './scale.ts';

const root = path.resolve(import.meta.dirname, '..');
const dataDir = path.join(root, 'bench', '.data');
const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '3000000' },
    trials: { type: 'string', default: '3' },
    'big-rows': { type: 'string', default: '15000000' },
    'no-big': { type: 'boolean', default: false },
    small: { type: 'boolean', default: false },
    csv: { type: 'boolean', default: false },
    files: { type: 'string' },
    scale: { type: 'string' },
    footprint: { type: 'boolean', default: false },
    'load-seconds': { type: 'string', default: '120' },
    'idle-seconds': { type: 'string', default: '75' },
    variants: { type: 'string', default: 'before,after' },
  },
});
const rows = Number(args.rows);
const trials = Number(args.trials);
const bigRows = Number(args['big-rows']);

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

/** Rows made by Polars expressions from an integer range; `wide` adds a ~100-character text column. */
async function writeDataset(file: string, count: number, wide: boolean): Promise<void> {
  if (fs.existsSync(file)) return;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  log(`generating ${path.relative(root, file)} (${count.toLocaleString('en')} rows)…`);
  const id = pl.col('id');
  let frame = pl
    .DataFrame([pl.intRange(0, count, 1, pl.Int64, true).rename('id')])
    .lazy()
    .withColumns(
      pl
        .when(id.modulo(4).eq(0))
        .then(pl.lit('books'))
        .when(id.modulo(4).eq(1))
        .then(pl.lit('games'))
        .when(id.modulo(4).eq(2))
        .then(pl.lit('tools'))
        .otherwise(pl.lit('food'))
        .alias('category'),
      id.mul(7919).modulo(10_000).div(100).alias('amount'),
      pl.when(id.modulo(3).eq(0)).then(pl.lit('cancelled')).otherwise(pl.lit('active')).alias('status'),
      id.mul(1_000_000).add(1_767_225_600_000_000).cast(pl.Datetime('us', 'UTC')).alias('at'),
    );
  if (wide) {
    frame = frame.withColumns(
      pl
        .concatString([pl.lit('order note '), id.cast(pl.Utf8), pl.lit(` ${'lorem ipsum dolor sit amet '.repeat(3)}`), id.mul(31).cast(pl.Utf8)], '')
        .alias('note'),
    );
  }
  const partial = `${file}.partial`;
  await frame.sinkParquet(partial, { compression: 'zstd', rowGroupSize: 250_000 }).collect();
  fs.renameSync(partial, file);
}

/** The same rows as headerless CSV, for psql. */
async function writeCsv(parquet: string): Promise<string> {
  const csv = parquet.replace(/\.parquet$/, '.csv');
  if (!fs.existsSync(csv)) {
    log(`writing ${path.relative(root, csv)} for psql…`);
    await pl.scanParquet(parquet).sinkCSV(`${csv}.partial`, { includeHeader: false }).collect();
    fs.renameSync(`${csv}.partial`, csv);
  }
  return csv;
}

/** In-memory size of a Parquet file's data (Polars' estimate), read in one go in a child process. */
function dataSize(parquet: string): number {
  const script = `import pl from 'nodejs-polars'; const df = pl.readParquet(${JSON.stringify(parquet)}); process.stdout.write(String(df._df.estimatedSize()));`;
  return Number(execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, maxBuffer: 1 << 20 }).toString());
}

interface Timed {
  readonly seconds: number;
  readonly peakRssBytes: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command, timing it and polling its peak RSS (VmHWM, Linux). */
function timed(command: string, commandArgs: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, commandArgs, { cwd: options.cwd ?? root, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let peak: number | null = null;
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    // The process and its children (ferry's reader processes), summed: the memory the load costs.
    const poll = setInterval(() => {
      const rss = treeRss(child.pid as number);
      if (rss !== null) peak = Math.max(peak ?? 0, rss);
    }, 25);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearInterval(poll);
      const seconds = (performance.now() - started) / 1000;
      if (code !== 0) reject(new Error(`${command} ${commandArgs.join(' ')} exited ${code}: ${stderr || stdout}`));
      else resolve({ seconds, peakRssBytes: peak, stdout, stderr });
    });
  });
}

/** Resident memory of a process and all its descendants (Linux /proc), or null when unreadable. */
function treeRss(pid: number): number | null {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    let total = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
    for (const task of fs.readdirSync(`/proc/${pid}/task`)) {
      const children = fs.readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
      for (const child of children === '' ? [] : children.split(/\s+/)) total += treeRss(Number(child)) ?? 0;
    }
    return total;
  } catch {
    return null; // gone, or not Linux
  }
}

async function database(): Promise<{ url: string; stop: () => Promise<void>; where: string }> {
  const url = process.env.BENCH_DATABASE_URL;
  if (url) return { url, stop: async () => {}, where: `BENCH_DATABASE_URL (${new URL(url).host})` };
  const pgDir = path.join(dataDir, 'pg');
  fs.mkdirSync(pgDir, { recursive: true });
  const embedded = await startEmbeddedDatabase(pgDir);
  return { url: embedded.connectionString, stop: () => embedded.stop(), where: 'embedded PostgreSQL' };
}

interface BenchHelpers {
  createBaselineTable(table: string, parquet: string): Promise<void>;
  checkpoint(): Promise<unknown>;
  resetLedger(table: string): Promise<void>;
}

const SMALL_ROWS = 1000;

/** The small-file set (generated once): `count` Parquet files of 1,000 rows, their CSV copies, and all the rows as one file. */
async function smallSet(count: number): Promise<{ parquetDir: string; csvDir: string; oneFile: string }> {
  const ROWS = SMALL_ROWS;
  const dir = path.join(dataDir, `small-${count}`);
  const parquetDir = path.join(dir, 'parquet');
  const csvDir = path.join(dir, 'csv');
  const oneFile = path.join(dir, 'one', 'all.parquet');
  if (!fs.existsSync(oneFile)) {
    log(`generating ${count} Parquet files of ${ROWS} rows, their CSV copies, and all the rows as one file…`);
    for (const folder of [parquetDir, csvDir, path.dirname(oneFile)]) fs.mkdirSync(folder, { recursive: true });
    const frames: pl.DataFrame[] = [];
    for (let i = 0; i < count; i++) {
      const frame = pl
        .DataFrame([pl.intRange(i * ROWS, (i + 1) * ROWS, 1, pl.Int64, true).rename('id')])
        .withColumns(pl.col('id').cast(pl.Float64).mul(0.5).alias('amount'), pl.lit('item-').add(pl.col('id').cast(pl.Utf8)).alias('name'));
      const name = `part-${String(i).padStart(5, '0')}`;
      frame.writeParquet(path.join(parquetDir, `${name}.parquet`));
      frame.writeCSV(path.join(csvDir, `${name}.csv`), { includeHeader: false });
      frames.push(frame);
    }
    pl.concat(frames).writeParquet(oneFile);
  }
  return { parquetDir, csvDir, oneFile };
}

/** Many small files: files/s for table loads and row counts, beside a psql \copy loop and one file of the same rows. */
async function smallFiles(count: number, db: { url: string; where: string }, client: pg.Client, cwd: string, helpers: BenchHelpers): Promise<void> {
  const { parquetDir, csvDir, oneFile } = await smallSet(count);
  const totalRows = count * SMALL_ROWS;
  const sample = path.join(parquetDir, 'part-00000.parquet');

  // What users script today: one psql \copy per file, in a shell loop.
  await helpers.createBaselineTable('bench_small_psql', sample);
  await helpers.checkpoint();
  const loop = await timed(
    'bash',
    ['-c', `set -e; for f in "${csvDir}"/*.csv; do psql "$DB" -v ON_ERROR_STOP=1 -q -c "\\copy bench_small_psql FROM '$f' WITH (FORMAT csv)"; done`],
    { env: { ...process.env, DB: db.url } },
  );
  const psqlRows = Number((await client.query('SELECT count(*)::bigint AS n FROM bench_small_psql')).rows[0].n);
  if (psqlRows !== totalRows) throw new Error(`the psql loop loaded ${psqlRows} rows, not ${totalRows}`);

  const ferry = async (folder: string, sink: string, table: string) => {
    await helpers.resetLedger(table);
    await helpers.checkpoint();
    fs.writeFileSync(
      path.join(cwd, 'ferry.config.ts'),
      `export default { pipelines: { bench: { source: { glob: '*.parquet', modifiedWithin: null }, sink: ${sink} } } };\n`,
    );
    const run = await timed(process.execPath, [path.join(root, 'bin', 'ferry.js'), 'run', '--once', '--json'], {
      env: { ...process.env, DATABASE_URL: db.url, FERRY_STORAGE: folder },
      cwd,
    });
    const summary = JSON.parse(run.stdout);
    const files = folder === parquetDir ? count : 1;
    if (summary.files_processed !== files) throw new Error(`ferry processed ${summary.files_processed} files, not ${files}`);
    return run.seconds;
  };
  // ferry's runs take seconds and vary on a shared machine: each is run `trials` times, the median reported.
  const tables: number[] = [];
  const counts: number[] = [];
  const ones: number[] = [];
  for (let trial = 0; trial < trials; trial++) {
    tables.push(await ferry(parquetDir, "{ table: 'bench_small_ferry' }", 'bench_small_ferry'));
    const loaded = Number((await client.query('SELECT count(*)::bigint AS n FROM bench_small_ferry')).rows[0].n);
    if (loaded !== totalRows) throw new Error(`ferry loaded ${loaded} rows, not ${totalRows}`);
    counts.push(await ferry(parquetDir, "'row-count'", 'bench_small_count'));
    ones.push(await ferry(path.dirname(oneFile), "{ table: 'bench_small_one' }", 'bench_small_one'));
  }
  const [tableS, countS, oneS] = [median(tables), median(counts), median(ones)];
  const spread = (values: number[]) => `${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)} s`;
  log(`ferry over ${trials} trials: table ${spread(tables)}, row count ${spread(counts)}, one file ${spread(ones)}`);

  const line = (what: string, files: number, seconds: number, ratio: string) =>
    `| ${what} | ${files.toLocaleString('en')} | ${totalRows.toLocaleString('en')} | ${seconds.toFixed(2)} s | ${rate(files, seconds)} | ${rate(totalRows, seconds)} | ${ratio} |`;
  process.stdout.write(
    [
      `ferry bench --small — ${db.where}, ${os.cpus().length} cores, Node ${process.version}; whole processes, start to exit; ferry's lines the median of ${trials} (${spread(tables)} for the table load)`,
      '',
      '| measurement | files | rows | time | files/s | rows/s | vs the psql loop |',
      '|---|---:|---:|---:|---:|---:|---:|',
      line('shell loop of `psql \\copy` per file (CSV; baseline)', count, loop.seconds, '1.00×'),
      line('ferry `run --once`: the files into one table', count, tableS, `${(loop.seconds / tableS).toFixed(2)}×`),
      line('ferry `run --once`: row-count pipeline (footers only)', count, countS, `${(loop.seconds / countS).toFixed(2)}×`),
      line('ferry `run --once`: the same rows as one file', 1, oneS, `${(loop.seconds / oneS).toFixed(2)}×`),
      '',
    ].join('\n'),
  );
}

/** The small CSV set for the checks' cost per file: `count` files of 10 rows with a header. */
function smallCsvSet(count: number): string {
  const dir = path.join(dataDir, `small-csv-${count}`);
  if (!fs.existsSync(path.join(dir, 'done'))) {
    fs.mkdirSync(dir, { recursive: true });
    for (let i = 0; i < count; i++) {
      const lines = ['id,amount,name,day'];
      for (let row = 0; row < 10; row++) {
        const id = i * 10 + row;
        lines.push(`${id},${(id * 0.5).toFixed(1)},item-${id},2026-12-${String((id % 28) + 1).padStart(2, '0')}`);
      }
      fs.writeFileSync(path.join(dir, `part-${String(i).padStart(4, '0')}.csv`), `${lines.join('\n')}\n`);
    }
    fs.writeFileSync(path.join(dir, 'done'), '');
  }
  return dir;
}

/**
 * What checks cost on small files: the same small CSV files loaded without checks, with the
 * cast rule (every value held to source.schema, bad rows kept aside) and with three other rules.
 * A small file's load is mostly fixed costs, so a rule's own fixed cost shows here.
 */
async function smallChecks(db: { url: string; where: string }, client: pg.Client, cwd: string, helpers: BenchHelpers, trials: number): Promise<void> {
  const count = 300;
  const dir = smallCsvSet(count);
  const schema = "{ id: 'bigint', amount: 'double', day: 'date' }";
  const variants = [
    { what: 'no checks', checks: '[]' },
    { what: "the cast rule (`{ rule: 'cast', action: 'reject' }`, three typed columns)", checks: "[{ rule: 'cast', action: 'reject' }]" },
    {
      what: 'three other rules (notNull, range, regex)',
      checks: "[{ rule: 'notNull', columns: ['id'] }, { rule: 'range', column: 'amount', min: 0 }, { rule: 'regex', column: 'name', pattern: '^item-' }]",
    },
  ];
  const times = variants.map(() => [] as number[]);
  for (let trial = 0; trial < trials; trial++) {
    for (const [index, variant] of variants.entries()) {
      await helpers.resetLedger('bench_small_checks');
      await helpers.checkpoint();
      fs.writeFileSync(
        path.join(cwd, 'ferry.config.ts'),
        `export default { pipelines: { bench: { source: { glob: '*.csv', modifiedWithin: null, schema: ${schema} }, sink: { table: 'bench_small_checks' }, checks: ${variant.checks} } } };\n`,
      );
      const run = await timed(process.execPath, [path.join(root, 'bin', 'ferry.js'), 'run', '--once', '--json'], {
        env: { ...process.env, DATABASE_URL: db.url, FERRY_STORAGE: dir },
        cwd,
      });
      const summary = JSON.parse(run.stdout);
      if (summary.files_processed !== count) throw new Error(`ferry processed ${summary.files_processed} small CSV files with ${variant.what}, not ${count}`);
      const loaded = Number((await client.query('SELECT count(*)::bigint AS n FROM bench_small_checks')).rows[0].n);
      if (loaded !== count * 10) throw new Error(`ferry loaded ${loaded} rows with ${variant.what}, not ${count * 10}`);
      (times[index] as number[]).push(run.seconds);
    }
  }
  const base = median(times[0] as number[]);
  process.stdout.write(
    [
      `ferry bench --small, checks on small files — ${db.where}; ${count} CSV files of 10 rows; whole \`run --once\` processes, the median of ${trials}`,
      '',
      '| checks | files | time | files/s | vs no checks |',
      '|---|---:|---:|---:|---:|',
      ...variants.map((variant, index) => {
        const seconds = median(times[index] as number[]);
        return `| ${variant.what} | ${count} | ${seconds.toFixed(2)} s | ${rate(count, seconds)} | ${(seconds / base).toFixed(2)}× |`;
      }),
      '',
    ].join('\n'),
  );
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

const mib = (bytes: number | null) => (bytes === null ? 'n/a' : `${(bytes / 2 ** 20).toFixed(0)} MiB`);
const rate = (count: number, seconds: number) => `${Math.round(count / seconds).toLocaleString('en')}`;

async function main(): Promise<void> {
  try {
    execFileSync('psql', ['--version']);
  } catch {
    throw new Error('psql is not on the PATH; the baseline needs it (Debian: apt-get install postgresql-client)');
  }
  const special = args.small || args.scale !== undefined || args.footprint;
  const speedFile = path.join(dataDir, 'speed', `rows-${rows}.parquet`);
  if (!special || args.footprint) await writeDataset(speedFile, rows, false);
  const speedCsv = special ? '' : await writeCsv(speedFile);
  const bigFile = path.join(dataDir, 'big', `rows-${bigRows}.parquet`);
  if (!args['no-big'] && !special && !args.csv) {
    await writeDataset(bigFile, bigRows, true);
    await writeCsv(bigFile);
  }

  const db = await database();
  const client = new pg.Client({ connectionString: db.url, types: TYPE_PARSERS });
  await client.connect();
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-bench-'));
  fs.chmodSync(cwd, 0o755);

  /** A fresh table of the file's columns, typed as ferry would type them. */
  const createBaselineTable = async (table: string, parquet: string) => {
    const columns = tableColumnsFor({ lineage: false }, outputColumns(pl.scanParquet(parquet)));
    await client.query(`DROP TABLE IF EXISTS ${table}`);
    await client.query(createTableSql(table, columns));
  };
  const checkpoint = () => client.query('CHECKPOINT').catch(() => {});
  const resetLedger = async (table: string) => {
    await client.query(`DROP TABLE IF EXISTS ${table}`);
    await client.query(`DROP TABLE IF EXISTS ${table}_rejects`);
    await client.query("DO $$ BEGIN IF to_regclass('ferry_files') IS NOT NULL THEN TRUNCATE etl_results, ferry_files, ferry_runs CASCADE; END IF; END $$");
  };

  const psqlCopy = async (table: string, csv: string, parquet: string): Promise<number> => {
    await createBaselineTable(table, parquet);
    await checkpoint();
    const run = await timed('psql', [db.url, '-v', 'ON_ERROR_STOP=1', '-q', '-c', `\\copy ${table} FROM '${csv}' WITH (FORMAT csv)`]);
    const loaded = await client.query(`SELECT count(*)::bigint AS n FROM ${table}`);
    if (Number(loaded.rows[0].n) !== (await parquetRows(parquet))) throw new Error('psql loaded a different number of rows');
    return run.seconds;
  };

  /** `ferry run --once` of one pipeline over one folder; the file's own load time comes from the ledger. */
  const ferryRun = async (
    file: string,
    sink: string,
    table: string,
    checks = '[]',
  ): Promise<{ process: Timed; fileSeconds: number; rows: number; firstFileMs: number | null }> => {
    const folder = path.dirname(file);
    await resetLedger(table);
    await checkpoint();
    fs.writeFileSync(
      path.join(cwd, 'ferry.config.ts'),
      `export default { pipelines: { bench: { source: { glob: ${JSON.stringify(path.basename(file))}, modifiedWithin: null }, sink: ${sink}, checks: ${checks} } } };\n`,
    );
    const env = { ...process.env, DATABASE_URL: db.url, FERRY_STORAGE: folder };
    // -v: the log (JSON on stderr) says when the process reached its first file.
    const run = await timed(process.execPath, [path.join(root, 'bin', 'ferry.js'), '--log-format', 'json', 'run', '--once', '--json', '-v'], { env, cwd });
    const summary = JSON.parse(run.stdout);
    if (summary.files_processed !== 1) throw new Error(`ferry did not process the file: ${run.stdout}`);
    const ledger = await client.query("SELECT rows, duration_ms FROM ferry_files WHERE status = 'processed'");
    const first = /"msSinceStart":(\d+)/.exec(run.stderr);
    return {
      process: run,
      fileSeconds: ledger.rows[0].duration_ms / 1000,
      rows: Number(ledger.rows[0].rows),
      firstFileMs: first === null ? null : Number(first[1]),
    };
  };

  /**
   * The server's own binary COPY of the rows from a file it reads itself: the rows are first
   * written by the server (COPY … TO, binary) into a folder it can reach, then timed back in.
   */
  if (args.scale !== undefined) {
    const parts = args.scale === 'all' ? ['curve', 'discovery', 'ledger'] : args.scale.split(',');
    await runScale(parts, { root, dataDir, db, client, cwd, log, checkpoint, resetLedger, smallSet: async () => (await smallSet(2000)).parquetDir });
    await client.end();
    await db.stop();
    fs.rmSync(cwd, { recursive: true, force: true });
    return;
  }
  if (args.footprint) {
    const largeFilePeak = async (extra: Record<string, string>) => {
      await resetLedger('bench_footprint_large');
      fs.writeFileSync(
        path.join(cwd, 'ferry.config.ts'),
        `export default { pipelines: { bench: { source: { glob: ${JSON.stringify(path.basename(speedFile))}, modifiedWithin: null }, sink: { table: 'bench_footprint_large' } } } };\n`,
      );
      const env = { ...process.env, ...extra, DATABASE_URL: db.url, FERRY_STORAGE: path.dirname(speedFile) };
      const run = await timed(process.execPath, [path.join(root, 'bin', 'ferry.js'), 'run', '--once', '--json'], { env, cwd });
      if (JSON.parse(run.stdout).files_processed !== 1) throw new Error(`ferry did not load the large file: ${run.stdout}`);
      return { seconds: run.seconds, peakRssBytes: run.peakRssBytes };
    };
    await runFootprint(
      { root, dataDir, db, client, cwd, log, resetLedger, largeFilePeak },
      {
        loadSeconds: Number(args['load-seconds']),
        idleSeconds: Number(args['idle-seconds']),
        files: Number(args.files ?? 300),
        variants: args.variants.split(','),
      },
    );
    await client.query('DROP TABLE IF EXISTS bench_footprint_large, fp_events, fp_events_rejects, fp_customers');
    await client.end();
    await db.stop();
    fs.rmSync(cwd, { recursive: true, force: true });
    return;
  }
  if (args.csv) {
    const csvFile = path.join(dataDir, 'csv', `typed-${rows}.csv`);
    if (!fs.existsSync(csvFile)) {
      fs.mkdirSync(path.dirname(csvFile), { recursive: true });
      log(`writing ${path.relative(root, csvFile)} (dates and timestamps as ISO text)…`);
      await pl.scanParquet(speedFile).withColumns(pl.col('at').cast(pl.Date).alias('day')).sinkCSV(`${csvFile}.partial`, { includeHeader: true }).collect();
      fs.renameSync(`${csvFile}.partial`, csvFile);
    }
    const typedTable = 'id bigint, category text, amount double precision, status text, "at" timestamptz, day date';
    const psqlTimes: number[] = [];
    const ferryTimes: number[] = [];
    const processTimes: number[] = [];
    for (let trial = 1; trial <= trials; trial++) {
      await client.query(`DROP TABLE IF EXISTS bench_csv_psql; CREATE TABLE bench_csv_psql (${typedTable})`);
      await checkpoint();
      const psql = await timed('psql', [db.url, '-v', 'ON_ERROR_STOP=1', '-q', '-c', `\\copy bench_csv_psql FROM '${csvFile}' WITH (FORMAT csv, HEADER true)`]);
      const ferry = await ferryRun(csvFile, "{ table: 'bench_csv_ferry' }", 'bench_csv_ferry');
      if (ferry.rows !== rows) throw new Error(`ferry loaded ${ferry.rows} rows, not ${rows}`);
      const types = await client.query(
        "SELECT string_agg(column_name || ' ' || data_type, ', ' ORDER BY ordinal_position) AS t FROM information_schema.columns WHERE table_name = 'bench_csv_ferry'",
      );
      if (!/at timestamp with time zone.*day date/.test(types.rows[0].t)) throw new Error(`ferry did not type the dates: ${types.rows[0].t}`);
      psqlTimes.push(psql.seconds);
      ferryTimes.push(ferry.fileSeconds);
      processTimes.push(ferry.process.seconds);
      log(
        `trial ${trial}: psql \\copy ${psql.seconds.toFixed(2)} s; ferry file load ${ferry.fileSeconds.toFixed(2)} s (whole process ${ferry.process.seconds.toFixed(2)} s)`,
      );
    }
    await client.query('DROP TABLE IF EXISTS bench_csv_psql, bench_csv_ferry');
    const [psqlS, ferryS, processS] = [median(psqlTimes), median(ferryTimes), median(processTimes)];
    console.log(`typed CSV (${rows.toLocaleString('en')} rows, date and timestamptz columns inferred): psql \\copy ${psqlS.toFixed(2)} s`);
    console.log(
      `  ferry file load ${ferryS.toFixed(2)} s = ${(psqlS / ferryS).toFixed(2)}× psql; whole process ${processS.toFixed(2)} s = ${(psqlS / processS).toFixed(2)}× psql`,
    );
    await client.end();
    await db.stop();
    fs.rmSync(cwd, { recursive: true, force: true });
    return;
  }
  if (args.small) {
    await smallFiles(Number(args.files ?? 2000), db, client, cwd, { createBaselineTable, checkpoint, resetLedger });
    await smallChecks(db, client, cwd, { createBaselineTable, checkpoint, resetLedger }, Number(args.trials));
    await client.end();
    await db.stop();
    fs.rmSync(cwd, { recursive: true, force: true });
    return;
  }

  const serverCopyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-bench-copy-'));
  fs.chmodSync(serverCopyDir, 0o777);
  const serverCopy = async (table: string, parquet: string): Promise<number | null> => {
    const file = path.join(serverCopyDir, 'rows.bin');
    try {
      if (!fs.existsSync(file)) await client.query(`COPY bench_psql TO '${file}' (FORMAT binary)`);
      await createBaselineTable(table, parquet);
      await checkpoint();
      const started = performance.now();
      await client.query(`COPY ${table} FROM '${file}' (FORMAT binary)`);
      return (performance.now() - started) / 1000;
    } catch (error) {
      log(`server-side COPY baseline skipped: ${(error as Error).message} (it needs a superuser or pg_read_server_files on the same machine)`);
      return null;
    } finally {
      await client.query(`DROP TABLE IF EXISTS ${table}`);
    }
  };

  const parquetRowsCache = new Map<string, number>();
  async function parquetRows(parquet: string): Promise<number> {
    if (!parquetRowsCache.has(parquet)) {
      const counted = await pl.scanParquet(parquet).select(pl.len()).collect();
      parquetRowsCache.set(parquet, Number(counted.getColumn('len').get(0)));
    }
    return parquetRowsCache.get(parquet) as number;
  }

  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const server = (await client.query('SHOW server_version')).rows[0].server_version;
  log(`database: ${db.where}, PostgreSQL ${server}; ${os.cpus().length} cores (${cpu}); Node ${process.version}`);

  // 1. Speed.
  const psqlTimes: number[] = [];
  const ferryFileTimes: number[] = [];
  const ferryProcessTimes: number[] = [];
  const firstFileTimes: number[] = [];
  const ferryPeaks: number[] = [];
  const serverTimes: number[] = [];
  const checkedTimes: number[] = [];
  // Five rules of the issue's set, all run on every row: notNull, range, accepted, regex, unique.
  const FIVE_RULES = `[
    { rule: 'notNull', columns: ['id', 'amount'], action: 'reject' },
    { rule: 'range', column: 'amount', min: 0, max: 1e6, action: 'reject' },
    { rule: 'accepted', column: 'status', values: ['active', 'cancelled'], action: 'reject' },
    { rule: 'regex', column: 'category', pattern: '^[a-z]+$', action: 'warn' },
    { rule: 'unique', columns: ['id'] },
  ]`;
  for (let trial = 1; trial <= trials; trial++) {
    const psql = await psqlCopy('bench_psql', speedCsv, speedFile);
    const server = await serverCopy('bench_server', speedFile);
    if (server !== null) serverTimes.push(server);
    const ferry = await ferryRun(speedFile, "{ table: 'bench_ferry' }", 'bench_ferry');
    if (ferry.rows !== rows) throw new Error(`ferry loaded ${ferry.rows} rows, not ${rows}`);
    const checked = await ferryRun(speedFile, "{ table: 'bench_checked' }", 'bench_checked', FIVE_RULES);
    if (checked.rows !== rows) throw new Error(`ferry with checks loaded ${checked.rows} rows, not ${rows}`);
    checkedTimes.push(checked.fileSeconds);
    psqlTimes.push(psql);
    ferryFileTimes.push(ferry.fileSeconds);
    ferryProcessTimes.push(ferry.process.seconds);
    if (ferry.firstFileMs !== null) firstFileTimes.push(ferry.firstFileMs);
    if (ferry.process.peakRssBytes !== null) ferryPeaks.push(ferry.process.peakRssBytes);
    log(
      `trial ${trial}: psql \\copy ${psql.toFixed(2)} s; with five checks ${checkedTimes.at(-1)?.toFixed(2)} s; server binary COPY ${server === null ? 'n/a' : `${server.toFixed(2)} s`}; ferry file load ${ferry.fileSeconds.toFixed(2)} s (whole process ${ferry.process.seconds.toFixed(2)} s, first file reached ${ferry.firstFileMs ?? '?'} ms after the process started)`,
    );
  }
  const psqlS = median(psqlTimes);
  const ferryS = median(ferryFileTimes);
  const ferryProcessS = median(ferryProcessTimes);
  const serverS = serverTimes.length > 0 ? median(serverTimes) : null;
  const checkedS = median(checkedTimes);

  // 2. Row count against a whole read.
  const counted = await ferryRun(speedFile, "'row-count'", 'bench_none');
  const readStart = performance.now();
  const whole = await pl.scanParquet(speedFile).collect();
  const readS = (performance.now() - readStart) / 1000;
  if (whole.height !== counted.rows) throw new Error('row count and full read disagree');

  // 3. Memory on a large file.
  let big: { rows: number; dataBytes: number; ferry: Awaited<ReturnType<typeof ferryRun>>; psql: number } | null = null;
  if (!args['no-big']) {
    const dataBytes = dataSize(bigFile);
    log(`large file: ${bigRows.toLocaleString('en')} rows, ${mib(dataBytes)} of data in memory; loading…`);
    const ferry = await ferryRun(bigFile, "{ table: 'bench_big' }", 'bench_big');
    await resetLedger('bench_big');
    const psql = await psqlCopy('bench_big_psql', bigFile.replace(/\.parquet$/, '.csv'), bigFile);
    await client.query('DROP TABLE IF EXISTS bench_big_psql');
    big = { rows: bigRows, dataBytes, ferry, psql };
  }
  await client.query('DROP TABLE IF EXISTS bench_psql, bench_ferry, bench_checked, bench_checked_rejects');
  await client.end();
  await db.stop();
  fs.rmSync(cwd, { recursive: true, force: true });
  fs.rmSync(serverCopyDir, { recursive: true, force: true });

  const lines = [
    `ferry bench — ${db.where}, PostgreSQL ${server}, ${os.cpus().length} cores, Node ${process.version}`,
    '',
    '| measurement | rows | time | rows/s | ratio | peak RSS |',
    '|---|---:|---:|---:|---:|---:|',
    `| \`psql \\copy\` of the rows as CSV (baseline, median of ${trials}) | ${rows.toLocaleString('en')} | ${psqlS.toFixed(2)} s | ${rate(rows, psqlS)} | 1.00× | — |`,
    `| ferry: Parquet → table, the file's load (claim → commit) | ${rows.toLocaleString('en')} | ${ferryS.toFixed(2)} s | ${rate(rows, ferryS)} | ${(psqlS / ferryS).toFixed(2)}× | ${mib(median(ferryPeaks))} |`,
    `| ferry with five checks (notNull, range, accepted, regex, unique), the file's load | ${rows.toLocaleString('en')} | ${checkedS.toFixed(2)} s | ${rate(rows, checkedS)} | ${(psqlS / checkedS).toFixed(2)}× (${(((checkedS - ferryS) / ferryS) * 100).toFixed(0)}% over no checks) | — |`,
    serverS === null
      ? '| server-side binary `COPY … FROM file` (the limit of one COPY stream) | — | n/a | — | — | — |'
      : `| server-side binary \`COPY … FROM file\` (the limit of one COPY stream) | ${rows.toLocaleString('en')} | ${serverS.toFixed(2)} s | ${rate(rows, serverS)} | ${(psqlS / serverS).toFixed(2)}× (ferry's load is ${(serverS / ferryS).toFixed(2)}× of it) | — |`,
    `| ferry: \`ferry run --once\`, whole process (start, migrate, list, load) | ${rows.toLocaleString('en')} | ${ferryProcessS.toFixed(2)} s | ${rate(rows, ferryProcessS)} | ${(psqlS / ferryProcessS).toFixed(2)}× | — |`,
    `| ferry: \`ferry run --once\`, process start → first file claimed (up-to-date database) | — | ${firstFileTimes.length > 0 ? `${median(firstFileTimes).toFixed(0)} ms` : 'n/a'} | — | ${firstFileTimes.length > 0 ? `${Math.min(...firstFileTimes)}–${Math.max(...firstFileTimes)} ms over the trials` : '—'} | — |`,
    `| row-count pipeline (footer only), the file | ${rows.toLocaleString('en')} | ${counted.fileSeconds.toFixed(3)} s | — | ${(readS / counted.fileSeconds).toFixed(1)}× faster than a full read | ${mib(counted.process.peakRssBytes)} |`,
    `| full read of the file with Polars (for the row count) | ${rows.toLocaleString('en')} | ${readS.toFixed(3)} s | ${rate(rows, readS)} | — | — |`,
  ];
  if (big !== null) {
    lines.push(
      `| large file: \`psql \\copy\` | ${big.rows.toLocaleString('en')} | ${big.psql.toFixed(2)} s | ${rate(big.rows, big.psql)} | 1.00× | — |`,
      `| large file (${mib(big.dataBytes)} of data): ferry load | ${big.rows.toLocaleString('en')} | ${big.ferry.fileSeconds.toFixed(2)} s | ${rate(big.rows, big.ferry.fileSeconds)} | ${(big.psql / big.ferry.fileSeconds).toFixed(2)}× | ${mib(big.ferry.process.peakRssBytes)} |`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  if (big !== null) {
    const ok = big.ferry.process.peakRssBytes !== null && big.ferry.process.peakRssBytes <= 512 * 2 ** 20;
    process.stdout.write(
      `\nmemory: peak RSS ${mib(big.ferry.process.peakRssBytes)} on ${mib(big.dataBytes)} of data (${(big.dataBytes / (512 * 2 ** 20)).toFixed(1)} × 512 MiB): ${ok ? 'within' : 'OVER'} 512 MiB\n`,
    );
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
