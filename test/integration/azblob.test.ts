/** The default pipeline and table loads against Azure Blob Storage (Azurite), through OpenDAL's azblob service. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, beforeEach, describe, it } from 'node:test';
import pl from 'nodejs-polars';
import type { Operator } from 'opendal';
import type { Runtime } from '../../src/runtime.ts';
import { openObjectStore, storeSettingsFromEnv } from '../../src/storage/index.ts';
import { AZURITE_ACCOUNT, AZURITE_KEY, type AzuriteServer, startAzurite } from '../helpers/azurite-server.ts';
import { type CountingProxy, startCountingProxy } from '../helpers/counting-proxy.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { runFerry } from '../helpers/ferry-process.ts';
import { parquetBytes, tempDir } from '../helpers/fixtures.ts';
import { openTestRuntime, runOnce } from '../helpers/runtime.ts';

const CONTAINER = 'ferry-test';
let db: TestDatabase;
let azurite: AzuriteServer;
let container: Operator;
let runtime: Runtime | null = null;
/** Each test works under its own prefix of the container. */
let prefix = '';
let testNumber = 0;
const put = (key: string, bytes: Buffer) => container.write(prefix + key, bytes);
const storage = () => `azblob://${CONTAINER}/${prefix}`;

async function open(storage: string, env: Record<string, string> = azurite.env, raw?: unknown): Promise<Runtime> {
  await runtime?.close();
  runtime = await openTestRuntime({ databaseUrl: db.url, storage, env, ...(raw === undefined ? {} : { raw }) });
  return runtime;
}

async function results(): Promise<{ file_name: string; row_count: number }[]> {
  return (await db.pool.query('SELECT file_name, row_count FROM etl_results ORDER BY file_name, id')).rows;
}

/** Opening a runtime fails with STORAGE_UNREACHABLE; the message is checked by `check`, and never holds `secret`. */
async function refused(env: Record<string, string>, storageUrl: string, secret: string, check: (message: string) => void): Promise<void> {
  await runtime?.close();
  runtime = null;
  await assert.rejects(openTestRuntime({ databaseUrl: db.url, storage: storageUrl, env }), (error: Error & { code?: string; cause?: unknown }) => {
    assert.equal(error.code, 'STORAGE_UNREACHABLE');
    check(error.message);
    assert.ok(!error.message.includes(secret), error.message);
    assert.ok(!String((error.cause as Error | undefined)?.message).includes(secret), 'the cause holds the secret');
    return true;
  });
}

before(async () => {
  db = await createTestDatabase();
  azurite = await startAzurite();
  await azurite.createContainer(CONTAINER);
  container = azurite.operator(CONTAINER);
});
after(async () => {
  await runtime?.close();
  await azurite.stop();
  await db.drop();
});
beforeEach(async () => {
  await db.pool.query('TRUNCATE etl_results, ferry_files, ferry_runs RESTART IDENTITY CASCADE');
  prefix = `t${++testNumber}/`;
});

