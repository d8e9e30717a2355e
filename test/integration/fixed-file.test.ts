/**
 * A quarantined file fixed by replacing it: the new version loads, the old one leaves the
 * quarantine in the same transaction (superseded, its error kept), and its alert, not yet sent,
 * is not sent.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import pl from 'nodejs-polars';
import { runOnce, useTestRuntime } from '../helpers/runtime.ts';

const test = useTestRuntime('fixed-file-');

describe('a fixed file', () => {
  it('supersedes its quarantined versions when a newer version is processed, and its pending alert is dropped', async () => {
    const file = path.join(test.inbox, 'orders.parquet');
    fs.writeFileSync(file, 'PAR1 this is not a parquet file PAR1');
    const open = () =>
      test.open({
        raw: {
          // No sender runs in these runs: the alert stays in the outbox, as one not yet delivered.
          alerts: [{ url: 'http://127.0.0.1:9/hook', format: 'json', on: ['file.quarantined'], cooldown: '0s' }],
          pipelines: { orders: { source: { modifiedWithin: null, glob: '*.parquet' }, sink: { table: 'orders' } } },
        },
      });
    await runOnce(await open());
    const before = (await test.db.pool.query("SELECT id, status, error_code FROM ferry_files WHERE key = 'orders.parquet'")).rows;
    assert.deepEqual(
      before.map((row) => [row.status, row.error_code]),
      [['quarantined', 'FILE_CORRUPT']],
    );
    const pending = await test.db.pool.query("SELECT status FROM ferry_alerts WHERE split_part(dedup_key, ':', 2) = $1", [String(before[0].id)]);
    assert.deepEqual(
      pending.rows.map((row) => row.status),
      ['pending'],
    );

    // The fixed file, under the same key: a new version.
    pl.DataFrame({ id: [1, 2, 3] })
      .withColumns(pl.col('id').cast(pl.Int64))
      .writeParquet(file);
    fs.utimesSync(file, new Date(), new Date(Date.now() + 5_000));
    await runOnce(await open());
    const after = (await test.db.pool.query("SELECT id, status, error_code FROM ferry_files WHERE key = 'orders.parquet' ORDER BY id")).rows;
    assert.deepEqual(
      after.map((row) => [row.status, row.error_code]),
      [
        ['superseded', 'FILE_CORRUPT'],
        ['processed', null],
      ],
    );
    assert.equal((await test.db.pool.query("SELECT count(*)::int AS n FROM ferry_files WHERE status = 'quarantined'")).rows[0].n, 0);
    const alert = await test.db.pool.query("SELECT status FROM ferry_alerts WHERE split_part(dedup_key, ':', 2) = $1", [String(before[0].id)]);
    assert.deepEqual(
      alert.rows.map((row) => row.status),
      ['suppressed'],
    );
    assert.equal((await test.db.pool.query('SELECT count(*)::int AS n FROM orders')).rows[0].n, 3);
  });
});
