/**
 * Crash isolation with real processes: a reader process aborts while it reads one file (a
 * test-only module loaded into ferry's processes makes it call process.abort(), as a native
 * Polars panic does; see helpers/abort-reader-hook.ts). The service stays up, every other file
 * is loaded, the file is quarantined as a poison file with its reason, and a restart does not
 * bring the crash back.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import { abortingReaderEnv, waitFor, watchHealth } from '../helpers/ferry-process.ts';
import { writeParquet } from '../helpers/fixtures.ts';
import { useFerryProject } from '../helpers/project.ts';

const GOOD = 12;

const project = useFerryProject({
  prefix: 'reader-crash-',
  config:
    "export default { concurrency: 2, retry: { baseDelay: '100ms', maxDelay: '200ms' }, pipelines: { load: { schedule: '1s', sink: { table: 'loaded' } } } };\n",
  files: {
    ...Object.fromEntries(Array.from({ length: GOOD }, (_, i) => [`good-${i}.parquet`, (file: string) => writeParquet(file, 100 + i, i * 1000)])),
    'poison.parquet': (file) => writeParquet(file, 10),
  },
  env: abortingReaderEnv('poison'),
});

async function fileRows() {
  return (await project.db.pool.query('SELECT key, status, error, error_code, error_step, reader_crashes FROM ferry_files ORDER BY key')).rows;
}

describe('reader crash', () => {
  it('a file that aborts its reader is quarantined as a poison file; the service and every other file go on', async () => {
    const ferry = await project.start();
    const health = watchHealth(ferry.url, 100);
    try {
      const poison = await waitFor('the poison file quarantined', async () => {
        const rows = await fileRows();
        const found = rows.find((row) => row.key === 'poison.parquet');
        return found?.status === 'quarantined' ? found : undefined;
      });
      assert.equal(poison.error_code, 'POISON_FILE');
      assert.equal(poison.reader_crashes, 2);
      assert.equal(poison.error_step, 'read');
      assert.match(poison.error, /the reader process was killed by SIGABRT while reading poison\.parquet/);
      assert.match(poison.error, /limits\.maxReaderCrashes/);
      // Polars ran only in the reader processes: the service never mapped its native library.
      if (process.platform === 'linux') {
        const maps = fs.readFileSync(`/proc/${ferry.child.pid}/maps`, 'utf8');
        assert.doesNotMatch(maps, /nodejs-polars/, 'the service process loaded nodejs-polars');
        assert.match(maps, /node/, 'the service process maps were read');
      }
      await waitFor('every good file processed', async () => {
        const rows = await fileRows();
        return rows.filter((row) => row.status === 'processed').length === GOOD ? true : undefined;
      });
      const loaded = await project.db.pool.query('SELECT count(*)::int AS n FROM loaded');
      assert.equal(
        loaded.rows[0].n,
        Array.from({ length: GOOD }, (_, i) => 100 + i).reduce((a, b) => a + b, 0),
      );
      assert.equal(ferry.child.exitCode, null, 'the service is still running');
      assert.equal(health.failures, 0, '/health answered 200 throughout');
    } finally {
      health.stop();
      const stopped = await ferry.stop('SIGTERM');
      assert.equal(stopped.code, 143, ferry.logs());
    }

    // A restart: the poison file stays quarantined, and no reader dies again, through two
    // completed runs of the restarted service (each lists the poison file and passes it over).
    const lastRun = (await project.db.pool.query('SELECT coalesce(max(id), 0)::int AS id FROM ferry_runs')).rows[0].id;
    const again = await project.start();
    try {
      await waitFor('two runs completed after the restart', async () =>
        (await project.db.pool.query("SELECT count(*)::int AS n FROM ferry_runs WHERE id > $1 AND status = 'completed'", [lastRun])).rows[0].n >= 2
          ? true
          : undefined,
      );
      const poison = (await fileRows()).find((row) => row.key === 'poison.parquet');
      assert.equal(poison?.status, 'quarantined');
      assert.equal(poison?.reader_crashes, 2);
      assert.doesNotMatch(again.logs(), /SIGABRT/);
    } finally {
      assert.equal((await again.stop('SIGTERM')).code, 143);
    }
  });
});
