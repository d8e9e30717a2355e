/**
 * `npm run bench -- --scale all` (or a list: `--scale curve,discovery,ledger`): how ferry scales, each part against a
 * baseline measured in the same run.
 *
 * - curve: 1, 2 and 4 `ferry run --once` processes on one database (they share one run through
 *   the ledger), each with concurrency 1 and 2, on 2,000 small Parquet files (the --small set)
 *   and on 20 files of 1,000,000 rows; files/s and rows/s for each, beside 1 process × 1.
 * - discovery: 100,000 objects (100 folders of 1,000) already in the ledger plus 100 new ones,
 *   on a local folder and on s3rver: a bare listing of the store, ferry's discovery (listing
 *   and one ledger statement per page of 1,000), and with `listFrom: 'last-seen'`; then on
 *   s3rver, the 100 found by listing against the same 100 told by object-created events posted
 *   to ferry's HTTP server (one object a delivery, as S3 sends them, and one delivery of 100):
 *   time, requests to the store (counted by a proxy) and requests to ferry.
 * - ledger: a ledger of 1,000,000 file versions (1,000 of them pending): the claim statement
 *   (a batch of 100 and one file), a discovery page of 1,000 keys, the last-seen key, and the
 *   retention counts, timed (median of 7) with the plan each one uses (EXPLAIN ANALYZE).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pl from 'nodejs-polars';
import pg from 'pg';
import { resolveConfig } from '../src/config/index.ts';
import { discoverFiles, type SourceSelection } from '../src/discover/index.ts';
import { buildHttpApp } from '../src/http/index.ts';
import { claimFiles, dueCandidates, lastSeenKey, pruneLedger, recordListingPage } from '../src/ledger/index.ts';
import { migrate, TYPE_PARSERS } from '../src/postgres/index.ts';
import { type ObjectStore, openObjectStore, type StoredObject, storeSettingsFromEnv } from '../src/storage/index.ts';
import { startCountingProxy } from '../test/helpers/counting-proxy.ts';
import { type EventObject, s3Record } from '../test/helpers/object-events.ts';
import { type S3Server, startS3Server } from '../test/helpers/s3-server.ts';
import type { BenchContext } from './context.ts';

export interface ScaleContext extends BenchContext {
  /** Generates (once) the --small set of 2,000 files and returns its folder. */
  readonly smallSet: () => Promise<string>;
  readonly checkpoint: () => Promise<unknown>;
}

const rate = (count: number, seconds: number) => Math.round(count / seconds).toLocaleString('en');
const ms = (seconds: number) => `${(seconds * 1000).toFixed(seconds < 0.01 ? 2 : 1)} ms`;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

export async function runScale(parts: readonly string[], context: ScaleContext): Promise<void> {
  const out: string[] = [`ferry bench --scale — ${context.db.where}, ${os.cpus().length} cores, Node ${process.version}`, ''];
  if (parts.includes('curve')) out.push(...(await curve(context)));
  if (parts.includes('discovery')) out.push(...(await discovery(context)));
  if (parts.includes('ledger')) out.push(...(await ledger(context)));
  process.stdout.write(`${out.join('\n')}\n`);
}

