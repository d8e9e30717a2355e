/**
 * `npm run bench -- --footprint [--load-seconds 120] [--idle-seconds 75] [--files 300] [--variants before,after]`:
 * what ferry costs in memory as a service, before and after its footprint settings, in one run.
 *
 * For each variant, a real `ferry start` (concurrency 2) runs two pipelines on a 1–2 s schedule
 * while --files small files are dropped into its inbox over --load-seconds: Parquet files of 200
 * rows into a table with two checks, and CSV files of 50 rows merged into a table on a key. Then
 * nothing arrives for --idle-seconds. Every 2 s the proportional set size (PSS, from
 * /proc/<pid>/smaps_rollup: shared pages divided among the processes sharing them, so the sum is
 * what the tree costs) of ferry and each reader process is read. Reported: the mean and the
 * peak over the second half of the load, and the last sample of the idle phase; then how long a
 * file dropped after the idle phase takes to load (a reader may have to start again). Last, the
 * peak RSS of `ferry run --once` on the 3M-row file of the speed bench, with each variant's
 * settings.
 *
 * Variants (the settings each runs with; the reader count is capped at `concurrency` in all):
 * - before: glibc's allocator defaults (an empty GLIBC_TUNABLES), V8's young generation as
 *   Node sizes it (`--max-semi-space-size=0`), readers never exit.
 * - allocator: ferry's allocator settings only; readers never exit.
 * - heap: ferry's young-generation size only; readers never exit.
 * - settings: both; readers never exit.
 * - after: ferry's defaults (both, and readers.idleExit).
 * - recycle: ferry's defaults and readers.recycleAfter: 50.
 * - semi2: as settings, with 2 MiB semi-spaces (ferry's parent too: NODE_OPTIONS).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pl from 'nodejs-polars';
import type pg from 'pg';
import type { BenchContext } from './context.ts';

export interface FootprintContext extends BenchContext {
  /** `ferry run --once` of the 3M-row file into a new table, with extra environment: its peak RSS (ferry and its readers). */
  readonly largeFilePeak: (env: Record<string, string>) => Promise<{ seconds: number; peakRssBytes: number | null }>;
}

export interface FootprintOptions {
  readonly loadSeconds: number;
  readonly idleSeconds: number;
  readonly files: number;
  readonly variants: readonly string[];
}

interface Variant {
  readonly env: Record<string, string>;
  readonly readers: string;
}

const V8_DEFAULT = { NODE_OPTIONS: '--max-semi-space-size=0' };
const GLIBC_DEFAULT = { GLIBC_TUNABLES: '' };
const VARIANTS: Record<string, Variant> = {
  before: { env: { ...GLIBC_DEFAULT, ...V8_DEFAULT }, readers: '{ idleExit: null }' },
  allocator: { env: V8_DEFAULT, readers: '{ idleExit: null }' },
  heap: { env: GLIBC_DEFAULT, readers: '{ idleExit: null }' },
  settings: { env: {}, readers: '{ idleExit: null }' },
  after: { env: {}, readers: '{}' },
  recycle: { env: {}, readers: '{ recycleAfter: 50 }' },
  semi2: { env: { NODE_OPTIONS: '--max-semi-space-size=2' }, readers: '{ idleExit: null }' },
};

const SAMPLE_EVERY_MS = 2_000;
const mib = (bytes: number) => `${Math.round(bytes / 2 ** 20)}`;

/** Pss and Pss_Anon of a process, in bytes (smaps_rollup), or null when it is gone. */
function pss(pid: number): { pss: number; anon: number } | null {
  try {
    const text = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0) * 1024;
    return { pss: field('Pss'), anon: field('Pss_Anon') };
  } catch {
    return null;
  }
}

/** The pids of a process's descendants (its reader processes, and any `prlimit` running at the moment). */
function descendants(pid: number): number[] {
  const found: number[] = [];
  try {
    for (const task of fs.readdirSync(`/proc/${pid}/task`)) {
      const children = fs.readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
      for (const child of children === '' ? [] : children.split(/\s+/).map(Number)) found.push(child, ...descendants(child));
    }
  } catch {}
  return found;
}

interface Sample {
  readonly at: number;
  readonly parent: number;
  /** PSS of each reader process, largest first. */
  readonly readers: readonly number[];
  readonly anon: number;
}

function sample(pid: number, at: number): Sample | null {
  const parent = pss(pid);
  if (parent === null) return null;
  const readers: number[] = [];
  let anon = parent.anon;
  for (const child of descendants(pid)) {
    let command = '';
    try {
      command = fs.readFileSync(`/proc/${child}/cmdline`, 'utf8');
    } catch {}
    const memory = command.includes('reader-process') ? pss(child) : null;
    if (memory === null) continue;
    readers.push(memory.pss);
    anon += memory.anon;
  }
  return { at, parent: parent.pss, readers: readers.sort((a, b) => b - a), anon };
}

