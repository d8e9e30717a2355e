import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openObjectStore } from '../../src/storage/index.ts';

const s3 = openObjectStore(
  { kind: 's3', bucket: 'b', prefix: 'in/' },
  { region: 'us-east-1', endpoint: 'http://127.0.0.1:9', accessKeyId: 'k', secretAccessKey: 's' },
);
const fs = openObjectStore(
  { kind: 'fs', root: '/srv/inbox' },
  { region: 'us-east-1', endpoint: undefined, accessKeyId: undefined, secretAccessKey: undefined },
);

describe('object store keys', () => {
  it('maps keys to a path under the root, or an S3 URL under the prefix', () => {
    assert.deepEqual(fs.readTarget('a/b c.parquet'), { kind: 'path', path: '/srv/inbox/a/b c.parquet' });
    const target = s3.readTarget('x/y.parquet');
    assert.equal(target.kind === 'cloud' && target.url, 's3://b/in/x/y.parquet');
    assert.equal(target.kind === 'cloud' && target.cloudOptions.aws_allow_http, 'true');
  });
  it('never uses a key that could leave the root or name another object', async () => {
    for (const store of [fs, s3]) {
      for (const key of ['../etc/passwd', 'a/../../b.parquet', 'a/..', 'nul\0.parquet', 'bad\uFFFD.parquet']) {
        assert.throws(() => store.readTarget(key), /the key .* (contains|is not valid UTF-8).*; the file is not read/, key);
      }
    }
    await assert.rejects(fs.readRange('../x', 0, 4, null), /contains a "\.\." segment/);
  });
});