describe('Azure Blob Storage', () => {
  it('counts every Parquet blob under the prefix, at any depth, keys relative to the prefix, versions by ETag', async () => {
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
    // Azure's ETags are `"0x…"`: quoted hex of the blob's change counter.
    const versions = await db.pool.query('SELECT version FROM ferry_files');
    for (const row of versions.rows) assert.match(row.version, /^etag:0x[0-9A-F]+$/);
  });

  it('reads only the footer of a large Parquet blob to count it', async () => {
    const big = parquetBytes(1_000_000);
    await put('big.parquet', big);
    const proxy: CountingProxy = await startCountingProxy(azurite.origin);
    try {
      const rt = await open(storage(), { ...azurite.env, AZURE_STORAGE_ENDPOINT: `${proxy.endpoint}/${AZURITE_ACCOUNT}` });
      proxy.reset();
      const run = await runOnce(rt);
      assert.equal(run.counts.files_processed, 1);
      assert.deepEqual(await results(), [{ file_name: 'big.parquet', row_count: 1_000_000 }]);
      assert.ok(big.length > 2_000_000, `fixture is ${big.length} bytes`);
      assert.ok(proxy.bytes < big.length / 10, `fetched ${proxy.bytes} of ${big.length} bytes`);
      console.log(`footer count: fetched ${proxy.bytes} of ${big.length} bytes of a 1,000,000-row blob`);
    } finally {
      await proxy.stop();
    }
  });

  it('a ranged read of a blob that was overwritten since it was listed fails as FILE_CHANGED (If-Match)', async () => {
    await put('r.parquet', parquetBytes(5));
    const store = openObjectStore({ kind: 'azblob', container: CONTAINER, prefix }, storeSettingsFromEnv(azurite.env));
    const listed = await (async () => {
      for await (const page of store.list('')) return page[0];
      return undefined;
    })();
    assert.equal(listed?.key, 'r.parquet');
    const tail = await store.readRange('r.parquet', (listed?.size ?? 0) - 4, 4, listed?.etag ?? null);
    assert.equal(tail.toString(), 'PAR1');
    await put('r.parquet', parquetBytes(6));
    await assert.rejects(store.readRange('r.parquet', 0, 4, listed?.etag ?? null), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'FILE_CHANGED');
      return true;
    });
    await assert.rejects(store.readRange('gone.parquet', 0, 4, null), (error: Error & { code?: string }) => error.code === 'FILE_NOT_FOUND');
  });

  it('loads Parquet and CSV blobs into a table with their exact values', async () => {
    const frame = pl.DataFrame({
      id: pl.Series('id', [1, 2], pl.Int64),
      name: ['ann', 'ü 🚀'],
      amount: pl.Series('amount', [1.5, -0.25], pl.Float64),
    });
    await put('in/a.parquet', frame.writeParquet());
    await put('in/sub/b.csv', Buffer.from('id,name,amount\n3,"bo, jr",1e3\n4,,0.1\n'));
    const run = await runOnce(await open(`${storage()}in`, azurite.env, { pipelines: { load: { source: { glob: '**/*' }, sink: { table: 'az_loaded' } } } }));
    const failed = await db.pool.query("SELECT key, error FROM ferry_files WHERE status <> 'processed'");
    assert.deepEqual(failed.rows, []);
    assert.equal(run.counts.files_processed, 2);
    const rows = await db.pool.query('SELECT id::int, name, amount::float8 FROM az_loaded ORDER BY id');
    assert.deepEqual(rows.rows, [
      { id: 1, name: 'ann', amount: 1.5 },
      { id: 2, name: 'ü 🚀', amount: -0.25 },
      { id: 3, name: 'bo, jr', amount: 1000 },
      { id: 4, name: null, amount: 0.1 },
    ]);
  });

  it('processes a blob again when it is overwritten with other content, and only then', async () => {
    await put('a.parquet', parquetBytes(4));
    await runOnce(await open(storage()));
    const unchanged = await runOnce(await open(storage()));
    assert.equal(unchanged.counts.files_processed, 0);
    await put('a.parquet', parquetBytes(9));
    const run = await runOnce(runtime as Runtime);
    assert.equal(run.counts.files_processed, 1);
    assert.deepEqual(await results(), [
      { file_name: 'a.parquet', row_count: 4 },
      { file_name: 'a.parquet', row_count: 9 },
    ]);
    const versions = await db.pool.query("SELECT count(DISTINCT version)::int AS n FROM ferry_files WHERE key = 'a.parquet'");
    assert.equal(versions.rows[0].n, 2);
  });

  it('reads with a SAS token, or a connection string, instead of the account key', async () => {
    await put('s.parquet', parquetBytes(7));
    const sas = azurite.accountSas('rl');
    const withSas = await runOnce(
      await open(storage(), { AZURE_STORAGE_ACCOUNT_NAME: AZURITE_ACCOUNT, AZURE_STORAGE_SAS_TOKEN: sas, AZURE_STORAGE_ENDPOINT: azurite.endpoint }),
    );
    assert.equal(withSas.counts.files_processed, 1);
    await put('t.parquet', parquetBytes(8));
    const connection = `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};BlobEndpoint=${azurite.endpoint};`;
    const withConnection = await runOnce(await open(storage(), { AZURE_STORAGE_CONNECTION_STRING: connection }));
    assert.equal(withConnection.counts.files_processed, 1);
    assert.deepEqual(await results(), [
      { file_name: 's.parquet', row_count: 7 },
      { file_name: 't.parquet', row_count: 8 },
    ]);
  });

  it('a wrong account key or SAS token: a clear error naming the storage, without the secret', async () => {
    const wrongKey = Buffer.from('this is not the account key of devstoreaccount1').toString('base64');
    await refused({ ...azurite.env, AZURE_STORAGE_ACCOUNT_KEY: wrongKey }, storage(), wrongKey, (message) => {
      assert.match(
        message,
        /^storage azblob:\/\/ferry-test\/t\d+\/: access denied: the account key or SAS token was refused \(AuthorizationFailure, list .*HTTP 403\)/,
      );
      assert.match(message, / — check the credentials: set AZURE_STORAGE_ACCOUNT_NAME with AZURE_STORAGE_ACCOUNT_KEY or AZURE_STORAGE_SAS_TOKEN/);
    });
    const sas = azurite.accountSas('rl');
    const signature = new URLSearchParams(sas).get('sig') as string;
    const forged = sas.replace(/sig=[^&]+/, `sig=${encodeURIComponent(`x${signature.slice(1)}`)}`);
    const forgedSignature = new URLSearchParams(forged).get('sig') as string;
    await refused(
      { AZURE_STORAGE_ACCOUNT_NAME: AZURITE_ACCOUNT, AZURE_STORAGE_SAS_TOKEN: forged, AZURE_STORAGE_ENDPOINT: azurite.endpoint },
      storage(),
      forgedSignature,
      (message) => {
        assert.match(message, /^storage azblob:\/\/ferry-test\/t\d+\/: access denied: the account key or SAS token was refused/);
      },
    );
    await refused({ AZURE_STORAGE_ACCOUNT_NAME: AZURITE_ACCOUNT, AZURE_STORAGE_ENDPOINT: azurite.endpoint }, storage(), AZURITE_KEY, (message) => {
      assert.match(message, /^storage azblob:\/\/ferry-test\/t\d+\/: no credentials: .* — check the credentials: set AZURE_STORAGE_ACCOUNT_NAME/);
    });
  });

  it('ferry check with a refused SAS token: one line naming the storage and the cause, exit 1, no part of the token', async () => {
    const sas = azurite.accountSas('rl');
    const forged = sas.replace(/sig=[^&]+/, `sig=${encodeURIComponent(Buffer.from('forged signature!').toString('base64'))}`);
    const env = {
      DATABASE_URL: db.url,
      FERRY_STORAGE: storage(),
      AZURE_STORAGE_CONNECTION_STRING: `BlobEndpoint=${azurite.endpoint};SharedAccessSignature=${forged}`,
    };
    const cwd = tempDir('azblob-check-');
    const checked = await runFerry(['check'], { env, cwd }).finally(() => fs.rmSync(cwd, { recursive: true, force: true }));
    assert.equal(checked.code, 1, checked.stderr);
    assert.match(checked.stderr, /storage azblob:\/\/ferry-test\/t\d+\/: access denied: the account key or SAS token was refused/);
    const signature = new URLSearchParams(forged).get('sig') as string;
    for (const secret of [forged, signature, encodeURIComponent(signature)]) assert.ok(!`${checked.stdout}${checked.stderr}`.includes(secret), secret);
  });

  it('a container that does not exist: a clear error naming it', async () => {
    await refused(azurite.env, 'azblob://no-such-container/in', AZURITE_KEY, (message) => {
      assert.match(message, /^storage azblob:\/\/no-such-container\/in\/: the container does not exist \(ContainerNotFound, list .*HTTP 404\)$/);
    });
  });

  it('an endpoint that does not answer: unreachable, naming the storage', async () => {
    await refused({ ...azurite.env, AZURE_STORAGE_ENDPOINT: `http://127.0.0.1:9/${AZURITE_ACCOUNT}` }, storage(), AZURITE_KEY, (message) => {
      assert.match(message, /^storage azblob:\/\/ferry-test\/t\d+\/ is unreachable: /);
    });
  });

  it("listFrom: 'last-seen' lists only the keys after the newest one recorded (filtered after Azure's listing)", async () => {
    for (const day of ['2026-11-01', '2026-11-02', '2026-11-03']) await put(`${day}/part.parquet`, parquetBytes(2));
    const raw = { pipelines: { daily: { source: { glob: '**/*.parquet', modifiedWithin: null, listFrom: 'last-seen' } } } };
    const first = await runOnce(await open(storage(), azurite.env, raw));
    assert.deepEqual([first.counts.files_listed, first.counts.files_processed], [3, 3]);
    await put('2026-11-04/part.parquet', parquetBytes(4));
    // A key that sorts before the newest one recorded is not listed: listFrom is for keys that arrive in order.
    await put('2026-10-31/late.parquet', parquetBytes(1));
    const second = await runOnce(await open(storage(), azurite.env, raw));
    assert.deepEqual([second.counts.files_listed, second.counts.files_processed], [1, 1]);
    assert.deepEqual(
      (await results()).map((row) => row.file_name),
      ['2026-11-01/part.parquet', '2026-11-02/part.parquet', '2026-11-03/part.parquet', '2026-11-04/part.parquet'],
    );
    const third = await runOnce(await open(storage(), azurite.env, raw));
    assert.equal(third.counts.files_listed, 0);
  });
});
