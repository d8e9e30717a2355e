/** The default pipeline against a real S3 endpoint (s3rver): listing through OpenDAL, footer counts through Polars. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Operator } from 'opendal';
import { parquetBytes } from '../helpers/fixtures.ts';
import { runOnce } from '../helpers/runtime.ts';
import { type S3Server, startS3Server } from '../helpers/s3-server.ts';
import { storeContract, useObjectStore } from '../helpers/store-contract.ts';

let s3: S3Server;
let bucket: Operator;
const store = useObjectStore({
  noun: 'file',
  listFromBy: 'StartAfter',
  // s3rver's ETags are the MD5 of the object, in hex.
  versionPattern: /^etag:[0-9a-f]{32}$/,
  secret: 'S3RVER',
  async start() {
    s3 = await startS3Server();
    bucket = s3.operator();
  },
  stop: () => s3.stop(),
  put: (key, bytes) => bucket.write(key, bytes),
  url: (prefix) => `s3://${s3.bucket}/${prefix}`,
  env: () => s3.env,
  proxyTarget: () => s3.endpoint,
  envThrough: (endpoint) => ({ ...s3.env, AWS_ENDPOINT_URL: endpoint }),
});
const { put, storage, open } = store;

describe('S3 storage', () => {
  storeContract(store);

  it('reads keys that are odd in URLs: query and fragment characters, plus, very long keys', async () => {
    const long = `${'k'.repeat(250)}/${'l'.repeat(250)}/${'m'.repeat(250)}/long.parquet`;
    const keys = ['question?mark.parquet', 'hash#mark.parquet', 'plus+and=.parquet', 'semi;colon&amp.parquet', long];
    for (const key of keys) await put(key, parquetBytes(6));
    const run = await runOnce(await open(storage()));
    assert.equal(run.counts.files_processed, keys.length);
    const rows = (await store.db.pool.query('SELECT key, status, rows FROM ferry_files ORDER BY key')).rows;
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
    const failed = await store.db.pool.query("SELECT key, error FROM ferry_files WHERE status = 'quarantined'");
    assert.equal(failed.rows[0].key, 'corrupt.parquet');
    assert.match(failed.rows[0].error, /corrupt\.parquet is not a readable Parquet file/);
  });

  it('refused credentials: the error says which variables to set', async () => {
    await store.refused({ ...s3.env, AWS_ACCESS_KEY_ID: 'wrong', AWS_SECRET_ACCESS_KEY: 'wrong' }, storage(), 'wrong', (message) => {
      // S3 answered: refused, not unreachable (the same words as Azure's refusals).
      assert.match(message, /^storage s3:\/\/\S+: InvalidAccessKeyId.* — check the credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/s);
    });
  });
});
