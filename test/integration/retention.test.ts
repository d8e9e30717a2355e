/**
 * A ledger that stays small: `listFrom: 'last-seen'` on a local folder lists only the new tail;
 * retention deletes only the rows that can no longer matter, and after it no file is loaded
 * twice.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { pruneLedger } from '../../src/ledger/index.ts';
import { writeParquet } from '../helpers/fixtures.ts';
import { runOnce, useTestRuntime } from '../helpers/runtime.ts';

const test = useTestRuntime('retention-');
const DAY = 24 * 3600 * 1000;

async function statuses(): Promise<Record<string, string>> {
  const rows = (await test.db.pool.query('SELECT key, status FROM ferry_files ORDER BY key')).rows;
  return Object.fromEntries(rows.map((row) => [row.key, row.status]));
}

describe('listing from the last key seen', () => {
  it('a local folder: only keys after the newest recorded one are listed', async () => {
    await test.db.pool.query('TRUNCATE etl_results');
    for (const day of ['01', '02', '03']) writeParquet(path.join(test.inbox, '2026', '11', day, 'part.parquet'), 5);
    const raw = { pipelines: { daily: { source: { glob: '**/*.parquet', modifiedWithin: null, listFrom: 'last-seen' } } } };
    const first = await runOnce(await test.open({ raw }));
    assert.deepEqual([first.counts.files_listed, first.counts.files_processed], [3, 3]);
    writeParquet(path.join(test.inbox, '2026', '11', '04', 'part.parquet'), 5);
    writeParquet(path.join(test.inbox, '2026', '10', '31', 'late.parquet'), 5);
    const second = await runOnce(await test.open({ raw }));
    assert.deepEqual([second.counts.files_listed, second.counts.files_processed], [1, 1]);
    assert.deepEqual(Object.keys(await statuses()), [
      '2026/11/01/part.parquet',
      '2026/11/02/part.parquet',
      '2026/11/03/part.parquet',
      '2026/11/04/part.parquet',
    ]);
  });
});

describe('retention', () => {
  it('deletes superseded versions and processed versions older than the window; keeps what prevents a reload', async () => {
    await test.db.pool.query('TRUNCATE etl_results');
    // Two pipelines on the same folder: one with a 2-day window, one without any.
    writeParquet(path.join(test.inbox, 'old.parquet'), 3);
    writeParquet(path.join(test.inbox, 'new.parquet'), 3);
    const old = new Date(Date.now() - 10 * DAY);
    fs.utimesSync(path.join(test.inbox, 'old.parquet'), old, old);
    const raw = {
      pipelines: {
        windowed: { source: { glob: '*.parquet', modifiedWithin: '2d' } },
        everything: { source: { glob: '*.parquet', modifiedWithin: null }, sink: { table: 'everything' } },
      },
    };
    const runtime = await test.open({ raw });
    const { runPipeline } = await import('../../src/worker/index.ts');
    for (const pipeline of runtime.config.pipelines) await runPipeline(runtime, { pipeline, trigger: 'manual' });
    // The windowed pipeline did not take old.parquet (outside its window); make it look as if it
    // had, long ago, when the file was new: then the window has moved past it.
    await test.db.pool.query(
      `INSERT INTO ferry_files (pipeline, key, version, size, last_modified, status, finished_at)
       VALUES ('windowed', 'old.parquet', 'v-old', 1, now() - interval '10 days', 'processed', now() - interval '9 days'),
              ('windowed', 'gone.parquet', 'v1', 1, now() - interval '10 days', 'superseded', now() - interval '9 days'),
              ('windowed', 'broken.parquet', 'v1', 1, now() - interval '10 days', 'quarantined', now() - interval '9 days'),
              ('windowed', 'waiting.parquet', 'v1', 1, now() - interval '10 days', 'pending', NULL)`,
    );
    // Everything finished long ago, as far as retention is concerned.
    await test.db.pool.query("UPDATE ferry_files SET finished_at = now() - interval '9 days' WHERE finished_at IS NOT NULL");
    await test.db.pool.query("UPDATE ferry_runs SET finished_at = now() - interval '9 days'");

    const dryRun = await pruneLedger(test.db.pool, runtime.config.pipelines, 7 * DAY, { dryRun: true });
    assert.deepEqual({ ...dryRun, runs: 0 }, { superseded: 1, processed: 1, runs: 0, alerts: 0 });
    const counts = await pruneLedger(test.db.pool, runtime.config.pipelines, 7 * DAY);
    assert.deepEqual(counts, dryRun);
    const left = (await test.db.pool.query('SELECT pipeline, key, status FROM ferry_files ORDER BY pipeline, key')).rows;
    assert.deepEqual(left, [
      // Without a window every processed version is kept: it is what keeps the file from loading twice.
      { pipeline: 'everything', key: 'new.parquet', status: 'processed' },
      { pipeline: 'everything', key: 'old.parquet', status: 'processed' },
      { pipeline: 'windowed', key: 'broken.parquet', status: 'quarantined' },
      { pipeline: 'windowed', key: 'new.parquet', status: 'processed' },
      { pipeline: 'windowed', key: 'waiting.parquet', status: 'pending' },
    ]);
    // Each pipeline keeps its newest run.
    assert.ok((await test.db.pool.query('SELECT count(DISTINCT pipeline)::int AS n FROM ferry_runs')).rows[0].n === 2);

    // Runs after the prune load nothing twice: old.parquet is outside the window, the rest is recorded.
    await test.db.pool.query("DELETE FROM ferry_files WHERE key = 'waiting.parquet'");
    for (const pipeline of runtime.config.pipelines) {
      const summary = await runPipeline(runtime, { pipeline, trigger: 'manual' });
      assert.equal(summary.status === 'completed' && summary.counts.files_processed, 0, pipeline.name);
    }
    assert.equal((await test.db.pool.query('SELECT count(*)::int AS n FROM everything')).rows[0].n, 6);
    assert.equal((await test.db.pool.query("SELECT count(*)::int AS n FROM etl_results WHERE file_name = 'new.parquet'")).rows[0].n, 1);
  });
});
