/**
 * What every object store must do for ferry, asserted once and run against each store (S3 through
 * s3rver, Azure Blob Storage through Azurite): `useObjectStore` sets up a test file (a database,
 * the store, a prefix of its own for each test), and `storeContract` registers the shared cases.
 * A store's test file keeps only its set-up and the cases that are its own.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, it } from 'node:test';
import zlib from 'node:zlib';
import pl from 'nodejs-polars';
import type { Runtime } from '../../src/runtime.ts';
import { startCountingProxy } from './counting-proxy.ts';
import { createTestDatabase, type TestDatabase } from './database.ts';
import { parquetBytes } from './fixtures.ts';
import { openTestRuntime, runOnce } from './runtime.ts';

/** How to reach one store. */
export interface StoreAdapter {
  /** What the store calls an object, for the cases' names: `file`, `blob`. */
  readonly noun: string;
  /** How the store lists from a key, for the listFrom case's name. */
  readonly listFromBy: string;
  /** What `ferry_files.version` looks like for the store's objects. */
  readonly versionPattern: RegExp;
  /** The secret in `env()`, which no error may hold. */
  readonly secret: string;
  /** Starts the store (in `before`), ready for `put`. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Writes an object at `key`, from the root of the bucket or container. */
  put(key: string, bytes: Buffer): Promise<unknown>;
  /** The storage URL (`FERRY_STORAGE`) of a prefix (ending in `/`) of the bucket or container. */
  url(prefix: string): string;
  /** The environment for ferry to reach the store. */
  env(): Record<string, string>;
  /** The origin a counting proxy passes requests on to. */
  proxyTarget(): string;
  /** The environment for ferry to reach the store through a proxy at `endpoint` (`http://host:port`). */
  envThrough(endpoint: string): Record<string, string>;
}

/** A test file's store, database and runtime, for the shared cases and the store's own. */
export interface StoreContext {
  readonly adapter: StoreAdapter;
  readonly db: TestDatabase;
  /** This test's prefix of the bucket or container (`t<n>/`). */
  readonly prefix: string;
  /** The runtime last opened, if any. */
  readonly runtime: Runtime | null;
  /** Writes an object under this test's prefix. */
  put(key: string, bytes: Buffer): Promise<unknown>;
  /** The storage URL of this test's prefix. */
  storage(): string;
  /** Opens a runtime on the database and `storage` (closing the previous one), with the store's env unless given. */
  open(storage: string, env?: Record<string, string>, raw?: unknown): Promise<Runtime>;
  /** The rows the default pipeline wrote, by file name. */
  results(): Promise<{ file_name: string; row_count: number }[]>;
  /** Opening a runtime fails with STORAGE_UNREACHABLE; the message is checked by `check`, and neither it nor its cause holds `secret`. */
  refused(env: Record<string, string>, storageUrl: string, secret: string, check: (message: string) => void): Promise<void>;
}

/**
 * The set-up: a database for the test file and the store (both dropped after it), and before each
 * test an empty ledger and results and a fresh prefix.
 */