/** 1, 2 and 4 processes × concurrency 1 and 2, on small files and on 20 files of 1M rows. */
async function curve(context: ScaleContext): Promise<string[]> {
  const { client, cwd, db, root } = context;
  const smallDir = await context.smallSet();
  const bigDir = path.join(context.dataDir, 'scale-20x1m');
  if (!fs.existsSync(path.join(bigDir, 'part-19.parquet'))) {
    context.log('generating 20 Parquet files of 1,000,000 rows…');
    fs.mkdirSync(bigDir, { recursive: true });
    for (let i = 0; i < 20; i++) {
      pl.DataFrame([pl.intRange(i * 1_000_000, (i + 1) * 1_000_000, 1, pl.Int64, true).rename('id')])
        .withColumns(pl.col('id').cast(pl.Float64).mul(0.5).alias('amount'), pl.lit('item-').add(pl.col('id').cast(pl.Utf8)).alias('name'))
        .writeParquet(path.join(bigDir, `part-${String(i).padStart(2, '0')}.parquet`));
    }
  }
  const sets = [
    { name: '2,000 files of 1,000 rows', dir: smallDir, files: 2000, rows: 2_000_000 },
    { name: '20 files of 1,000,000 rows', dir: bigDir, files: 20, rows: 20_000_000 },
  ];
  const lines = [
    '### More processes, more workers',
    '',
    '| files | processes × concurrency | time | files/s | rows/s | vs 1 × 1 |',
    '|---|---|---:|---:|---:|---:|',
  ];
  for (const set of sets) {
    let base: number | null = null;
    for (const processes of [1, 2, 4]) {
      for (const concurrency of [1, 2]) {
        await context.resetLedger('bench_scale');
        await context.checkpoint();
        fs.writeFileSync(
          path.join(cwd, 'ferry.config.ts'),
          `export default { concurrency: ${concurrency}, pipelines: { bench: { source: { glob: '*.parquet', modifiedWithin: null }, sink: { table: 'bench_scale' } } } };\n`,
        );
        const env = { ...process.env, DATABASE_URL: db.url, FERRY_STORAGE: set.dir };
        const started = performance.now();
        await Promise.all(
          Array.from({ length: processes }, () =>
            exits(spawn(process.execPath, [path.join(root, 'bin', 'ferry.js'), 'run', '--once', '--json'], { cwd, env, stdio: 'ignore' })),
          ),
        );
        const seconds = (performance.now() - started) / 1000;
        const loaded = Number((await client.query('SELECT count(*)::bigint AS n FROM bench_scale')).rows[0].n);
        const done = (await client.query("SELECT count(*)::int AS n FROM ferry_files WHERE status = 'processed'")).rows[0].n;
        if (loaded !== set.rows || done !== set.files)
          throw new Error(`${processes} × ${concurrency}: ${done} files and ${loaded} rows, not ${set.files} and ${set.rows}`);
        base ??= seconds;
        context.log(`${set.name}: ${processes} × ${concurrency}: ${seconds.toFixed(2)} s`);
        lines.push(
          `| ${set.name} | ${processes} × ${concurrency} | ${seconds.toFixed(2)} s | ${rate(set.files, seconds)} | ${rate(set.rows, seconds)} | ${(base / seconds).toFixed(2)}× |`,
        );
      }
    }
  }
  await context.resetLedger('bench_scale');
  return [...lines, ''];
}

function exits(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`ferry exited ${code}`))));
  });
}

const OBJECTS = 100_000;
const NEW_OBJECTS = 100;
const objectKey = (i: number) => `day-${String(Math.floor(i / 1000)).padStart(4, '0')}/part-${String(i % 1000).padStart(4, '0')}.parquet`;

