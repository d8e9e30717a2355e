/** The default pipeline and table loads against Azure Blob Storage (Azurite), through OpenDAL's azblob service. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { Operator } from 'opendal';
import { openObjectStore, storeSettingsFromEnv } from '../../src/storage/index.ts';
import { AZURITE_ACCOUNT, AZURITE_KEY, type AzuriteServer, startAzurite } from '../helpers/azurite-server.ts';
import { runFerry, spawnFerryStart, waitFor } from '../helpers/ferry-process.ts';
import { parquetBytes, projectDir, tempDir } from '../helpers/fixtures.ts';
import { runOnce } from '../helpers/runtime.ts';
import { storeContract, useObjectStore } from '../helpers/store-contract.ts';

const CONTAINER = 'ferry-test';
let azurite: AzuriteServer;
let container: Operator;
const store = useObjectStore({
  noun: 'blob',
  listFromBy: "filtered after Azure's listing",
  // Azure's ETags are `"0x…"`: quoted hex of the blob's change counter.
  versionPattern: /^etag:0x[0-9A-F]+$/,
  secret: AZURITE_KEY,
  async start() {
    azurite = await startAzurite();
    await azurite.createContainer(CONTAINER);
    container = azurite.operator(CONTAINER);
  },
  stop: () => azurite.stop(),
  put: (key, bytes) => container.write(key, bytes),
  url: (prefix) => `azblob://${CONTAINER}/${prefix}`,
  env: () => azurite.env,
  proxyTarget: () => azurite.origin,
  envThrough: (endpoint) => ({ ...azurite.env, AZURE_STORAGE_ENDPOINT: `${endpoint}/${AZURITE_ACCOUNT}` }),
});
const { put, storage, open, results, refused } = store;

describe('Azure Blob Storage', () => {
  storeContract(store);

  it('a ranged read of a blob that was overwritten since it was listed fails as FILE_CHANGED (If-Match)', async () => {
    await put('r.parquet', parquetBytes(5));
    const blobs = openObjectStore({ kind: 'azblob', container: CONTAINER, prefix: store.prefix }, storeSettingsFromEnv(azurite.env));
    const listed = await (async () => {
      for await (const page of blobs.list('')) return page[0];
      return undefined;
    })();
    assert.equal(listed?.key, 'r.parquet');
    const tail = await blobs.readRange('r.parquet', (listed?.size ?? 0) - 4, 4, listed?.etag ?? null);
    assert.equal(tail.toString(), 'PAR1');
    await put('r.parquet', parquetBytes(6));
    await assert.rejects(blobs.readRange('r.parquet', 0, 4, listed?.etag ?? null), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'FILE_CHANGED');
      return true;
    });
    await assert.rejects(blobs.readRange('gone.parquet', 0, 4, null), (error: Error & { code?: string }) => error.code === 'FILE_NOT_FOUND');
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
      DATABASE_URL: store.db.url,
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

  it('with both a SAS token and an account key, the SAS token is used (a wrong key beside a valid token reads; a forged token beside the right key is refused)', async () => {
    await put('both.parquet', parquetBytes(3));
    const wrongKey = Buffer.from('this is not the account key of devstoreaccount1').toString('base64');
    const sas = azurite.accountSas('rl');
    const run = await runOnce(await open(storage(), { ...azurite.env, AZURE_STORAGE_ACCOUNT_KEY: wrongKey, AZURE_STORAGE_SAS_TOKEN: sas }));
    assert.equal(run.counts.files_processed, 1);
    assert.deepEqual(await results(), [{ file_name: 'both.parquet', row_count: 3 }]);
    const forged = sas.replace(/sig=[^&]+/, `sig=${encodeURIComponent(Buffer.from('forged signature!').toString('base64'))}`);
    await refused({ ...azurite.env, AZURE_STORAGE_SAS_TOKEN: forged }, storage(), AZURITE_KEY, (message) => {
      assert.match(message, /: access denied: the account key or SAS token was refused \(AuthorizationFailure/);
    });
  });

  it('a SAS token that may list but not read: the CSV and Parquet files fail with the same clear message, STORAGE_ERROR, no part of the token', async () => {
    await put('in/a.csv', Buffer.from('id,name\n1,ann\n'));
    await put('in/b.parquet', parquetBytes(2));
    const listOnly = azurite.accountSas('l');
    const env = { AZURE_STORAGE_ACCOUNT_NAME: AZURITE_ACCOUNT, AZURE_STORAGE_SAS_TOKEN: listOnly, AZURE_STORAGE_ENDPOINT: azurite.endpoint };
    const run = await runOnce(await open(`${storage()}in`, env, { pipelines: { load: { source: { glob: '*' }, sink: { table: 'sas_list_only' } } } }));
    assert.equal(run.counts.files_processed, 0);
    const failed = await store.db.pool.query('SELECT key, error_code, error FROM ferry_files ORDER BY key');
    assert.equal(failed.rows.length, 2);
    for (const row of failed.rows) {
      // A refusal is not transient, but the error table has no permanent code for a storage that
      // refuses: retried with backoff, a token given read permission meanwhile is picked up.
      assert.equal(row.error_code, 'STORAGE_ERROR', row.error);
      assert.match(
        row.error,
        new RegExp(
          `^reading ${row.key.replace('.', '\\.')} failed: access denied: the credentials do not allow reading blobs \\(a SAS token needs read permission, sp=r\\) \\(AuthorizationPermissionMismatch, (?:stat|read) azblob://ferry-test/t\\d+/in/${row.key.replace('.', '\\.')}, HTTP 403\\)$`,
        ),
      );
      assert.ok(!row.error.includes('sp=l') && !row.error.includes('sig='), row.error);
    }
    // ferry check says the same of the CSV file (it was OpenDAL's whole text, with the token's query).
    const cwd = projectDir('azblob-sas-');
    try {
      fs.writeFileSync(
        path.join(cwd, 'ferry.config.ts'),
        "export default { pipelines: { load: { source: { glob: '*.csv' }, sink: { table: 'sas_check' } } } };\n",
      );
      const checked = await runFerry(['check'], { env: { ...env, DATABASE_URL: store.db.url, FERRY_STORAGE: `${storage()}in` }, cwd });
      const output = `${checked.stdout}${checked.stderr}`;
      assert.equal(checked.code, 1, output);
      assert.match(
        output,
        /STORAGE_ERROR at read: reading a\.csv failed: access denied: the credentials do not allow reading blobs \(a SAS token needs read permission, sp=r\)/,
      );
      assert.ok(!output.includes('PermissionDenied (') && !output.includes('sp=l') && !output.includes('sig='), output);
    } finally {
      fs.rmSync(cwd, { recursive: true, force: true });
    }
  });

  it("an emulator's endpoint without the account in its path: the 404 says where the account goes", async () => {
    await refused({ ...azurite.env, AZURE_STORAGE_ENDPOINT: azurite.origin }, storage(), AZURITE_KEY, (message) => {
      assert.match(
        message,
        /^storage azblob:\/\/ferry-test\/t\d+\/: ResourceNotFound: The specified resource does not exist\. \(list .*HTTP 404\) — AZURE_STORAGE_ENDPOINT has no account in its path, which an emulator needs: e\.g\. http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1$/,
      );
    });
  });

  it('ferry check with an account key that is not base64, or an endpoint that is not a URL: a config error naming the variable, exit 2', async () => {
    const cwd = tempDir('azblob-config-');
    try {
      for (const [name, value, expected] of [
        ['AZURE_STORAGE_ACCOUNT_KEY', 'not base64!!', /AZURE_STORAGE_ACCOUNT_KEY: is not base64/],
        ['AZURE_STORAGE_ENDPOINT', 'not-a-url', /AZURE_STORAGE_ENDPOINT: must be an http\(s\) URL/],
      ] as const) {
        const env = { ...azurite.env, [name]: value, DATABASE_URL: store.db.url, FERRY_STORAGE: storage() };
        const checked = await runFerry(['check'], { env, cwd });
        assert.equal(checked.code, 2, checked.stderr);
        assert.match(checked.stderr, expected);
        assert.ok(!checked.stderr.includes('account_key') && !checked.stderr.includes('not base64!!'), checked.stderr);
      }
    } finally {
      fs.rmSync(cwd, { recursive: true, force: true });
    }
  });

  it('ferry start with a container that does not exist yet: tries again, saying the store refused (not that it is unreachable), and starts once it is made', async () => {
    const cwd = projectDir('azblob-start-');
    const {
      child,
      output: logs,
      exited,
    } = spawnFerryStart({ cwd, env: { ...azurite.env, DATABASE_URL: store.db.url, FERRY_STORAGE: 'azblob://made-later/in' } });
    try {
      const line =
        /storage refused at start: storage azblob:\/\/made-later\/in\/: the container does not exist \(ContainerNotFound, list .*HTTP 404\); trying again in \d+s/;
      await waitFor('the line saying the store refused', async () => (line.test(logs()) ? true : undefined), 60_000);
      assert.doesNotMatch(logs(), /unreachable/);
      assert.equal(child.exitCode, null, 'ferry did not exit');
      await azurite.createContainer('made-later');
      await waitFor('ferry started', async () => (/"msg":"ferry started"/.test(logs()) ? true : undefined), 90_000);
      child.kill('SIGTERM');
      assert.equal(await exited, 143, logs());
    } finally {
      child.kill('SIGKILL');
      fs.rmSync(cwd, { recursive: true, force: true });
    }
  });

  it('a container that does not exist: a clear error naming it', async () => {
    await refused(azurite.env, 'azblob://no-such-container/in', AZURITE_KEY, (message) => {
      assert.match(message, /^storage azblob:\/\/no-such-container\/in\/: the container does not exist \(ContainerNotFound, list .*HTTP 404\)$/);
    });
  });
});
