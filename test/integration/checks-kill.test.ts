/**
 * Rejected rows are loaded in the transaction that loads the good rows and records the file:
 * ferry is SIGKILLed at random moments while it loads files that reject rows, then restarted;
 * every file's good rows and rejected rows are there exactly once, and no reader process
 * outlives a killed ferry.
 *
 * (Whether files were loaded in batches is not asserted: a file whose claim died with ferry is
 * processed alone by design, so how much batching remains depends on when the kills land.)
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pl from 'nodejs-polars';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { cleanEnv, FERRY_BIN, startFerry, waitFor } from '../helpers/ferry-process.ts';
import { tempDir } from '../helpers/fixtures.ts';
import { childPids, waitGone } from '../helpers/processes.ts';

const FILES = 40;
const ROWS = 2_000;
/** Every 50th row has a negative amount: 40 rejected rows per file. */
const REJECTED = ROWS / 50;
const KILLS = 4;

let db: TestDatabase;
let project: string;
let env: Record<string, string>;

before(async () => {
  db = await createTestDatabase();
  project = tempDir('checks-kill-');
  const inbox = path.join(project, 'inbox');
  fs.mkdirSync(inbox);
  for (let f = 0; f < FILES; f++) {
    const ids = Array.from({ length: ROWS }, (_, i) => f * ROWS + i);
    pl.DataFrame([
      pl.Series('id', ids, pl.Int64),
      pl.Series(
        'amount',
        ids.map((id, i) => (i % 50 === 7 ? -id : id / 10)),
        pl.Float64,
      ),
    ]).writeParquet(path.join(inbox, `part-${String(f).padStart(2, '0')}.parquet`));
  }
  fs.writeFileSync(
    path.join(project, 'ferry.config.ts'),
    `export default { leaseDuration: '2s', pipelines: { load: { schedule: '1s', source: { modifiedWithin: null }, batch: { files: 8 },
      checks: [{ rule: 'range', column: 'amount', min: 0, action: 'reject' }], sink: { table: 'amounts', lineage: true } } } };\n`,
  );
  env = { DATABASE_URL: db.url, FERRY_STORAGE: inbox, PORT: '0' };
});
after(async () => {
  await db.drop();
  fs.rmSync(project, { recursive: true, force: true });
});

describe('checks under SIGKILL', () => {
  it(`killed ${KILLS} times while rejecting rows: every file's good rows and rejects exactly once`, async () => {
    for (let kill = 0; kill < KILLS; kill++) {
      const child = spawn(process.execPath, [FERRY_BIN, 'start'], { cwd: project, env: cleanEnv(env), stdio: 'ignore' });
      // A random moment (not a condition): the kills are meant to land anywhere in the work.
      await new Promise((resolve) => setTimeout(resolve, 600 + Math.random() * 1_400));
      const readers = childPids(child.pid as number, 'reader-process');
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
      await waitGone(readers, 5_000); // its readers die with it
    }
    const ferry = await startFerry({ env, cwd: project });
    try {
      await waitFor(
        'every file processed',
        async () => {
          const done = (await db.pool.query("SELECT count(*)::int AS n FROM ferry_files WHERE status = 'processed'")).rows[0].n;
          return done === FILES ? true : undefined;
        },
        120_000,
      );
    } finally {
      assert.equal((await ferry.stop('SIGTERM')).code, 143);
    }
    const loaded = await db.pool.query('SELECT _ferry_file AS file, count(*)::int AS n, count(DISTINCT id)::int AS ids FROM amounts GROUP BY 1');
    const rejected = await db.pool.query(
      'SELECT _ferry_file AS file, count(*)::int AS n, count(DISTINCT row_number)::int AS rows FROM amounts_rejects GROUP BY 1',
    );
    assert.equal(loaded.rows.length, FILES);
    assert.equal(rejected.rows.length, FILES);
    for (const row of loaded.rows) assert.deepEqual([row.n, row.ids], [ROWS - REJECTED, ROWS - REJECTED], row.file);
    for (const row of rejected.rows) assert.deepEqual([row.n, row.rows], [REJECTED, REJECTED], row.file);
    const ledger = await db.pool.query('SELECT sum(rows)::int AS rows, sum(rows_rejected)::int AS rejected FROM ferry_files');
    assert.deepEqual(ledger.rows[0], { rows: FILES * (ROWS - REJECTED), rejected: FILES * REJECTED });
    const results = await db.pool.query("SELECT count(*)::int AS n FROM ferry_check_results WHERE outcome = 'rejected' AND failing = $1", [REJECTED]);
    assert.equal(results.rows[0].n, FILES, 'one result per file version and rule');
    const unfinished = await db.pool.query("SELECT count(*)::int AS n FROM ferry_files WHERE status <> 'processed' OR lease_owner IS NOT NULL");
    assert.equal(unfinished.rows[0].n, 0, 'every file processed, no lease left');
  });
});
