import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sourceFilter } from '../../src/discover/index.ts';
import { versionIdentity } from '../../src/storage/index.ts';

describe('version identity', () => {
  it('is the ETag when the store gives one, without quotes or weak prefix', () => {
    assert.equal(versionIdentity({ etag: '"abc123"', size: 10, lastModified: '2026-01-01T00:00:00Z' }), 'etag:abc123');
    assert.equal(versionIdentity({ etag: 'W/"abc123"', size: 10, lastModified: null }), 'etag:abc123');
  });
  it('is size and modification time otherwise, so a rewrite of either is a new version', () => {
    const base = { etag: null, size: 10, lastModified: '2026-01-01T00:00:00.123456789Z' };
    assert.equal(versionIdentity(base), 'size:10;mtime:2026-01-01T00:00:00.123456789Z');
    assert.notEqual(versionIdentity(base), versionIdentity({ ...base, size: 11 }));
    assert.notEqual(versionIdentity(base), versionIdentity({ ...base, lastModified: '2026-01-01T00:00:00.123456790Z' }));
    assert.equal(versionIdentity({ ...base, etag: '' }), versionIdentity(base));
  });
});

describe('source filter', () => {
  const now = new Date('2026-06-01T12:00:00Z');
  const object = (key: string, lastModified: string | null = '2026-06-01T11:00:00Z') => ({ key, etag: null, size: 1, lastModified });
  it('takes keys under the prefix that match the glob at any depth', () => {
    const matches = sourceFilter({ prefix: '', glob: '**/*.parquet', modifiedWithinMs: null }, now);
    assert.equal(matches(object('a.parquet')), 'match');
    assert.equal(matches(object('x/y/z b.parquet')), 'match');
    assert.equal(matches(object('a.csv')), 'no-match');
    assert.equal(matches(object('a.parquet.tmp')), 'no-match');
    const sales = sourceFilter({ prefix: 'sales/', glob: '*.parquet', modifiedWithinMs: null }, now);
    assert.equal(sales(object('sales/a.parquet')), 'match');
    assert.equal(sales(object('sales/2026/a.parquet')), 'no-match');
    assert.equal(sales(object('other/a.parquet')), 'no-match');
  });
  it('leaves out files older than the window, and keeps files without a time', () => {
    const recent = sourceFilter({ prefix: '', glob: '**/*.parquet', modifiedWithinMs: 86_400_000 }, now);
    assert.equal(recent(object('new.parquet', '2026-05-31T12:00:01Z')), 'match');
    assert.equal(recent(object('old.parquet', '2026-05-31T11:59:59Z')), 'too-old');
    assert.equal(recent(object('unknown.parquet', null)), 'match');
  });
});
