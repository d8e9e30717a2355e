/** The `ferry` command as a subprocess: summaries, exit codes, and one-line errors that name the cause. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { runFerry } from '../helpers/ferry-process.ts';
import { tempDir, writeParquet } from '../helpers/fixtures.ts';

let db: TestDatabase;
let inbox: string;
let env: Record<string, string>;

before(async () => {
  db = await createTestDatabase({ migrate: false });
  inbox = tempDir('inbox-');
  writeParquet(path.join(inbox, 'one.parquet'), 100);
  writeParquet(path.join(inbox, 'deep/two.parquet'), 2_345);
  fs.writeFileSync(path.join(inbox, 'broken.parquet'), 'PAR1 but nothing else');
  env = { DATABASE_URL: db.url, FERRY_STORAGE: inbox };
});
after(async () => {
  await db.drop();
});

describe('ferry CLI', () => {
  it('migrate applies the migrations, then finds nothing to do', async () => {
    const first = await runFerry(['migrate'], { env });
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /applied: 0001_ledger/);
    const second = await runFerry(['migrate'], { env });
    assert.equal(second.stdout.trim(), 'database is up to date');
  });

  it('run --once --json prints the summary and exits 0 when the run completed', async () => {
    const result = await runFerry(['run', '--once', '--json'], { env });
    assert.equal(result.code, 0, result.stderr);
    const summary = JSON.parse(result.stdout);
    assert.equal(summary.status, 'completed');
    assert.equal(summary.files_processed, 2);
    assert.equal(summary.files_failed, 1);
    assert.equal(summary.files_skipped, 0);
    assert.equal(summary.failures.length, 1);
    assert.equal(summary.failures[0].file, 'broken.parquet');
    assert.equal(summary.failures[0].step, 'read');
    assert.match(summary.failures[0].error, /broken\.parquet is not a readable Parquet file/);

    const again = JSON.parse((await runFerry(['run', '--once', '--json', '--pipeline', 'default'], { env })).stdout);
    assert.deepEqual([again.files_processed, again.files_failed, again.files_skipped], [0, 0, 3]);
  });

  it('run --once prints a readable summary without --json', async () => {
    const result = await runFerry(['run', '--once'], { env });
    assert.equal(result.code, 0);
    assert.match(result.stdout, /^default: run \d+ completed: 0 processed \(0 rows loaded, 0 rejected\), 0 failed, 0 to retry, 3 already done$/m);
  });

  it('status and files read the ledger', async () => {
    const status = JSON.parse((await runFerry(['status', '--json'], { env })).stdout);
    assert.equal(status.total_files_processed, 2);
    assert.deepEqual(status.pipelines[0].files, { pending: 0, processed: 2, quarantined: 1, superseded: 0 });
    const failed = JSON.parse((await runFerry(['files', '--status', 'quarantined', '--json'], { env })).stdout);
    assert.deepEqual(
      failed.files.map((f: { key: string }) => f.key),
      ['broken.parquet'],
    );
    const table = await runFerry(['files'], { env });
    assert.match(table.stdout, /deep\/two\.parquet\s+processed\s+2345/);
  });

  it('retry requeues quarantined files; a new version of one is processed normally', async () => {
    const none = await runFerry(['retry', 'one.parquet'], { env });
    assert.equal(none.code, 1, 'a processed file is never requeued');
    assert.match(none.stdout, /nothing to requeue/);
    const usage = await runFerry(['retry'], { env });
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--all-quarantined/);

    const all = await runFerry(['retry', '--all-quarantined'], { env });
    assert.equal(all.code, 0, all.stderr);
    assert.match(all.stdout, /^requeued \d+ default broken\.parquet$/m);
    const rerun = JSON.parse((await runFerry(['run', '--once', '--json'], { env })).stdout);
    assert.equal(rerun.files_failed, 1, 'still broken: quarantined again');

    writeParquet(path.join(inbox, 'broken.parquet'), 77);
    const fixed = JSON.parse((await runFerry(['run', '--once', '--json'], { env })).stdout);
    assert.equal(fixed.files_processed, 1);
    // The fixed version loaded: the old, quarantined one left the quarantine in that transaction.
    const byKey = JSON.parse((await runFerry(['retry', 'broken.parquet', '--json'], { env })).stdout);
    assert.equal(byKey.requeued.length, 0, 'nothing quarantined is left to requeue');
    const last = JSON.parse((await runFerry(['run', '--once', '--json'], { env })).stdout);
    assert.equal(last.files_processed, 0);
    const superseded = JSON.parse((await runFerry(['files', '--status', 'superseded', '--json'], { env })).stdout);
    assert.deepEqual(
      superseded.files.map((f: { key: string }) => f.key),
      ['broken.parquet'],
      'the old version was replaced by a version that loaded: superseded',
    );
  });

  it('a bad config exits non-zero with one line naming the field', async () => {
    const schedule = await runFerry(['run', '--once'], { env: { ...env, FERRY_SCHEDULE: 'every other tuesday' } });
    assert.equal(schedule.code, 2);
    assert.equal(schedule.stderr.trim().split('\n').length, 1);
    assert.match(schedule.stderr, /^ferry: invalid config: FERRY_SCHEDULE: "every other tuesday" is neither a duration/);

    const dir = tempDir('project-');
    fs.writeFileSync(path.join(dir, 'ferry.config.ts'), "export default { pipelines: { nightly: { source: { modifiedWithin: 'a week' } } } };\n");
    const file = await runFerry(['run', '--once'], { env, cwd: dir });
    assert.equal(file.code, 2);
    assert.match(file.stderr, /^ferry: invalid ferry\.config\.ts: pipelines\.nightly\.source\.modifiedWithin: "a week" is not a duration/);
  });

  it('says which is unreachable, the database or the storage, without the password', async () => {
    const database = await runFerry(['run', '--once', '--json'], { env: { ...env, DATABASE_URL: 'postgres://ferry:hunter2-secret@127.0.0.1:9/ferry' } });
    assert.equal(database.code, 1);
    assert.match(database.stderr, /^ferry: database postgres:\/\/ferry:\*\*\*@127\.0\.0\.1:9\/ferry is unreachable: /);
    assert.doesNotMatch(database.stderr + database.stdout, /hunter2/);

    const storage = await runFerry(['run', '--once'], { env: { ...env, FERRY_STORAGE: path.join(inbox, 'no-such-folder') } });
    assert.equal(storage.code, 2, 'a folder that does not exist is a mistake in the config');
    assert.match(storage.stderr, /^ferry: storage .*no-such-folder does not exist/);

    const s3 = await runFerry(['run', '--once'], {
      env: {
        ...env,
        FERRY_STORAGE: 's3://bucket/x',
        AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
        AWS_ACCESS_KEY_ID: 'AKIA',
        AWS_SECRET_ACCESS_KEY: 'very-secret-key',
      },
    });
    assert.equal(s3.code, 1);
    assert.match(s3.stderr, /^ferry: storage s3:\/\/bucket\/x\/ is unreachable/);
    assert.doesNotMatch(s3.stderr, /very-secret-key/);
  });

  it('preview shows the schema, first rows and table of one file after the transform, and loads nothing', async () => {
    const dir = tempDir('preview-');
    fs.writeFileSync(path.join(dir, 'people.csv'), 'id;name;score\n1;Ann;3.5\n2;NA;NA\n');
    fs.writeFileSync(
      path.join(dir, 'ferry.config.ts'),
      "import { defineConfig, pl } from 'ferry';\nexport default defineConfig({ pipelines: { people: { source: { glob: '*.csv', csv: { delimiter: ';', nullValues: ['NA'] } }, transform: (lf) => lf.withColumns(pl.col('score').mul(2).alias('doubled')), sink: { table: 'people', schema: 'raw' } } } });\n",
    );
    // Inside the repository, so that the config's `import … from 'ferry'` resolves; no database is configured or started.
    const project = fs.mkdtempSync(path.join(process.cwd(), '.ferry-test', 'preview-'));
    fs.cpSync(dir, project, { recursive: true });
    const result = await runFerry(['preview', 'people.csv', '--json'], { env: { FERRY_STORAGE: project }, cwd: project });
    assert.equal(result.code, 0, result.stderr);
    const shown = JSON.parse(result.stdout);
    assert.equal(shown.rows, 2);
    assert.deepEqual(
      shown.schema.map((c: { column: string; postgres: string }) => `${c.column} ${c.postgres}`),
      ['id bigint', 'name text', 'score double precision', 'doubled double precision'],
    );
    assert.deepEqual(shown.head[0], { id: 1, name: 'Ann', score: 3.5, doubled: 7 });
    assert.equal(shown.ddl, 'CREATE TABLE IF NOT EXISTS "raw"."people" ("id" bigint, "name" text, "score" double precision, "doubled" double precision);');
    assert.ok(!fs.existsSync(path.join(project, '.ferry')), 'no embedded database was started');
    const text = await runFerry(['preview', 'people.csv'], { env: { FERRY_STORAGE: project }, cwd: project });
    assert.match(text.stdout, /^ {2}doubled: Float64 → double precision$/m);
    fs.rmSync(project, { recursive: true, force: true });
  });

  it('--help lists the commands', async () => {
    const help = await runFerry(['--help'], { env });
    for (const command of ['start', 'run', 'status', 'files', 'retry', 'preview', 'migrate']) assert.match(help.stdout, new RegExp(`^  ${command}\\b`, 'm'));
  });
});
