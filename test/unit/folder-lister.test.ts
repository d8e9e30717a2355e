/**
 * The local folder lister against OpenDAL's `fs` listing, which it replaced: the same objects
 * with the same metadata (so version identities do not change on upgrade), in key order, and
 * after a key without entering the folders that hold only earlier keys.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import fsPromises from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Operator } from 'opendal';
import { compareKeys, listFolder, rfc3339 } from '../../src/storage/folder-lister.ts';
import { openObjectStore, type StoredObject, storeSettingsFromEnv } from '../../src/storage/index.ts';
import { tempDir } from '../helpers/fixtures.ts';

let root: string;

before(() => {
  root = tempDir('folder-lister-');
  const write = (key: string, time?: string) => {
    const file = path.join(root, key);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, key);
    if (time !== undefined) execFileSync('touch', ['-d', time, file]);
  };
  write('b.parquet', '2026-01-01 00:00:00');
  write('a.parquet', '2026-01-01 00:00:00.120000000');
  write('c.parquet', '2026-01-01 00:00:00.000000001');
  write('d.parquet', '1969-12-31 23:59:59.500000000');
  write('.hidden');
  write('2026/01/31/x.parquet');
  write('2026/02/01/y.parquet');
  write('2026/02/01/z.parquet');
  write('2026-summary.parquet');
  write('other/deep/er/w.parquet');
  fs.mkdirSync(path.join(root, 'empty'));
  fs.symlinkSync(path.join(root, 'a.parquet'), path.join(root, 'link-to-file.parquet'));
  fs.symlinkSync(path.join(root, 'other'), path.join(root, 'link-to-folder'));
  fs.symlinkSync(path.join(root, 'nowhere'), path.join(root, 'broken-link.parquet'));
});
after(() => fs.rmSync(root, { recursive: true, force: true }));

async function all(pages: AsyncIterable<readonly StoredObject[]>): Promise<StoredObject[]> {
  const objects: StoredObject[] = [];
  for await (const page of pages) objects.push(...page);
  return objects;
}

/** What the listing did before: OpenDAL's fs lister, each entry stat'ed. */
async function openDalListing(): Promise<StoredObject[]> {
  const operator = new Operator('fs', { root });
  const lister = await operator.lister('', { recursive: true, limit: 1000 });
  const objects: StoredObject[] = [];
  for (let entry = await lister.next(); entry !== null; entry = await lister.next()) {
    if (entry.path().endsWith('/')) continue;
    try {
      const meta = await operator.stat(entry.path());
      if (meta.isFile()) objects.push({ key: entry.path(), etag: null, size: Number(meta.contentLength ?? 0n), lastModified: meta.lastModified });
    } catch {
      objects.push({ key: entry.path(), etag: null, size: 0, lastModified: null });
    }
  }
  return objects;
}

describe('local folder listing', () => {
  it('lists what OpenDAL listed, with the same sizes and times, in key order', async () => {
    const listed = await all(listFolder(root, '', 1000, null));
    const before = await openDalListing();
    const byKey = (a: StoredObject, b: StoredObject) => compareKeys(a.key, b.key);
    // A broken link is listed with what is known (recorded and quarantined, not lost), by both.
    assert.deepEqual(listed, [...before].sort(byKey));
    assert.deepEqual(
      listed.find((object) => object.key === 'broken-link.parquet'),
      { key: 'broken-link.parquet', etag: null, size: 0, lastModified: null },
    );
    assert.deepEqual(
      listed.map((object) => object.key),
      [...listed.map((object) => object.key)].sort(compareKeys),
    );
    assert.equal(listed.find((object) => object.key === 'a.parquet')?.lastModified, '2026-01-01T00:00:00.12Z');
    assert.ok(!listed.some((object) => object.key.startsWith('link-to-folder')), 'links to folders are not followed');
  });

  it('pages, and a prefix lists only under it', async () => {
    const pages: number[] = [];
    for await (const page of listFolder(root, '', 3, null)) pages.push(page.length);
    assert.ok(pages.slice(0, -1).every((size) => size === 3));
    assert.deepEqual(
      (await all(listFolder(root, '2026/', 1000, null))).map((object) => object.key),
      ['2026/01/31/x.parquet', '2026/02/01/y.parquet', '2026/02/01/z.parquet'],
    );
    assert.deepEqual(await all(listFolder(root, 'missing/', 1000, null)), []);
    // A prefix is a beginning of keys, as on S3 (and as OpenDAL listed): not only a folder.
    assert.deepEqual(
      (await all(listFolder(root, '2026', 1000, null))).map((object) => object.key),
      ['2026-summary.parquet', '2026/01/31/x.parquet', '2026/02/01/y.parquet', '2026/02/01/z.parquet'],
    );
    assert.deepEqual(
      (await all(listFolder(root, '2026/0', 1000, null))).map((object) => object.key),
      ['2026/01/31/x.parquet', '2026/02/01/y.parquet', '2026/02/01/z.parquet'],
    );
    assert.deepEqual(
      (await all(listFolder(root, 'other/deep/er/w', 1000, null))).map((object) => object.key),
      ['other/deep/er/w.parquet'],
    );
  });

  it('after a key: exactly the later keys, whatever folder they are in', async () => {
    const keys = (await all(listFolder(root, '', 1000, null))).map((object) => object.key);
    for (const startAfter of ['', '2026/01/31/x.parquet', '2026/02/01/y.parquet', '2026/', '2026-summary.parquet', 'b', 'zzz', 'other/deep/er/w.parquet']) {
      const after = (await all(listFolder(root, '', 1000, startAfter))).map((object) => object.key);
      assert.deepEqual(
        after,
        keys.filter((key) => compareKeys(key, startAfter) > 0),
        startAfter,
      );
    }
  });

  it('after a key, the folders that hold only earlier keys are not read', async () => {
    const read: string[] = [];
    const readdir = fsPromises.readdir;
    fsPromises.readdir = ((dir: string, options: unknown) => {
      read.push(path.relative(root, dir));
      return (readdir as (dir: string, options: unknown) => unknown)(dir, options);
    }) as typeof fsPromises.readdir;
    try {
      await all(listFolder(root, '', 1000, '2026/02/01/y.parquet'));
    } finally {
      fsPromises.readdir = readdir;
    }
    assert.deepEqual(read, ['', '2026', '2026/02', '2026/02/01', 'empty', 'other', 'other/deep', 'other/deep/er']);
  });

  it('the object store lists a folder this way, and S3 keys after a key too', async () => {
    const store = openObjectStore({ kind: 'fs', root }, storeSettingsFromEnv({}));
    assert.deepEqual(
      (await all(store.list('', 1000, '2026/02/01/y.parquet'))).map((object) => object.key).slice(0, 2),
      // ('2026-summary.parquet' sorts before '2026/…': '-' is before '/'.)
      ['2026/02/01/z.parquet', 'a.parquet'],
    );
  });

  it('writes times as OpenDAL does', () => {
    assert.equal(rfc3339(0n), '1970-01-01T00:00:00Z');
    assert.equal(rfc3339(1_500_000_000n), '1970-01-01T00:00:01.5Z');
    assert.equal(rfc3339(-500_000_000n), '1969-12-31T23:59:59.5Z');
    assert.equal(rfc3339(1_767_225_600_000_000_001n), '2026-01-01T00:00:00.000000001Z');
  });
});