const total = (each: Sample) => each.parent + each.readers.reduce((sum, value) => sum + value, 0);

/** 200 rows of events (Parquet) and 50 customers (CSV, ids overlapping so that merges update rows), generated once. */
function stage(dir: string, count: number): { key: string; file: string }[] {
  const staged: { key: string; file: string }[] = [];
  fs.mkdirSync(dir, { recursive: true });
  for (let i = 0; i < count; i++) {
    if (i % 2 === 0) {
      const name = `events-${String(i).padStart(5, '0')}.parquet`;
      const file = path.join(dir, name);
      if (!fs.existsSync(file)) {
        pl.DataFrame([pl.intRange(i * 200, (i + 1) * 200, 1, pl.Int64, true).rename('id')])
          .withColumns(pl.col('id').modulo(997).cast(pl.Float64).mul(0.25).alias('amount'), pl.lit('event-').add(pl.col('id').cast(pl.Utf8)).alias('name'))
          .writeParquet(file);
      }
      staged.push({ key: `events/${name}`, file });
    } else {
      const name = `customers-${String(i).padStart(5, '0')}.csv`;
      const file = path.join(dir, name);
      if (!fs.existsSync(file)) {
        const lines = ['id,name,city,score'];
        for (let row = 0; row < 50; row++) {
          const id = (i * 37 + row) % 2_000;
          lines.push(`${id},customer ${id},city ${id % 40},${(i + row) % 100}`);
        }
        fs.writeFileSync(file, `${lines.join('\n')}\n`);
      }
      staged.push({ key: `customers/${name}`, file });
    }
  }
  return staged;
}

