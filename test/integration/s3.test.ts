/** The default pipeline against a real S3 endpoint (s3rver): listing through OpenDAL, footer counts through Polars. */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import zlib from 'node:zlib';
import pl from 'nodejs-polars';
import type { Operator } from 'opendal';
import type { Runtime } from '../../src/runtime.ts';
import { type CountingProxy, startCountingProxy } from '../helpers/counting-proxy.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { parquetBytes } from '../helpers/fixtures.ts';
import { openTestRuntime, runOnce } from '../helpers/runtime.ts';
import { type S3Server, startS3Server } from '../helpers/s3-server.ts';

let db: TestDatabase;
let s3: S3Server;
let bucket: Operator;
let runtime: Runtime | null = null;
/** Each test works under its own prefix of the bucket. */
let prefix = '';
let testNumber = 0;
const put = (key: string, bytes: Buffer) => bucket.write(prefix + key, bytes);
const storage = () => `s3://${s3.bucket}/${prefix}`;

async function open(storage: string, env: Record<string, string> = s3.env, raw?: unknown): Promise<Runtime> {
  await runtime?.close();
  runtime = await openTestRuntime({ databaseUrl: db.url, storage, env, ...(raw === undefined ? {} : { raw }) });
  return runtime;
}

async function results(): Promise<{ file_name: string; row_count: number }[]> {
  return (await db.pool.query('SELECT file_name, row_count FROM etl_results ORDER BY file_name, id')).rows;
}

before(async () => {
  db = await createTestDatabase();
  s3 = await startS3Server();
  bucket = s3.operator();
});
after(async () => {
  await runtime?.close();
  await s3.stop();
  await db.drop();
});
beforeEach(async () => {
  await db.pool.query('TRUNCATE etl_results, ferry_files, ferry_runs RESTART IDENTITY CASCADE');
  prefix = `t${++testNumber}/`;
});

