/**
 * Crash safety: ferry is SIGKILLed at random moments, again and again, while it works through
 * the files; after a last restart every file version has exactly one result. CI runs a short
 * loop; `npm run soak` a long one (FERRY_SOAK_KILLS, FERRY_SOAK_FILES).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { cleanEnv, FERRY_BIN, startFerry, waitFor } from '../helpers/ferry-process.ts';
import { tempDir, writeParquet } from '../helpers/fixtures.ts';

const KILLS = Number(process.env.FERRY_SOAK_KILLS ?? 8);
const FILES = Number(process.env.FERRY_SOAK_FILES ?? 3000);

let db: TestDatabase;
let project: string;
let env: Record<string, string>;

before(async () => {
  db = await createTestDatabase();
  project = tempDir('kill-loop-');
  const inbox = path.join(project, 'inbox');
  for (let i = 0; i < FILES; i++) writeParquet(path.join(inbox, `batch-${i % 10}`, `file-${i}.parquet`), 1 + (i % 50), i);
  // Short leases, so that a killed worker's file is taken over within seconds.
  fs.writeFileSync(
    path.join(project, 'ferry.config.ts'),
    "export default { leaseDuration: '2s', concurrency: 2, pipelines: { default: { schedule: '1s', batch: { files: 2 } } } };\n",
  );
  env = { DATABASE_URL: db.url, FERRY_STORAGE: inbox, PORT: '0' };
});
after(async () => {
  await db.drop();
  fs.rmSync(project, { recursive: true, force: true });
});

async function processedCount(): Promise<number> {
  return (await db.pool.query("SELECT count(*)::int AS n FROM ferry_files WHERE status = 'processed'")).rows[0].n;
}

describe('kill loop', () => {
  it(`SIGKILLed ${KILLS} times at random moments, every file is processed exactly once`, async () => {
    const progress: number[] = [];
    for (let kill = 0; kill < KILLS; kill++) {
      const child = spawn(process.execPath, [FERRY_BIN, 'start'], { cwd: project, env: cleanEnv(env), stdio: 'ignore' });
      // Start-up takes about half a second; kill anywhere from before it is up to well into the work.
      await new Promise((resolve) => setTimeout(resolve, 300 + Math.random() * 1_700));
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
      progress.push(await processedCount());
    }
    const ferry = await startFerry({ env, cwd: project });
    try {
      await waitFor(
        'every file processed',
        async () => {
          const pending = (await db.pool.query("SELECT count(*)::int AS n FROM ferry_files WHERE status <> 'processed'")).rows[0].n;
          return (await processedCount()) === FILES && pending === 0 ? true : undefined;
        },
        120_000,
      );
    } finally {
      const stopped = await ferry.stop('SIGTERM');
      assert.equal(stopped.code, 143);
    }
    const perFile = await db.pool.query('SELECT file_name, count(*)::int AS n, min(row_count)::int AS rows FROM etl_results GROUP BY file_name');
    assert.equal(perFile.rows.length, FILES);
    for (const row of perFile.rows) {
      assert.equal(row.n, 1, `${row.file_name} has ${row.n} results`);
      assert.equal(row.rows, 1 + (Number(/file-(\d+)/.exec(row.file_name)?.[1]) % 50));
    }
    // Files were recorded in batches (rows one transaction wrote share its id, xmin).
    const transactions = (await db.pool.query("SELECT count(DISTINCT xmin::text)::int AS n FROM ferry_files WHERE status = 'processed'")).rows[0].n;
    assert.ok(transactions < FILES * 0.75, `${transactions} transactions for ${FILES} files`);
    const attempts = (await db.pool.query('SELECT max(attempts)::int AS max, sum(attempts)::int AS total FROM ferry_files')).rows[0];
    const takenOver = (await db.pool.query('SELECT count(*)::int AS n FROM ferry_files WHERE attempts > 1')).rows[0].n;
    console.log(
      `kill loop: ${KILLS} kills, ${FILES} files in batches of up to 2 (${transactions} transactions); processed after each kill: ${progress.join(' ')}; files taken over after a kill: ${takenOver}; attempts max ${attempts.max}, total ${attempts.total}`,
    );
  });
});