/** Drops a staged file into the inbox the way an upload ends: written under a hidden name, then renamed. */
function drop(inbox: string, staged: { key: string; file: string }): void {
  const target = path.join(inbox, staged.key);
  const hidden = path.join(path.dirname(target), `.${path.basename(target)}.part`);
  fs.copyFileSync(staged.file, hidden);
  fs.renameSync(hidden, target);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function processedCount(client: pg.Client): Promise<number> {
  return Number((await client.query("SELECT count(*)::int AS n FROM ferry_files WHERE status = 'processed'")).rows[0].n);
}

interface VariantResult {
  readonly name: string;
  readonly loadMean: Sample;
  readonly loadPeak: Sample;
  readonly idle: Sample;
  readonly restartMs: number;
  readonly readersMetric: string;
  readonly largeFile: { seconds: number; peakRssBytes: number | null };
}

/** The mean of the samples, process by process (readers by rank: largest, second largest…). */
function meanOf(samples: readonly Sample[]): Sample {
  const count = samples.length;
  const width = Math.max(...samples.map((each) => each.readers.length));
  return {
    at: 0,
    parent: samples.reduce((sum, each) => sum + each.parent, 0) / count,
    readers: Array.from({ length: width }, (_, index) => samples.reduce((sum, each) => sum + (each.readers[index] ?? 0), 0) / count),
    anon: samples.reduce((sum, each) => sum + each.anon, 0) / count,
  };
}

async function runVariant(context: FootprintContext, options: FootprintOptions, name: string, staged: { key: string; file: string }[]): Promise<VariantResult> {
  const variant = VARIANTS[name];
  if (variant === undefined) throw new Error(`--variants: ${name} is not one of ${Object.keys(VARIANTS).join(', ')}`);
  const { client, cwd, log } = context;
  await context.resetLedger('fp_events');
  await context.resetLedger('fp_customers');
  const inbox = path.join(cwd, `inbox-${name}`);
  fs.rmSync(inbox, { recursive: true, force: true });
  for (const folder of ['events', 'customers']) fs.mkdirSync(path.join(inbox, folder), { recursive: true });
  fs.writeFileSync(
    path.join(cwd, 'ferry.config.ts'),
    `export default {
  concurrency: 2,
  readers: ${variant.readers},
  pipelines: {
    events: {
      source: { glob: 'events/*.parquet', modifiedWithin: null },
      sink: { table: 'fp_events' },
      checks: [{ rule: 'notNull', columns: ['id', 'name'] }, { rule: 'range', column: 'amount', min: 0 }],
      schedule: '1s',
    },
    customers: {
      source: { glob: 'customers/*.csv', modifiedWithin: null },
      sink: { table: 'fp_customers', mode: 'merge', key: ['id'] },
      schedule: '2s',
    },
  },
};
`,
  );
  const child = spawn(process.execPath, [path.join(context.root, 'bin', 'ferry.js'), '--log-format', 'json', 'start'], {
    cwd,
    env: { ...process.env, ...variant.env, DATABASE_URL: context.db.url, FERRY_STORAGE: inbox, PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr.on('data', (chunk) => {
    output += chunk;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    const started = Date.now();
    while (!/"msg":"ferry started"/.test(output)) {
      if (child.exitCode !== null || Date.now() - started > 60_000) throw new Error(`ferry did not start:\n${output}`);
      await sleep(100);
    }
    const url = /"url":"(http:\/\/[^"]+)"/.exec(output)?.[1] as string;
    const pid = child.pid as number;
    log(`${name}: ferry started (pid ${pid}); dropping ${staged.length} files over ${options.loadSeconds} s…`);

    // Load: files dropped at an even pace, PSS sampled every 2 s.
    const loadSamples: Sample[] = [];
    const t0 = Date.now();
    const loadMs = options.loadSeconds * 1000;
    let dropped = 0;
    let nextSample = t0;
    while (Date.now() - t0 < loadMs) {
      const due = Math.min(staged.length, Math.floor(((Date.now() - t0) / loadMs) * staged.length) + 1);
      while (dropped < due) drop(inbox, staged[dropped++] as { key: string; file: string });
      if (Date.now() >= nextSample) {
        const taken = sample(pid, Date.now() - t0);
        if (taken !== null) loadSamples.push(taken);
        nextSample += SAMPLE_EVERY_MS;
      }
      await sleep(100);
    }
    while (dropped < staged.length) drop(inbox, staged[dropped++] as { key: string; file: string });
    const waitStart = Date.now();
    while ((await processedCount(client)) < staged.length) {
      if (Date.now() - waitStart > 120_000)
        throw new Error(`${name}: only ${await processedCount(client)} of ${staged.length} files processed:\n${output.slice(-3000)}`);
      await sleep(250);
    }
    const steady = loadSamples.filter((each) => each.at >= loadMs / 2);
    const loadPeak = steady.reduce((best, each) => (total(each) > total(best) ? each : best));

    // Idle: nothing arrives.
    log(`${name}: all ${staged.length} files loaded; idle for ${options.idleSeconds} s…`);
    const idleStart = Date.now();
    let idle = sample(pid, 0) as Sample;
    while (Date.now() - idleStart < options.idleSeconds * 1000) {
      await sleep(SAMPLE_EVERY_MS);
      idle = sample(pid, Date.now() - idleStart) ?? idle;
    }
    const metrics = await (await fetch(`${url}/metrics`)).text();
    const readersMetric = metrics
      .split('\n')
      .filter((line) => /^ferry_reader/.test(line))
      .join('; ');

    // A file after the idle phase: loaded as soon as a reader is there (started again, if the idle ones exited).
    const before = await processedCount(client);
    const dropAt = performance.now();
    drop(inbox, { key: 'events/after-idle.parquet', file: staged[0]?.file as string });
    while ((await processedCount(client)) === before) await sleep(20);
    const restartMs = performance.now() - dropAt;

    child.kill('SIGTERM');
    await exited;
    // Another program busy on the machine shows here (the bench wants a quiet machine).
    log(
      `${name}: a file after the idle phase loaded in ${Math.round(restartMs)} ms; load average ${os
        .loadavg()
        .map((value) => value.toFixed(2))
        .join(' ')}; large file…`,
    );
    const largeFile = await context.largeFilePeak(variant.env);
    return { name, loadMean: meanOf(steady), loadPeak, idle, restartMs, readersMetric, largeFile };
  } finally {
    if (child.exitCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  }
}

/** Runs the footprint bench and prints its table (Markdown) on stdout. */
export async function runFootprint(context: FootprintContext, options: FootprintOptions): Promise<void> {
  const staged = stage(path.join(context.dataDir, `footprint-${options.files}`), options.files);
  const results: VariantResult[] = [];
  for (const name of options.variants) results.push(await runVariant(context, options, name, staged));
  const row = (each: Sample) =>
    `${mib(each.parent)} | ${each.readers.length === 0 ? '—' : each.readers.map(mib).join(' + ')} | **${mib(total(each))}** | ${mib(each.anon)}`;
  const lines = [
    `ferry bench --footprint — ${context.db.where}, ${os.cpus().length} cores, Node ${process.version}; ${options.files} small files over ${options.loadSeconds} s, then ${options.idleSeconds} s idle; PSS in MiB (/proc/<pid>/smaps_rollup)`,
    '',
    '| variant | phase | ferry | readers | total | of it anonymous | file after idle | 3M-row file: peak RSS (time) |',
    '|---|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const result of results) {
    const large = `${result.largeFile.peakRssBytes === null ? 'n/a' : mib(result.largeFile.peakRssBytes)} MiB (${result.largeFile.seconds.toFixed(2)} s)`;
    lines.push(`| ${result.name} | load, mean of the 2nd half | ${row(result.loadMean)} | | |`);
    lines.push(`| ${result.name} | load, peak of the 2nd half | ${row(result.loadPeak)} | | |`);
    lines.push(`| ${result.name} | idle, end | ${row(result.idle)} | ${Math.round(result.restartMs)} ms | ${large} |`);
  }
  lines.push('', ...results.map((result) => `${result.name}, /metrics at the end of the idle phase: ${result.readersMetric || '(no reader metrics)'}`));
  process.stdout.write(`${lines.join('\n')}\n`);
}
