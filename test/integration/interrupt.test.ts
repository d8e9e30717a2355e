/**
 * Ctrl-C on `ferry run --once` during a load: the loads in hand roll back, their leases are
 * given back before exit, and an immediate rerun claims them at once; every file is loaded
 * exactly once.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { readLedgerStatus } from '../../src/ledger/index.ts';
import { cleanEnv, FERRY_BIN, waitFor } from '../helpers/ferry-process.ts';
import { writeParquet } from '../helpers/fixtures.ts';
import { useFerryProject } from '../helpers/project.ts';

const FILES = 24;
const ROWS = 150_000;

// Batches of 4 files: Ctrl-C comes while batches are being loaded.
const project = useFerryProject({
  prefix: 'interrupt-',
  config: "export default { concurrency: 2, pipelines: { load: { sink: { table: 'parts' }, batch: { files: 4 } } } };\n",
  files: Object.fromEntries(
    Array.from({ length: FILES }, (_, i) => [`part-${String(i).padStart(2, '0')}.parquet`, (file: string) => writeParquet(file, ROWS, i * ROWS)]),
  ),
});

describe('interrupt', () => {
  it('Ctrl-C during a load, then a rerun at once: every file loaded exactly once, none left waiting for a lease', async () => {
    const child = spawn(process.execPath, [FERRY_BIN, 'run', '--once'], { cwd: project.dir, env: cleanEnv(project.env()), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    // Interrupt once a few files are in and others are being loaded.
    await waitFor(
      'some files processed',
      async () => {
        const done = (await project.db.pool.query("SELECT count(*)::int AS n FROM ferry_files WHERE status = 'processed'").catch(() => ({ rows: [{ n: 0 }] })))
          .rows[0].n;
        return done >= 3 ? true : undefined;
      },
      60_000,
    );
    const leased = (await project.db.pool.query('SELECT count(*)::int AS n FROM ferry_files WHERE lease_owner IS NOT NULL')).rows[0].n;
    // /status and ferry status show the files being loaded now.
    const inProgress = await waitFor('a file in progress', async () => {
      const files = (await readLedgerStatus(project.db.pool)).inProgressByPipeline.get('load') ?? [];
      return files.length > 0 ? files : undefined;
    });
    assert.match(inProgress[0]?.key ?? '', /^part-\d\d\.parquet$/);
    const stoppedAt = Date.now();
    child.kill('SIGINT');
    const code = await exited;
    const stopMs = Date.now() - stoppedAt;
    assert.equal(code, 130, stderr);
    assert.match(stderr, /stopped; files not finished were rolled back/);

    const after = await project.db.pool.query(
      "SELECT count(*) FILTER (WHERE status = 'processed')::int AS processed, count(*) FILTER (WHERE lease_owner IS NOT NULL)::int AS leased FROM ferry_files",
    );
    assert.equal(after.rows[0].leased, 0, 'no lease is left behind');
    const processedBefore = after.rows[0].processed;
    assert.ok(processedBefore < FILES, 'the run was stopped before the end');

    const rerun = await project.run(['run', '--once', '--json'], { timeoutMs: 120_000 });
    assert.equal(rerun.code, 0, rerun.stderr);
    const summary = JSON.parse(rerun.stdout);
    assert.equal(summary.files_processed, FILES - processedBefore, 'the rerun claimed every file not finished, at once');
    const files = await project.db.pool.query("SELECT count(*)::int AS n, max(attempts)::int AS attempts FROM ferry_files WHERE status = 'processed'");
    assert.equal(files.rows[0].n, FILES);
    assert.equal(files.rows[0].attempts, 1, 'an interrupted claim is not counted as an attempt');
    const loaded = await project.db.pool.query('SELECT count(*)::bigint AS n, count(DISTINCT id)::bigint AS ids FROM parts');
    assert.equal(Number(loaded.rows[0].n), FILES * ROWS);
    assert.equal(Number(loaded.rows[0].ids), FILES * ROWS, 'no row loaded twice');
    console.log(`interrupt: ${processedBefore} of ${FILES} files done, ${leased} leased when Ctrl-C came; stopped in ${stopMs} ms`);
  });
});
