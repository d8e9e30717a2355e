/** resolveFileRef: one rule for "an id or a key", and requeue by id never touching a key of the same digits. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FerryError } from '../../src/errors/index.ts';
import { findProcessedFiles, requeueFiles, resolveFileRef, resolveFileRefs } from '../../src/ledger/index.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';

let db: TestDatabase;

/** Inserts a file version with a chosen id. */
async function version(id: number, pipeline: string, key: string, status: string): Promise<void> {
  await db.pool.query(
    `INSERT INTO ferry_files (id, pipeline, key, version, size, status, error) VALUES ($1, $2, $3, $4, 1, $5, CASE WHEN $5 = 'quarantined' THEN 'broken' END)`,
    [id, pipeline, key, `v${id}`, status],
  );
}

before(async () => {
  db = await createTestDatabase();
  await version(1, 'orders', 'a.csv', 'processed');
  await version(2, 'orders', 'a.csv', 'quarantined');
  await version(3, 'orders', 'a.csv', 'quarantined');
  // Keys made of digits: "7" is no id here; "1" is id 1 (a.csv) and also another file's key.
  await version(10, 'orders', '7', 'quarantined');
  await version(11, 'orders', '1', 'quarantined');
  await version(12, 'events', '12', 'quarantined');
  await version(20, 'events', 'a.csv', 'processed');
});
after(async () => {
  await db.drop();
});

describe('resolveFileRef', () => {
  it('a key names every version of it, newest first', async () => {
    assert.deepEqual(await resolveFileRef(db.pool, 'a.csv'), { ref: 'a.csv', by: 'key', key: 'a.csv', ids: [20, 3, 2, 1] });
    assert.deepEqual((await resolveFileRef(db.pool, 'a.csv', { pipeline: 'orders' }))?.ids, [3, 2, 1]);
  });

  it('a number is an id when the ledger has that id, else a key', async () => {
    assert.deepEqual(await resolveFileRef(db.pool, '2'), { ref: '2', by: 'id', key: 'a.csv', ids: [2] });
    assert.deepEqual(await resolveFileRef(db.pool, '7'), { ref: '7', by: 'key', key: '7', ids: [10] });
    // Id 12's own key is "12": both name the same file, so it is the id.
    assert.deepEqual(await resolveFileRef(db.pool, '12'), { ref: '12', by: 'id', key: '12', ids: [12] });
  });

  it('the pipeline is the scope: an id of another pipeline is not an id there', async () => {
    assert.equal(await resolveFileRef(db.pool, '20', { pipeline: 'orders' }), null);
    assert.deepEqual((await resolveFileRef(db.pool, '20', { pipeline: 'events' }))?.ids, [20]);
  });

  it('a number that is an id and another file’s key is refused, naming both', async () => {
    await assert.rejects(
      resolveFileRef(db.pool, '1'),
      (error: unknown) =>
        error instanceof FerryError &&
        error.code === 'CONFIG_INVALID' &&
        /"1" is both file version 1 \(orders: a\.csv\) and the key "1" \(file version 11\): give the key "a\.csv" or the id 11 instead/.test(error.message),
    );
  });

  it('names nothing: null; several references: their ids, and the unknown ones apart', async () => {
    assert.equal(await resolveFileRef(db.pool, 'nope.csv'), null);
    assert.equal(await resolveFileRef(db.pool, '999'), null);
    assert.equal(await resolveFileRef(db.pool, '99999999999999999999'), null, 'digits beyond an id are a key');
    assert.deepEqual(await resolveFileRefs(db.pool, ['7', 'nope', '2', '3']), { ids: [10, 2, 3], unknown: ['nope'] });
  });
});

describe('operator queries by id', () => {
  it('requeueFiles takes ids: a key of the same digits is another file and stays', async () => {
    const requeued = await requeueFiles(db.pool, { ids: [7] });
    assert.deepEqual(requeued, [], 'no file version 7: the key "7" (version 10) is not requeued');
    const byId = await requeueFiles(db.pool, { ids: [10] });
    assert.deepEqual(
      byId.map((file) => [file.id, file.key, file.status]),
      [[10, '7', 'pending']],
    );
    assert.ok(!('lease_owner' in (byId[0] as object)), 'the lease is not part of the API shape');
  });

  it('findProcessedFiles: no ids is every processed version; an empty list is none', async () => {
    assert.deepEqual(
      (await findProcessedFiles(db.pool, { pipeline: 'orders' })).map((file) => file.id),
      [1],
    );
    assert.deepEqual(await findProcessedFiles(db.pool, { ids: [] }), []);
    assert.deepEqual(
      (await findProcessedFiles(db.pool, { ids: [20, 2] })).map((file) => file.id),
      [20],
    );
  });
});