describe('S3 storage', () => {
  it('counts every Parquet file under the prefix, at any depth, with unusual keys', async () => {
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
    const versions = await db.pool.query('SELECT version, etag FROM ferry_files');
    for (const row of versions.rows) assert.match(row.version, /^etag:[0-9a-f]{32}$/);
  });

  it('loads every format into a table from S3: Parquet and CSV in place, Arrow IPC and gzip through a temp copy', async () => {
    const frame = pl.DataFrame({ id: pl.Series('id', [1, 2], pl.Int64), name: ['ann', 'ü 🚀'] });
    await put('in/a.parquet', frame.writeParquet());
    await put('in/b.csv', Buffer.from('id,name\n3,bo\n'));
    await put('in/c.arrow', frame.withColumn(pl.col('id').add(10).cast(pl.Int64)).writeIPC());
    await put('in/d.arrows', frame.withColumn(pl.col('id').add(20).cast(pl.Int64)).writeIPCStream());
    await put('in/e.ndjson.gz', zlib.gzipSync('{"id":30,"name":"gz"}\n'));
    const run = await runOnce(await open(`${storage()}in`, s3.env, { pipelines: { load: { source: { glob: '*' }, sink: { table: 's3_loaded' } } } }));
    const failed = await db.pool.query("SELECT key, error FROM ferry_files WHERE status <> 'processed'");
    assert.deepEqual(failed.rows, []);
    assert.equal(run.counts.files_processed, 5);
    const rows = await db.pool.query('SELECT id::int, name FROM s3_loaded ORDER BY id');
    assert.deepEqual(
      rows.rows.map((r) => `${r.id} ${r.name}`),
      ['1 ann', '2 ü 🚀', '3 bo', '11 ann', '12 ü 🚀', '21 ann', '22 ü 🚀', '30 gz'],
    );
  });

  it('counts an object again when it is overwritten, and only then', async () => {
    await put('a.parquet', parquetBytes(4));
    await runOnce(await open(storage()));
    await runOnce(await open(storage()));
    await put('a.parquet', parquetBytes(9));
    const run = await runOnce(runtime as Runtime);
    assert.equal(run.counts.files_processed, 1);
    assert.deepEqual(await results(), [
      { file_name: 'a.parquet', row_count: 4 },
      { file_name: 'a.parquet', row_count: 9 },
    ]);
  });

  it('reads only the footer of a large file to count it', async () => {
    const big = parquetBytes(1_000_000);
    await put('big.parquet', big);
    const proxy: CountingProxy = await startCountingProxy(s3.endpoint);
    try {
      const rt = await open(storage(), { ...s3.env, AWS_ENDPOINT_URL: proxy.endpoint });
      proxy.reset();
      const run = await runOnce(rt);
      assert.equal(run.counts.files_processed, 1);
      assert.deepEqual(await results(), [{ file_name: 'big.parquet', row_count: 1_000_000 }]);
      assert.ok(big.length > 2_000_000, `fixture is ${big.length} bytes`);
      assert.ok(proxy.bytes < big.length / 10, `fetched ${proxy.bytes} of ${big.length} bytes`);
      console.log(`footer count: fetched ${proxy.bytes} of ${big.length} bytes of a 1,000,000-row file`);
    } finally {
      await proxy.stop();
    }
  });

  it('reads keys that are odd in URLs: query and fragment characters, plus, very long keys', async () => {
    const long = `${'k'.repeat(250)}/${'l'.repeat(250)}/${'m'.repeat(250)}/long.parquet`;
    const keys = ['question?mark.parquet', 'hash#mark.parquet', 'plus+and=.parquet', 'semi;colon&amp.parquet', long];
    for (const key of keys) await put(key, parquetBytes(6));
    const run = await runOnce(await open(storage()));
    assert.equal(run.counts.files_processed, keys.length);
    const rows = (await db.pool.query('SELECT key, status, rows FROM ferry_files ORDER BY key')).rows;
    assert.deepEqual(
      rows.map((row) => [row.key, row.status, row.rows]),
      [...keys].sort().map((key) => [key, 'processed', 6]),
    );
  });

  it('records a corrupt object as failed and counts the rest', async () => {
    await put('ok.parquet', parquetBytes(2));
    await put('corrupt.parquet', Buffer.concat([Buffer.from('PAR1'), Buffer.alloc(100, 7), Buffer.from('PAR1')]));
    const run = await runOnce(await open(storage()));
    assert.equal(run.counts.files_processed, 1);
    assert.equal(run.counts.files_failed, 1);
    const failed = await db.pool.query("SELECT key, error FROM ferry_files WHERE status = 'quarantined'");
    assert.equal(failed.rows[0].key, 'corrupt.parquet');
    assert.match(failed.rows[0].error, /corrupt\.parquet is not a readable Parquet file/);
  });

  it('fails to start with a clear error when the endpoint does not answer', async () => {
    await runtime?.close();
    runtime = null;
    await assert.rejects(
      openTestRuntime({ databaseUrl: db.url, storage: storage(), env: { ...s3.env, AWS_ENDPOINT_URL: 'http://127.0.0.1:9' } }),
      (error: Error & { code?: string }) => {
        assert.equal(error.code, 'STORAGE_UNREACHABLE');
        assert.match(error.message, /^storage s3:\/\/ferry-test\/t\d+\/ is unreachable: /);
        assert.doesNotMatch(error.message, /S3RVER/);
        return true;
      },
    );
  });

  it('refused credentials: the error says which variables to set', async () => {
    await runtime?.close();
    runtime = null;
    await assert.rejects(
      openTestRuntime({ databaseUrl: db.url, storage: storage(), env: { ...s3.env, AWS_ACCESS_KEY_ID: 'wrong', AWS_SECRET_ACCESS_KEY: 'wrong' } }),
      (error: Error & { code?: string }) => {
        assert.equal(error.code, 'STORAGE_UNREACHABLE');
        assert.match(error.message, /InvalidAccessKeyId.* — check the credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/s);
        assert.doesNotMatch(error.message, /wrong/);
        return true;
      },
    );
  });

  it("listFrom: 'last-seen' lists only the keys after the newest one recorded (StartAfter)", async () => {
    for (const day of ['2026-11-01', '2026-11-02', '2026-11-03']) await put(`${day}/part.parquet`, parquetBytes(2));
    const raw = { pipelines: { daily: { source: { glob: '**/*.parquet', modifiedWithin: null, listFrom: 'last-seen' } } } };
    const first = await runOnce(await open(storage(), s3.env, raw));
    assert.deepEqual([first.counts.files_listed, first.counts.files_processed], [3, 3]);
    await put('2026-11-04/part.parquet', parquetBytes(4));
    // A key that sorts before the newest one recorded is not listed: listFrom is for keys that arrive in order.
    await put('2026-10-31/late.parquet', parquetBytes(1));
    const second = await runOnce(await open(storage(), s3.env, raw));
    assert.deepEqual([second.counts.files_listed, second.counts.files_processed], [1, 1]);
    assert.deepEqual(
      (await results()).map((row) => row.file_name),
      ['2026-11-01/part.parquet', '2026-11-02/part.parquet', '2026-11-03/part.parquet', '2026-11-04/part.parquet'],
    );
    const third = await runOnce(await open(storage(), s3.env, raw));
    assert.equal(third.counts.files_listed, 0);
  });
});
