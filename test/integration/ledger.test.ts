/** The ledger's promises on a local folder and a real PostgreSQL: each file version counted once, whatever happens. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { claimFiles, dueCandidates, lockClaimedFile, recordListingPage, startRun } from '../../src/ledger/index.ts';
import { inTransaction } from '../../src/postgres/index.ts';
import type { Runtime } from '../../src/runtime.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { tempDir, writeParquet } from '../helpers/fixtures.ts';
import { openTestRuntime, runOnce } from '../helpers/runtime.ts';

let db: TestDatabase;
let inbox: string;
let runtime: Runtime | null = null;

async function results(): Promise<{ file_name: string; row_count: number }[]> {
  const result = await db.pool.query('SELECT file_name, row_count FROM etl_results ORDER BY file_name, id');
  return result.rows;
}

async function open(env: Record<string, string> = {}, raw?: unknown): Promise<Runtime> {
  await runtime?.close();
  runtime = await openTestRuntime({ databaseUrl: db.url, storage: inbox, env, raw });
  return runtime;
}

before(async () => {
  db = await createTestDatabase();
});
after(async () => {
  await runtime?.close();
  await db.drop();
});
beforeEach(async () => {
  await db.pool.query('TRUNCATE etl_results, ferry_files, ferry_runs RESTART IDENTITY CASCADE');
  inbox = tempDir('inbox-');
});

describe('ledger', () => {
  it('counts each file version once across runs and restarts', async () => {
    writeParquet(path.join(inbox, 'a.parquet'), 10);
    writeParquet(path.join(inbox, 'nested/deeper/b.parquet'), 2_000);
    writeParquet(path.join(inbox, 'c.parquet'), 0);
    fs.writeFileSync(path.join(inbox, 'notes.txt'), 'not a parquet file, not matched');

    const first = await runOnce(await open());
    assert.equal(first.status, 'completed');
    assert.deepEqual(
      { ...first.counts },
      {
        files_listed: 3,
        files_discovered: 3,
        files_processed: 3,
        files_failed: 0,
        files_retrying: 0,
        files_skipped: 0,
        files_outside_window: 0,
        files_hidden: 0,
      },
    );
    const expected = [
      { file_name: 'a.parquet', row_count: 10 },
      { file_name: 'c.parquet', row_count: 0 },
      { file_name: 'nested/deeper/b.parquet', row_count: 2_000 },
    ];
    assert.deepEqual(await results(), expected);

    const second = await runOnce(await open());
    assert.equal(second.counts.files_processed, 0);
    assert.equal(second.counts.files_skipped, 3);
    const third = await runOnce(await open()); // a new runtime: a restart
    assert.equal(third.counts.files_processed, 0);
    assert.deepEqual(await results(), expected);

    const timestamps = await db.pool.query('SELECT DISTINCT r."timestamp" = run.started_at AS same FROM etl_results r, ferry_runs run WHERE run.id = 1');
    assert.deepEqual(timestamps.rows, [{ same: true }], 'etl_results.timestamp is the time of the run that counted the file');
  });

  it('counts an overwritten file again as a new version', async () => {
    const file = writeParquet(path.join(inbox, 'a.parquet'), 5);
    await runOnce(await open());
    writeParquet(file, 7, 100);
    const run = await runOnce(runtime as Runtime);
    assert.equal(run.counts.files_processed, 1);
    assert.deepEqual(await results(), [
      { file_name: 'a.parquet', row_count: 5 },
      { file_name: 'a.parquet', row_count: 7 },
    ]);
    const versions = await db.pool.query("SELECT count(DISTINCT version)::int AS n FROM ferry_files WHERE key = 'a.parquet' AND status = 'processed'");
    assert.equal(versions.rows[0].n, 2);
  });

  it('records an unreadable file as failed with its reason and step, and still counts the others', async () => {
    writeParquet(path.join(inbox, 'good.parquet'), 3);
    fs.writeFileSync(path.join(inbox, 'garbage.parquet'), 'this is not parquet');
    const good = fs.readFileSync(path.join(inbox, 'good.parquet'));
    fs.writeFileSync(path.join(inbox, 'truncated.parquet'), good.subarray(0, Math.floor(good.length / 2)));
    fs.writeFileSync(path.join(inbox, 'empty.parquet'), '');

    const run = await runOnce(await open());
    assert.equal(run.status, 'completed');
    assert.equal(run.counts.files_processed, 1);
    assert.equal(run.counts.files_failed, 3);
    assert.deepEqual(await results(), [{ file_name: 'good.parquet', row_count: 3 }]);
    const failed = await db.pool.query("SELECT key, error, error_step FROM ferry_files WHERE status = 'quarantined' ORDER BY key");
    assert.deepEqual(
      failed.rows.map((row) => row.key),
      ['empty.parquet', 'garbage.parquet', 'truncated.parquet'],
    );
    for (const row of failed.rows) {
      assert.equal(row.error_step, 'read');
      assert.match(row.error, new RegExp(`^${row.key.replace('.', '\\.')} is not a readable Parquet file: .+`));
    }
    const again = await runOnce(runtime as Runtime);
    assert.equal(again.counts.files_failed, 0, 'a failed version is not retried by later runs');
  });

  it('leaves out files older than the window', async () => {
    writeParquet(path.join(inbox, 'new.parquet'), 1);
    const old = writeParquet(path.join(inbox, 'old.parquet'), 1);
    const twoDaysAgo = new Date(Date.now() - 2 * 86_400_000);
    fs.utimesSync(old, twoDaysAgo, twoDaysAgo);
    const run = await runOnce(await open());
    assert.equal(run.counts.files_processed, 1);
    assert.equal(run.counts.files_skipped, 0, 'a file outside the window is not counted as done');
    assert.equal(run.counts.files_outside_window, 1);
    await runOnce(await open({ FERRY_WINDOW: '3d' }));
    assert.deepEqual(await results(), [
      { file_name: 'new.parquet', row_count: 1 },
      { file_name: 'old.parquet', row_count: 1 },
    ]);
  });

  it('shares many files among parallel workers and counts each once', async () => {
    const files = 200;
    for (let i = 0; i < files; i++) writeParquet(path.join(inbox, `part-${String(i).padStart(3, '0')}.parquet`), i % 50);
    // One file per transaction, so that the helper starts before the run's workers are done
    // (three instances with batches: instances.test.ts).
    const raw = { pipelines: { default: { batch: false } } };
    const rt = await open({}, { concurrency: 6, ...raw });
    const other = await openTestRuntime({ databaseUrl: db.url, storage: inbox, raw });
    try {
      const pipeline = rt.config.pipelines[0]!;
      // Two processes' runs at once: one holds the pipeline's run lock, the other (started as
      // soon as the first run is recorded) helps its run.
      const { runPipeline } = await import('../../src/worker/index.ts');
      const first = runPipeline(rt, { pipeline, trigger: 'manual' });
      while ((await db.pool.query("SELECT 1 FROM ferry_runs WHERE status = 'running'")).rowCount === 0) await new Promise((r) => setTimeout(r, 2));
      const [a, b] = await Promise.all([first, runPipeline(other, { pipeline, trigger: 'manual' })]);
      assert.deepEqual([a.status, b.status], ['completed', 'helped']);
      assert.equal(a.status === 'completed' && a.counts.files_processed, files, 'the run counts the files its helper processed too');
      assert.ok(b.status === 'helped' && b.files.length > 0, 'the helper processed some of the files');
    } finally {
      await other.close();
    }
    const counted = await db.pool.query('SELECT file_name, count(*)::int AS n, min(row_count)::int AS rows FROM etl_results GROUP BY file_name');
    assert.equal(counted.rows.length, files);
    for (const row of counted.rows) {
      assert.equal(row.n, 1);
      assert.equal(row.rows, Number(/part-(\d+)/.exec(row.file_name)?.[1]) % 50);
    }
  });

  it('supersedes a pending version when a newer one is listed', async () => {
    const rt = await open();
    const run = await startRun(rt.pool, { pipeline: 'default', trigger: 'manual', scheduledFor: null, instance: 'test' });
    const v1 = { key: 'k.parquet', etag: 'one', size: 1, lastModified: null };
    assert.deepEqual(await recordListingPage(rt.pool, 'default', run!.id, [v1]), { discovered: 1, superseded: 0, pending: 0 });
    assert.deepEqual(await recordListingPage(rt.pool, 'default', run!.id, [v1]), { discovered: 0, superseded: 0, pending: 1 });
    assert.deepEqual(await recordListingPage(rt.pool, 'default', run!.id, [{ ...v1, etag: 'two' }]), { discovered: 1, superseded: 1, pending: 0 });
    const rows = await db.pool.query("SELECT version, status FROM ferry_files WHERE key = 'k.parquet' ORDER BY id");
    assert.deepEqual(rows.rows, [
      { version: 'etag:one', status: 'superseded' },
      { version: 'etag:two', status: 'pending' },
    ]);
  });

  it('records a page by the range of its keys, or key by key when the ledger holds many more keys in that range', async () => {
    const rt = await open();
    const run = await startRun(rt.pool, { pipeline: 'ranges', trigger: 'manual', scheduledFor: null, instance: 'test' });
    const object = (key: string, etag = 'e') => ({ key, etag, size: 1, lastModified: '2026-01-02T03:04:05.123456789Z' });
    // Keys that need escaping in an array literal, and one that spells NULL, round-trip as keys.
    const odd = ['q"uote.parquet', 'back\\slash.parquet', 'com,ma {x}.parquet', 'NULL'].map((key) => object(key));
    assert.deepEqual(await recordListingPage(rt.pool, 'ranges', run!.id, odd), { discovered: 4, superseded: 0, pending: 0 });
    assert.deepEqual(await recordListingPage(rt.pool, 'ranges', run!.id, odd), { discovered: 0, superseded: 0, pending: 4 });
    const keys = await db.pool.query('SELECT key FROM ferry_files WHERE pipeline = \'ranges\' ORDER BY key COLLATE "C"');
    assert.deepEqual(
      keys.rows.map((row) => row.key),
      odd.map((o) => o.key).sort(),
    );

    // 2,000 keys loaded earlier, then gone from the store but for two: a page of those two and a
    // new key between them spans 2,000 ledger rows, more than four a key.
    const old = Array.from({ length: 2000 }, (_, i) => object(`day/${String(i).padStart(5, '0')}.parquet`));
    for (let i = 0; i < old.length; i += 1000) await recordListingPage(rt.pool, 'ranges', run!.id, old.slice(i, i + 1000));
    await db.pool.query("UPDATE ferry_files SET status = 'processed' WHERE pipeline = 'ranges' AND key LIKE 'day/%'");
    const sparse = [old[0], object('day/01000x.parquet'), old[1999]].map((o) => o as ReturnType<typeof object>);
    assert.deepEqual(await recordListingPage(rt.pool, 'ranges', run!.id, sparse), { discovered: 1, superseded: 0, pending: 0 });
    // The new key changes while pending: superseded, in the key-by-key plan too.
    const changed = [old[0], object('day/01000x.parquet', 'f'), old[1999]].map((o) => o as ReturnType<typeof object>);
    assert.deepEqual(await recordListingPage(rt.pool, 'ranges', run!.id, changed), { discovered: 1, superseded: 1, pending: 0 });
    // A dense page of the same keys: the range plan gives the same answers.
    assert.deepEqual(await recordListingPage(rt.pool, 'ranges', run!.id, old.slice(0, 1000)), { discovered: 0, superseded: 0, pending: 0 });
    const versions = await db.pool.query("SELECT version, status FROM ferry_files WHERE key = 'day/01000x.parquet' ORDER BY id");
    assert.deepEqual(versions.rows, [
      { version: 'etag:e', status: 'superseded' },
      { version: 'etag:f', status: 'pending' },
    ]);
  });

  it('lets a live lease stand, takes over an expired one, and refuses the load of the worker that lost it', async () => {
    const rt = await open();
    const run = await startRun(rt.pool, { pipeline: 'default', trigger: 'manual', scheduledFor: null, instance: 'test' });
    await recordListingPage(rt.pool, 'default', run!.id, [{ key: 'x.parquet', etag: 'e', size: 1, lastModified: null }]);
    // A worker's claim of one file: the due files weighed, then the first one claimed.
    const claim = async (owner: string, leaseMs: number) =>
      (
        await claimFiles(
          rt.pool,
          { pipeline: 'default', owner, leaseMs, runId: run!.id },
          (await dueCandidates(rt.pool, 'default', 1)).map((f) => f.id),
        )
      )[0] ?? null;

    const first = await claim('worker-a', 60_000);
    assert.equal(first?.key, 'x.parquet');
    assert.equal(await claim('worker-b', 60_000), null, 'a live lease is not taken');

    await db.pool.query("UPDATE ferry_files SET lease_expires_at = now() - interval '1 second'");
    const taken = await claim('worker-b', 60_000);
    assert.equal(taken?.id, first?.id);
    assert.equal(taken?.attempts, 2);

    const loserMayCommit = await inTransaction(rt.pool, (client) => lockClaimedFile(client, first!.id, 'worker-a'));
    const winnerMayCommit = await inTransaction(rt.pool, (client) => lockClaimedFile(client, first!.id, 'worker-b'));
    assert.equal(loserMayCommit, false);
    assert.equal(winnerMayCommit, true);
  });
});