export function useObjectStore(adapter: StoreAdapter): StoreContext {
  let db: TestDatabase | null = null;
  let runtime: Runtime | null = null;
  let prefix = '';
  let testNumber = 0;
  before(async () => {
    db = await createTestDatabase();
    await adapter.start();
  });
  after(async () => {
    await runtime?.close();
    await adapter.stop();
    await db?.drop();
  });
  beforeEach(async () => {
    await (db as TestDatabase).pool.query('TRUNCATE etl_results, ferry_files, ferry_runs RESTART IDENTITY CASCADE');
    prefix = `t${++testNumber}/`;
  });
  const context: StoreContext = {
    adapter,
    get db() {
      if (db === null) throw new Error('the test database is made in before()');
      return db;
    },
    get prefix() {
      return prefix;
    },
    get runtime() {
      return runtime;
    },
    put: (key, bytes) => adapter.put(prefix + key, bytes),
    storage: () => adapter.url(prefix),
    async open(storage, env = adapter.env(), raw) {
      await runtime?.close();
      runtime = null;
      runtime = await openTestRuntime({ databaseUrl: context.db.url, storage, env, ...(raw === undefined ? {} : { raw }) });
      return runtime;
    },
    async results() {
      return (await context.db.pool.query('SELECT file_name, row_count FROM etl_results ORDER BY file_name, id')).rows;
    },
    async refused(env, storageUrl, secret, check) {
      await runtime?.close();
      runtime = null;
      await assert.rejects(openTestRuntime({ databaseUrl: context.db.url, storage: storageUrl, env }), (error: Error & { code?: string; cause?: unknown }) => {
        assert.equal(error.code, 'STORAGE_UNREACHABLE');
        check(error.message);
        assert.ok(!error.message.includes(secret), error.message);
        assert.ok(!String((error.cause as Error | undefined)?.message).includes(secret), 'the cause holds the secret');
        return true;
      });
    },
  };
  return context;
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** Registers the cases every store must pass (call it inside the store's `describe`). */
export function storeContract(store: StoreContext): void {
  const { adapter, put, storage, open, results } = store;
  const { noun } = adapter;

  it(`counts every Parquet ${noun} under the prefix, at any depth, with unusual keys, keys relative to the prefix, versions by ETag`, async () => {
    await put('in/a.parquet', parquetBytes(10));
    await put('in/2026/11/b.parquet', parquetBytes(250));
    await put('in/with space/ünïcode \'quote".parquet', parquetBytes(3));
    await put('in/readme.txt', Buffer.from('ignored'));
    await put('elsewhere/c.parquet', parquetBytes(1));

    const run = await runOnce(await open(`${storage()}in`));
    assert.equal(run.counts.files_processed, 3);
    assert.deepEqual(await results(), [
      { file_name: '2026/11/b.parquet', row_count: 250 },
      { file_name: 'a.parquet', row_count: 10 },
      { file_name: 'with space/ünïcode \'quote".parquet', row_count: 3 },
    ]);
    const versions = await store.db.pool.query('SELECT version FROM ferry_files');
    assert.equal(versions.rows.length, 3);
    for (const row of versions.rows) assert.match(row.version, adapter.versionPattern);
  });

  it(`reads only the footer of a large Parquet ${noun} to count it`, async () => {
    const big = parquetBytes(1_000_000);
    await put('big.parquet', big);
    const proxy = await startCountingProxy(adapter.proxyTarget());
    try {
      const rt = await open(storage(), adapter.envThrough(proxy.endpoint));
      proxy.reset();
      const run = await runOnce(rt);
      assert.equal(run.counts.files_processed, 1);
      assert.deepEqual(await results(), [{ file_name: 'big.parquet', row_count: 1_000_000 }]);
      assert.ok(big.length > 2_000_000, `fixture is ${big.length} bytes`);
      assert.ok(proxy.bytes < big.length / 10, `fetched ${proxy.bytes} of ${big.length} bytes`);
      console.log(`footer count: fetched ${proxy.bytes} of ${big.length} bytes of a 1,000,000-row ${noun}`);
    } finally {
      await proxy.stop();
    }
  });

  it('loads every format into a table: Parquet and CSV in place, Arrow IPC and gzip through a temp copy', async () => {
    const frame = pl.DataFrame({ id: pl.Series('id', [1, 2], pl.Int64), name: ['ann', 'ü 🚀'] });
    await put('in/a.parquet', frame.writeParquet());
    await put('in/b.csv', Buffer.from('id,name\n3,bo\n'));
    await put('in/c.arrow', frame.withColumn(pl.col('id').add(10).cast(pl.Int64)).writeIPC());
    await put('in/d.arrows', frame.withColumn(pl.col('id').add(20).cast(pl.Int64)).writeIPCStream());
    await put('in/e.ndjson.gz', zlib.gzipSync('{"id":30,"name":"gz"}\n'));
    const run = await runOnce(
      await open(`${storage()}in`, adapter.env(), { pipelines: { load: { source: { glob: '*' }, sink: { table: 'formats_loaded' } } } }),
    );
    const failed = await store.db.pool.query("SELECT key, error FROM ferry_files WHERE status <> 'processed'");
    assert.deepEqual(failed.rows, []);
    assert.equal(run.counts.files_processed, 5);
    const rows = await store.db.pool.query('SELECT id::int, name FROM formats_loaded ORDER BY id');
    assert.deepEqual(
      rows.rows.map((r) => `${r.id} ${r.name}`),
      ['1 ann', '2 ü 🚀', '3 bo', '11 ann', '12 ü 🚀', '21 ann', '22 ü 🚀', '30 gz'],
    );
  });

  it(`loads Parquet and CSV ${noun}s at any depth into a table with their exact values`, async () => {
    const frame = pl.DataFrame({
      id: pl.Series('id', [1, 2], pl.Int64),
      name: ['ann', 'ü 🚀'],
      amount: pl.Series('amount', [1.5, -0.25], pl.Float64),
    });
    await put('in/a.parquet', frame.writeParquet());
    await put('in/sub/b.csv', Buffer.from('id,name,amount\n3,"bo, jr",1e3\n4,,0.1\n'));
    const run = await runOnce(
      await open(`${storage()}in`, adapter.env(), { pipelines: { load: { source: { glob: '**/*' }, sink: { table: 'values_loaded' } } } }),
    );
    const failed = await store.db.pool.query("SELECT key, error FROM ferry_files WHERE status <> 'processed'");
    assert.deepEqual(failed.rows, []);
    assert.equal(run.counts.files_processed, 2);
    const rows = await store.db.pool.query('SELECT id::int, name, amount::float8 FROM values_loaded ORDER BY id');
    assert.deepEqual(rows.rows, [
      { id: 1, name: 'ann', amount: 1.5 },
      { id: 2, name: 'ü 🚀', amount: -0.25 },
      { id: 3, name: 'bo, jr', amount: 1000 },
      { id: 4, name: null, amount: 0.1 },
    ]);
  });

  it(`processes a ${noun} again when it is overwritten with other content, and only then`, async () => {
    await put('a.parquet', parquetBytes(4));
    await runOnce(await open(storage()));
    const unchanged = await runOnce(await open(storage()));
    assert.equal(unchanged.counts.files_processed, 0);
    await put('a.parquet', parquetBytes(9));
    const run = await runOnce(store.runtime as Runtime);
    assert.equal(run.counts.files_processed, 1);
    assert.deepEqual(await results(), [
      { file_name: 'a.parquet', row_count: 4 },
      { file_name: 'a.parquet', row_count: 9 },
    ]);
    const versions = await store.db.pool.query("SELECT count(DISTINCT version)::int AS n FROM ferry_files WHERE key = 'a.parquet'");
    assert.equal(versions.rows[0].n, 2);
  });

  it('an endpoint that does not answer: unreachable, naming the storage, without the secret', async () => {
    const url = storage();
    await store.refused(adapter.envThrough('http://127.0.0.1:9'), url, adapter.secret, (message) => {
      assert.match(message, new RegExp(`^storage ${escapeRegExp(url)} is unreachable: `));
    });
  });

  it(`listFrom: 'last-seen' lists only the keys after the newest one recorded (${adapter.listFromBy})`, async () => {
    for (const day of ['2026-11-01', '2026-11-02', '2026-11-03']) await put(`${day}/part.parquet`, parquetBytes(2));
    const raw = { pipelines: { daily: { source: { glob: '**/*.parquet', modifiedWithin: null, listFrom: 'last-seen' } } } };
    const first = await runOnce(await open(storage(), adapter.env(), raw));
    assert.deepEqual([first.counts.files_listed, first.counts.files_processed], [3, 3]);
    await put('2026-11-04/part.parquet', parquetBytes(4));
    // A key that sorts before the newest one recorded is not listed: listFrom is for keys that arrive in order.
    await put('2026-10-31/late.parquet', parquetBytes(1));
    const second = await runOnce(await open(storage(), adapter.env(), raw));
    assert.deepEqual([second.counts.files_listed, second.counts.files_processed], [1, 1]);
    assert.deepEqual(
      (await results()).map((row) => row.file_name),
      ['2026-11-01/part.parquet', '2026-11-02/part.parquet', '2026-11-03/part.parquet', '2026-11-04/part.parquet'],
    );
    const third = await runOnce(await open(storage(), adapter.env(), raw));
    assert.equal(third.counts.files_listed, 0);
  });
}
