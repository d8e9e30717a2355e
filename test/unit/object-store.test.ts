import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { azureSettingsFromEnv, openObjectStore, storeSettingsFromEnv } from '../../src/storage/index.ts';

const s3 = openObjectStore(
  { kind: 's3', bucket: 'b', prefix: 'in/' },
  storeSettingsFromEnv({ AWS_ENDPOINT_URL: 'http://127.0.0.1:9', AWS_ACCESS_KEY_ID: 'k', AWS_SECRET_ACCESS_KEY: 's' }),
);
const fs = openObjectStore({ kind: 'fs', root: '/srv/inbox' }, storeSettingsFromEnv({}));
const KEY = Buffer.from('not a real key').toString('base64');
const azblob = openObjectStore(
  { kind: 'azblob', container: 'c1x', prefix: 'in/' },
  storeSettingsFromEnv({ AZURE_STORAGE_ACCOUNT_NAME: 'acct', AZURE_STORAGE_ACCOUNT_KEY: KEY, AZURE_STORAGE_ENDPOINT: 'http://127.0.0.1:9/acct' }),
);

describe('object store keys', () => {
  it('maps keys to a path under the root, or an S3 URL under the prefix', () => {
    assert.deepEqual(fs.readTarget('a/b c.parquet'), { kind: 'path', path: '/srv/inbox/a/b c.parquet' });
    const target = s3.readTarget('x/y.parquet');
    assert.equal(target.kind === 'cloud' && target.url, 's3://b/in/x/y.parquet');
    assert.equal(target.kind === 'cloud' && target.cloudOptions.aws_allow_http, 'true');
    // Azure blobs are streamed through OpenDAL: no URL carries the container or a credential.
    assert.deepEqual(azblob.readTarget('x/y.parquet'), { kind: 'operator' });
  });
  it('never uses a key that could leave the root or name another object', async () => {
    for (const store of [fs, s3, azblob]) {
      for (const key of ['../etc/passwd', 'a/../../b.parquet', 'a/..', 'nul\0.parquet', 'bad\uFFFD.parquet']) {
        assert.throws(() => store.readTarget(key), /the key .* (contains|is not valid UTF-8).*; the file is not read/, key);
      }
    }
    await assert.rejects(fs.readRange('../x', 0, 4, null), /contains a "\.\." segment/);
  });
});