/** Discovery at 100,000 objects with 100 new, against a bare listing; local folder and s3rver. */
async function discovery(context: ScaleContext): Promise<string[]> {
  const { client } = context;
  await migrate(client);
  const pool = new pg.Pool({ connectionString: context.db.url, max: 4, types: TYPE_PARSERS });
  const lines = [
    `### Discovery: ${OBJECTS.toLocaleString('en')} objects in the ledger, ${NEW_OBJECTS} new`,
    '',
    '| store | bare listing | discovery (list + ledger) | vs bare | `listFrom: last-seen` | vs bare |',
    '|---|---:|---:|---:|---:|---:|',
  ];
  const folder = path.join(context.dataDir, 'discovery-100k');
  if (!fs.existsSync(path.join(folder, objectKey(OBJECTS - 1)))) {
    context.log(`writing ${OBJECTS.toLocaleString('en')} small objects to a local folder…`);
    for (let i = 0; i < OBJECTS; i++) {
      const file = path.join(folder, objectKey(i));
      if (i % 1000 === 0) fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, 'x');
    }
  }
  const s3 = await startS3Server('bench', { directory: path.join(context.dataDir, 's3rver-100k') });
  try {
    const bucket = s3.operator();

    const marker = objectKey(OBJECTS - 1);
    if (!(await bucket.exists(marker).catch(() => false))) {
      context.log(`writing ${OBJECTS.toLocaleString('en')} small objects to s3rver (once; kept in bench/.data)…`);
      for (let start = 0; start < OBJECTS; start += 64) {
        await Promise.all(Array.from({ length: Math.min(64, OBJECTS - start) }, (_, j) => bucket.write(objectKey(start + j), Buffer.from('x'))));
      }
    }
    const storeSettings = storeSettingsFromEnv({ AWS_ENDPOINT_URL: s3.endpoint, AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' });
    const stores = [
      {
        name: 'local folder',
        store: openObjectStore({ kind: 'fs', root: folder }, storeSettings),
        add: (key: string) => fs.mkdirSync(path.dirname(path.join(folder, key)), { recursive: true }),
        write: async (key: string) => fs.writeFileSync(path.join(folder, key), 'x'),
        remove: async (key: string) => fs.rmSync(path.join(folder, key)),
      },
      {
        name: 's3rver (S3 API)',
        store: openObjectStore({ kind: 's3', bucket: 'bench', prefix: '' }, storeSettings),
        add: () => {},
        write: async (key: string) => {
          await bucket.write(key, Buffer.from('x'));
        },
        remove: async (key: string) => bucket.delete(key),
      },
    ];
    for (const { name, store, add, write, remove } of stores) {
      const pipelineName = `bench-discovery-${name.split(' ')[0]}`;
      const source = { prefix: '', glob: '**/*.parquet', modifiedWithinMs: null };
      const run = await seedProcessed(context, pool, store, { name: pipelineName, source });
      const bare: number[] = [];
      const full: number[] = [];
      const tail: number[] = [];
      for (let trial = 0; trial < 3; trial++) {
        for (const key of FRESH_KEYS) add(key);
        await Promise.all(FRESH_KEYS.map(write));
        let started = performance.now();
        let listed = 0;
        for await (const page of store.list('')) listed += page.length;
        bare.push((performance.now() - started) / 1000);
        if (listed !== OBJECTS + NEW_OBJECTS) throw new Error(`${name}: listed ${listed} objects`);
        started = performance.now();
        const counts = await discoverFiles(pool, store, { name: pipelineName, source }, run);
        full.push((performance.now() - started) / 1000);
        if (counts.files_discovered !== NEW_OBJECTS) throw new Error(`${name}: discovered ${counts.files_discovered}`);
        // The same 100 new keys again, listed from the last key seen (they sort after every day folder).
        await client.query("DELETE FROM ferry_files WHERE pipeline = $1 AND key LIKE 'new-%'", [pipelineName]);
        started = performance.now();
        const after = await discoverFiles(pool, store, { name: pipelineName, source: { ...source, listFrom: 'last-seen' } }, run);
        tail.push((performance.now() - started) / 1000);
        if (after.files_discovered !== NEW_OBJECTS || after.files_listed !== NEW_OBJECTS) throw new Error(`${name}: last-seen listed ${after.files_listed}`);
        await client.query("DELETE FROM ferry_files WHERE pipeline = $1 AND key LIKE 'new-%'", [pipelineName]);
        await Promise.all(FRESH_KEYS.map(remove));
      }
      const [b, f, t] = [median(bare), median(full), median(tail)];
      context.log(`${name}: bare ${b.toFixed(2)} s, discovery ${f.toFixed(2)} s, last-seen ${t.toFixed(3)} s`);
      lines.push(`| ${name} | ${b.toFixed(2)} s | ${f.toFixed(2)} s | ${(f / b).toFixed(2)}× | ${ms(t)} | ${(t / b).toFixed(3)}× |`);
      await forgetPipeline(client, pipelineName);
    }
    lines.push(...(await eventsAgainstListing(context, pool, s3)));
  } finally {
    await s3.stop();
    await pool.end();
  }
  return [...lines, ''];
}

/** The keys of the new objects: they sort after every day folder of the 100,000. */
const FRESH_KEYS = Array.from({ length: NEW_OBJECTS }, (_, i) => `new-${String(i).padStart(4, '0')}/part.parquet`);

async function forgetPipeline(client: pg.ClientBase, pipeline: string): Promise<void> {
  await client.query('DELETE FROM ferry_files WHERE pipeline = $1', [pipeline]);
  await client.query('DELETE FROM ferry_runs WHERE pipeline = $1', [pipeline]);
}

/**
 * A pipeline whose ledger holds the store's objects, recorded and processed, as after earlier
 * runs, with statistics as autovacuum leaves them; returns the run the listings record under.
 */
async function seedProcessed(
  context: ScaleContext,
  pool: pg.Pool,
  store: ObjectStore,
  pipeline: { readonly name: string; readonly source: SourceSelection },
): Promise<number> {
  const { client } = context;
  await forgetPipeline(client, pipeline.name);
  const run = (await client.query("INSERT INTO ferry_runs (pipeline, trigger, instance) VALUES ($1, 'manual', 'bench') RETURNING id", [pipeline.name])).rows[0]
    .id;
  await discoverFiles(pool, store, pipeline, run);
  await client.query("UPDATE ferry_files SET status = 'processed', finished_at = now() WHERE pipeline = $1", [pipeline.name]);
  await client.query('ANALYZE ferry_files');
  return run;
}

/**
 * The 100 new objects among 100,000 on s3rver, found by ferry's discovery (a listing) and told
 * by events posted to ferry's HTTP server (`POST /events`, as the store's webhook or SNS would):
 * one object a delivery, as S3 sends them, and all 100 in one delivery.
 */
async function eventsAgainstListing(context: ScaleContext, pool: pg.Pool, s3: S3Server): Promise<string[]> {
  const { client } = context;
  const token = 'bench-events-token';
  const pipelineName = 'bench-events';
  const proxy = await startCountingProxy(s3.endpoint);
  const store = openObjectStore(
    { kind: 's3', bucket: 'bench', prefix: '' },
    storeSettingsFromEnv({ AWS_ENDPOINT_URL: proxy.endpoint, AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' }),
  );
  const config = resolveConfig(
    { storage: 's3://bench/', pipelines: { [pipelineName]: { source: { glob: '**/*.parquet', modifiedWithin: null } } } },
    { cwd: context.root, env: { FERRY_EVENTS_TOKEN: token, DATABASE_URL: context.db.url }, flags: {}, configFile: null },
  );
  const pipeline = config.pipelines[0] as (typeof config.pipelines)[number];
  const app = buildHttpApp({ config, pool, store, version: 'bench' });
  const bucket = s3.operator();
  try {
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    const url = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}/events`;
    const post = async (records: unknown[]): Promise<number> => {
      const response = await fetch(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ Records: records }),
      });
      if (response.status !== 200) throw new Error(`POST /events answered ${response.status}: ${await response.text()}`);
      return ((await response.json()) as { recorded: number }).recorded;
    };
    const run = await seedProcessed(context, pool, store, pipeline);
    const forget = () => client.query("DELETE FROM ferry_files WHERE pipeline = $1 AND key LIKE 'new-%'", [pipelineName]);
    const trials = { listing: [] as number[], single: [] as number[], batched: [] as number[] };
    const requests = { listing: 0, single: 0, batched: 0 };
    for (let trial = 0; trial < 3; trial++) {
      await Promise.all(FRESH_KEYS.map((key) => bucket.write(key, Buffer.from('x'))));
      // What the store's events carry about each new object (its size, ETag and time).
      const objects: EventObject[] = await Promise.all(
        FRESH_KEYS.map(async (key) => {
          const meta = await bucket.stat(key);
          return { key, size: Number(meta.contentLength), etag: (meta.etag ?? '').replace(/"/g, ''), time: meta.lastModified ?? '' };
        }),
      );
      proxy.reset();
      let started = performance.now();
      const counts = await discoverFiles(pool, store, pipeline, run);
      trials.listing.push((performance.now() - started) / 1000);
      requests.listing = proxy.requests;
      if (counts.files_discovered !== NEW_OBJECTS) throw new Error(`listing discovered ${counts.files_discovered}`);
      await forget();

      proxy.reset();
      started = performance.now();
      let recorded = 0;
      for (const object of objects) recorded += await post([s3Record('bench', object)]);
      trials.single.push((performance.now() - started) / 1000);
      requests.single = proxy.requests;
      if (recorded !== NEW_OBJECTS) throw new Error(`events recorded ${recorded}`);
      await forget();

      proxy.reset();
      started = performance.now();
      recorded = await post(objects.map((object) => s3Record('bench', object)));
      trials.batched.push((performance.now() - started) / 1000);
      requests.batched = proxy.requests;
      if (recorded !== NEW_OBJECTS) throw new Error(`one delivery recorded ${recorded}`);
      await forget();
      await Promise.all(FRESH_KEYS.map((key) => bucket.delete(key)));
    }
    const [listing, single, batched] = [median(trials.listing), median(trials.single), median(trials.batched)];
    context.log(
      `events: listing ${listing.toFixed(2)} s (${requests.listing} requests), 100 deliveries ${single.toFixed(3)} s, one delivery ${batched.toFixed(3)} s`,
    );
    await forgetPipeline(client, pipelineName);
    return [
      '',
      `### The ${NEW_OBJECTS} new objects on s3rver: by listing, by events`,
      '',
      '| found by | time | vs listing | requests to the store | requests to ferry |',
      '|---|---:|---:|---:|---:|',
      `| listing (discovery) | ${listing.toFixed(2)} s | 1× | ${requests.listing} | 0 |`,
      `| events, one object a delivery (as S3 sends them) | ${ms(single)} | ${(single / listing).toFixed(3)}× | ${requests.single} | ${NEW_OBJECTS} |`,
      `| events, one delivery of ${NEW_OBJECTS} | ${ms(batched)} | ${(batched / listing).toFixed(4)}× | ${requests.batched} | 1 |`,
    ];
  } finally {
    await app.close();
    await proxy.stop();
  }
}

const LEDGER_ROWS = 1_000_000;
const PENDING = 1_000;

/** The claim and discovery statements on a ledger of 1,000,000 rows: times and plans. */
async function ledger(context: ScaleContext): Promise<string[]> {
  const { client } = context;
  await migrate(client);
  const pipeline = 'bench-ledger';
  await client.query('DELETE FROM ferry_files WHERE pipeline = $1', [pipeline]);
  context.log(`filling a ledger of ${LEDGER_ROWS.toLocaleString('en')} file versions…`);
  const run = (await client.query("INSERT INTO ferry_runs (pipeline, trigger, instance) VALUES ($1, 'manual', 'bench') RETURNING id", [pipeline])).rows[0].id;
  await client.query(
    `INSERT INTO ferry_files (pipeline, key, version, etag, size, last_modified, status, finished_at, rows, discovered_run_id, run_id)
     SELECT $1, 'day-' || lpad((i / 1000)::text, 5, '0') || '/part-' || lpad((i % 1000)::text, 4, '0') || '.parquet', 'etag:v1', 'v1', 30000,
            now() - (($2 - i) || ' seconds')::interval,
            CASE WHEN i >= $2 - $3 THEN 'pending' ELSE 'processed' END,
            CASE WHEN i >= $2 - $3 THEN NULL ELSE now() - (($2 - i) || ' seconds')::interval END, 1000, $4, $4
       FROM generate_series(0, $2 - 1) AS i`,
    [pipeline, LEDGER_ROWS, PENDING, run],
  );
  await client.query('VACUUM ANALYZE ferry_files');
  // Each statement runs on `client` inside a transaction that is rolled back (the ledger stays as
  // it is); the statements it sent are captured and then explained, exactly as sent.
  let captured: { text: string; values: unknown[] }[] = [];
  const capturing = {
    query: (statement: string | pg.QueryConfig, values: unknown[] = []) => {
      // A statement is a text with values, or a named (prepared) statement's config.
      if (typeof statement !== 'string') {
        captured.push({ text: statement.text, values: statement.values ?? [] });
        return client.query(statement);
      }
      captured.push({ text: statement, values });
      return client.query(statement, values);
    },
  } as unknown as pg.Pool;
  const timedStatement = async (what: string, statement: (db: pg.Pool) => Promise<unknown>) => {
    const times: number[] = [];
    for (let trial = 0; trial < 7; trial++) {
      await client.query('BEGIN');
      captured = [];
      const started = performance.now();
      await statement(capturing);
      times.push((performance.now() - started) / 1000);
      await client.query('ROLLBACK');
    }
    const plans: string[] = [];
    await client.query('BEGIN');
    for (const { text, values } of captured) {
      plans.push(
        ...(await client.query(`EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) ${text}`, values)).rows.map((row) => row['QUERY PLAN'] as string),
      );
    }
    await client.query('ROLLBACK');
    const plan = plans.join('\n');
    const indexes = [...new Set(plan.match(/Scan(?: Backward)? using \w+ on ferry_files/g) ?? [])].map(
      (scan) => `\`${scan.replace(/^.* using (\w+) on .*$/, '$1')}\``,
    );
    const scans = /Seq Scan on ferry_files/.test(plan) ? ['a sequential scan of ferry_files'] : [];
    context.log(`${what}:\n${plan}`);
    return `| ${what} | ${ms(median(times))} | ${[...indexes, ...scans].join(', ') || '—'} |`;
  };
  // A page as a listing gives it, in key order: 990 keys the ledger has (processed, same
  // version) and 10 new ones among them.
  const ledgerKey = (n: number) => `day-${String(Math.floor(n / 1000)).padStart(5, '0')}/part-${String(n % 1000).padStart(4, '0')}`;
  const listed = (key: string): StoredObject => ({ key, etag: 'v1', size: 30000, lastModified: new Date().toISOString() });
  const page: StoredObject[] = Array.from({ length: 990 }, (_, i) => ledgerKey(LEDGER_ROWS / 2 + i)).flatMap((key, i) =>
    i % 99 === 0 ? [listed(`${key}.parquet`), listed(`${key}-new.parquet`)] : [listed(`${key}.parquet`)],
  );
  // A page whose keys span half the ledger (the store lost the keys between them): its keys are
  // looked up one by one.
  const sparse: StoredObject[] = Array.from({ length: 1000 }, (_, i) => listed(`${ledgerKey(i * 500)}.parquet`));
  const lines = [
    `### A ledger of ${LEDGER_ROWS.toLocaleString('en')} file versions (${PENDING.toLocaleString('en')} pending)`,
    '',
    '| statement | time (median of 7) | plan |',
    '|---|---:|---|',
    // A worker's claim: the due candidates weighed, then the chosen ones claimed (two statements).
    await timedStatement('claim a batch of 100 files', async (db) =>
      claimFiles(
        db,
        { pipeline, owner: 'bench', leaseMs: 60_000, runId: run },
        (await dueCandidates(db, pipeline, 100)).map((file) => file.id),
      ),
    ),
    await timedStatement('claim one file', async (db) =>
      claimFiles(
        db,
        { pipeline, owner: 'bench', leaseMs: 60_000, runId: run },
        (await dueCandidates(db, pipeline, 1)).map((file) => file.id),
      ),
    ),
    await timedStatement('record a listing page of 1,000 keys (990 known, 10 new)', (db) => recordListingPage(db, pipeline, run, page)),
    await timedStatement('the same, a page whose keys span 500,000 ledger rows (key by key)', (db) => recordListingPage(db, pipeline, run, sparse)),
    await timedStatement('the last key seen (`listFrom: last-seen`)', (db) => lastSeenKey(db, pipeline, '')),
    await timedStatement('retention (counted, not deleted)', (db) =>
      pruneLedger(db, [{ name: pipeline, source: { modifiedWithinMs: 24 * 3600 * 1000 } }], 3600 * 1000, { dryRun: true }),
    ),
  ];
  await client.query('DELETE FROM ferry_files WHERE pipeline = $1', [pipeline]);
  await client.query('DELETE FROM ferry_runs WHERE pipeline = $1', [pipeline]);
  return [...lines, ''];
}
