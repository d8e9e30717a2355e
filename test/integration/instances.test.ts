/**
 * Scale-out: three ferry processes on one database and one bucket share 1,000 files through
 * the ledger, and each file version is processed exactly once.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { type RunningFerry, startFerry, waitFor } from '../helpers/ferry-process.ts';
import { parquetBytes, tempDir } from '../helpers/fixtures.ts';
import { type S3Server, startS3Server } from '../helpers/s3-server.ts';

const FILES = 1_000;
let db: TestDatabase;
let s3: S3Server;
let project: string;
const instances: RunningFerry[] = [];

before(async () => {
  db = await createTestDatabase();
  s3 = await startS3Server();
  const bucket = s3.operator();
  const bodies = Array.from({ length: 10 }, (_, i) => parquetBytes(i + 1));
  for (let start = 0; start < FILES; start += 50) {
    await Promise.all(
      Array.from({ length: 50 }, (_, j) => bucket.write(`shared/p${(start + j) % 7}/f-${start + j}.parquet`, bodies[(start + j) % 10] as Buffer)),
    );
  }
  project = tempDir('instances-');
  fs.writeFileSync(
    path.join(project, 'ferry.config.ts'),
    "export default { leaseDuration: '10s', concurrency: 2, pipelines: { default: { schedule: '2s', batch: { files: 20 } } } };\n",
  );
});
after(async () => {
  for (const instance of instances) await instance.stop('SIGKILL');
  await s3.stop();
  await db.drop();
  fs.rmSync(project, { recursive: true, force: true });
});

describe('three instances', () => {
  it(`share ${FILES} files on one database and bucket, each processed exactly once`, async () => {
    const env = { ...s3.env, DATABASE_URL: db.url, FERRY_STORAGE: `s3://${s3.bucket}/shared` };
    await Promise.all(
      [0, 1, 2].map(async () => {
        instances.push(await startFerry({ env, cwd: project }));
      }),
    );
    await waitFor(
      'all files processed',
      async () => ((await db.pool.query("SELECT count(*)::int AS n FROM ferry_files WHERE status = 'processed'")).rows[0].n === FILES ? true : undefined),
      120_000,
    );
    // A few more ticks: nothing is processed again.
    const done = (await db.pool.query('SELECT now() AS at')).rows[0].at;
    await waitFor('two scheduled runs completed after the last file', async () =>
      (await db.pool.query("SELECT count(*)::int AS n FROM ferry_runs WHERE trigger = 'schedule' AND status = 'completed' AND started_at > $1", [done])).rows[0]
        .n >= 2
        ? true
        : undefined,
    );
    for (const instance of instances.splice(0)) assert.equal((await instance.stop('SIGTERM')).code, 143);

    const perFile = await db.pool.query(
      'SELECT count(*)::int AS files, max(n)::int AS most FROM (SELECT file_name, count(*) AS n FROM etl_results GROUP BY file_name) t',
    );
    assert.deepEqual(perFile.rows[0], { files: FILES, most: 1 });
    const versions = await db.pool.query('SELECT count(*)::int AS n FROM ferry_files');
    assert.equal(versions.rows[0].n, FILES);
    const byInstance = await db.pool.query(
      "SELECT split_part(processed_by, '#', 1) AS instance, count(*)::int AS files FROM ferry_files GROUP BY 1 ORDER BY 2 DESC",
    );
    const runs = await db.pool.query('SELECT trigger, count(*)::int AS n FROM ferry_runs GROUP BY trigger ORDER BY trigger');
    console.log(`three instances: files per instance ${JSON.stringify(byInstance.rows.map((r) => r.files))}; runs ${JSON.stringify(runs.rows)}`);
    assert.ok(byInstance.rows.length >= 2, 'the work was shared');
    // Files were recorded in batches: rows one transaction wrote share its id (xmin).
    const transactions = (await db.pool.query("SELECT count(DISTINCT xmin::text)::int AS n FROM ferry_files WHERE status = 'processed'")).rows[0].n;
    assert.ok(transactions < FILES / 5, `${transactions} transactions for ${FILES} files`);
    const ticks = await db.pool.query("SELECT scheduled_for, count(*)::int AS n FROM ferry_runs WHERE trigger = 'schedule' GROUP BY 1 HAVING count(*) > 1");
    assert.equal(ticks.rowCount, 0, 'each schedule tick ran once across the instances');
  });
});