describe('Azure settings', () => {
  it('reads the account, key, SAS token and endpoint, the separate variables before the connection string', () => {
    assert.deepEqual(azureSettingsFromEnv({}), { accountName: undefined, accountKey: undefined, sasToken: undefined, endpoint: undefined });
    assert.deepEqual(
      azureSettingsFromEnv({ AZURE_STORAGE_ACCOUNT_NAME: 'acct', AZURE_STORAGE_SAS_TOKEN: '?sv=1&sig=x', AZURE_STORAGE_ENDPOINT: 'http://h:1/acct/' }),
      {
        accountName: 'acct',
        accountKey: undefined,
        sasToken: 'sv=1&sig=x',
        endpoint: 'http://h:1/acct',
      },
    );
    const connection = 'DefaultEndpointsProtocol=https;AccountName=prod;AccountKey=a2V5==;EndpointSuffix=core.chinacloudapi.cn';
    assert.deepEqual(azureSettingsFromEnv({ AZURE_STORAGE_CONNECTION_STRING: connection }), {
      accountName: 'prod',
      accountKey: 'a2V5==',
      sasToken: undefined,
      endpoint: 'https://prod.blob.core.chinacloudapi.cn',
    });
    assert.equal(azureSettingsFromEnv({ AZURE_STORAGE_CONNECTION_STRING: connection, AZURE_STORAGE_ACCOUNT_KEY: 'b3ZlcnJpZGU=' }).accountKey, 'b3ZlcnJpZGU=');
    const sas = azureSettingsFromEnv({ AZURE_STORAGE_CONNECTION_STRING: 'BlobEndpoint=https://x.example/;SharedAccessSignature=sv=2022&sig=abc%3D' });
    assert.deepEqual([sas.endpoint, sas.sasToken, sas.accountName], ['https://x.example', 'sv=2022&sig=abc%3D', undefined]);
    assert.equal(azureSettingsFromEnv({ AZURE_STORAGE_CONNECTION_STRING: 'UseDevelopmentStorage=true' }).endpoint, 'http://127.0.0.1:10000/devstoreaccount1');
  });

  it('an azblob storage without an account is a config error that says what to set', () => {
    assert.throws(
      () => openObjectStore({ kind: 'azblob', container: 'box', prefix: '' }, storeSettingsFromEnv({ AZURE_STORAGE_ACCOUNT_KEY: KEY })),
      (error: Error & { code?: string }) => {
        assert.equal(error.code, 'CONFIG_INVALID');
        assert.match(error.message, /^azblob:\/\/box\/ needs an account: set AZURE_STORAGE_ACCOUNT_NAME/);
        assert.ok(!error.message.includes(KEY));
        return true;
      },
    );
  });

  it("a 404 through an emulator's endpoint without the account in its path says that the account belongs there", () => {
    const notFound = new Error(
      'NotFound (permanent) at list, context: { uri: http://127.0.0.1:10000/box?restype=container&comp=list, response: Parts { status: 404, version: HTTP/1.1, headers: {"x-ms-error-code": "ResourceNotFound"} }, service: azblob, path: /, listed: 0 } => AzblobError { code: "ResourceNotFound", message: "The specified resource does not exist. RequestId:f47fcaa1 Time:2026-12-05T03:47:22.364Z" }',
    );
    const through = (endpoint: string) =>
      openObjectStore(
        { kind: 'azblob', container: 'box', prefix: '' },
        storeSettingsFromEnv({ AZURE_STORAGE_ACCOUNT_NAME: 'devstoreaccount1', AZURE_STORAGE_ACCOUNT_KEY: KEY, AZURE_STORAGE_ENDPOINT: endpoint }),
      );
    assert.equal(
      through('http://127.0.0.1:10000').explain(notFound),
      'ResourceNotFound: The specified resource does not exist. (list /, HTTP 404) — AZURE_STORAGE_ENDPOINT has no account in its path, which an emulator needs: e.g. http://127.0.0.1:10000/devstoreaccount1',
    );
    const containerMissing = new Error(notFound.message.replaceAll('ResourceNotFound', 'ContainerNotFound'));
    assert.match(
      through('http://localhost:10000/').explain(containerMissing),
      /^the container does not exist .* — AZURE_STORAGE_ENDPOINT has no account in its path/,
    );
    // The account is in the path, or in the host (Azure, a private endpoint): no hint.
    for (const endpoint of [
      'http://127.0.0.1:10000/devstoreaccount1',
      'https://acct.blob.core.windows.net',
      'https://acct.privatelink.blob.core.windows.net',
    ]) {
      assert.doesNotMatch(through(endpoint).explain(containerMissing), /AZURE_STORAGE_ENDPOINT/, endpoint);
    }
    // Other errors get no hint either.
    const refused = new Error(notFound.message.replaceAll('ResourceNotFound', 'AuthorizationFailure').replace('status: 404', 'status: 403'));
    assert.doesNotMatch(through('http://127.0.0.1:10000').explain(refused), /AZURE_STORAGE_ENDPOINT/);
  });

  it('an account key that is not base64 is a config error naming the storage, without the key', () => {
    const key = 'not base64!!';
    assert.throws(
      () =>
        openObjectStore(
          { kind: 'azblob', container: 'box', prefix: 'p/' },
          storeSettingsFromEnv({ AZURE_STORAGE_ACCOUNT_NAME: 'a', AZURE_STORAGE_ACCOUNT_KEY: key }),
        ),
      (error: Error & { code?: string }) => {
        assert.equal(error.code, 'CONFIG_INVALID');
        assert.match(error.message, /^storage azblob:\/\/box\/p\/ could not be opened: invalid account_key: cannot decode as base64/);
        assert.ok(!error.message.includes(key));
        return true;
      },
    );
  });
});
