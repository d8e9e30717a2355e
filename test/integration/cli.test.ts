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

  it('check as the first command on a new database: the migrations are applied, no stack trace', async () => {
    const fresh = await createTestDatabase({ migrate: false });
    try {
      const result = await runFerry(['check'], { env: { ...env, DATABASE_URL: fresh.url } });
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.match(result.stdout, /^database: ok/m);
      assert.match(result.stdout, /^default +ok /m);
      assert.doesNotMatch(result.stderr, /does not exist|at .*\.ts:\d+/);
      const tables = await fresh.pool.query("SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'ferry_files'");
      assert.equal(tables.rows[0].n, 1);
    } finally {
      await fresh.drop();
    }
  });

  it('input is checked before anything runs: usage errors exit 2, what is not found exits 1 and is named', async () => {
    const limit = await runFerry(['files', '-n', 'abc'], { env });
    assert.equal(limit.code, 2);
    assert.match(limit.stderr, /^error: option '-n, --limit <n>' argument 'abc' is invalid\. use a whole number of at least 1\./);
    assert.equal(limit.stdout, '');
    for (const args of [['files'], ['runs'], ['retry', '--all-quarantined'], ['reprocess'], ['run', '--once'], ['preview', 'one.parquet']]) {
      const result = await runFerry([...args, '--pipeline', 'nosuch'], { env });
      assert.equal(result.code, 2, args.join(' '));
      assert.equal(result.stderr, 'ferry: --pipeline: there is no pipeline named "nosuch" (configured: default)\n', args.join(' '));
    }
    const unknownOption = await runFerry(['files', '--colour'], { env });
    assert.equal(unknownOption.code, 2);
    assert.match(unknownOption.stderr, /unknown option '--colour'/);
    const reprocess = await runFerry(['reprocess', 'nope.csv', '424242'], { env });
    assert.equal(reprocess.code, 1);
    assert.match(reprocess.stderr, /^ferry: not found in the ledger: nope\.csv, 424242 .*nothing was reprocessed$/m);
    const checks = await runFerry(['checks', 'nope.csv'], { env });
    assert.equal(checks.code, 1);
    assert.match(checks.stderr, /not found in the ledger: nope\.csv/);
    // Commander adds the default itself: the help says it once.
    const runHelp = await runFerry(['run', '--help'], { env });
    assert.doesNotMatch(runHelp.stdout, /default: true/);
    const filesHelp = await runFerry(['files', '--help'], { env });
    assert.match(filesHelp.stdout, /-n, --limit <n> +at most this many \(default: 50\)\n/);
    assert.doesNotMatch(filesHelp.stdout, /default 50/);
  });

  it('preview shows what a load does to an existing table with other columns, and readable types', async () => {
    const project = fs.mkdtempSync(path.join(process.cwd(), '.ferry-test', 'preview-drift-'));
    fs.writeFileSync(path.join(project, 'seen.csv'), 'id,name,seen_at\n1,Ann,2026-01-05T09:15:00\n2,Bob,2026-01-06T10:00:00\n');
    fs.writeFileSync(
      path.join(project, 'ferry.config.ts'),
      "export default { pipelines: { seen: { source: { glob: '*.csv', schema: { id: 'bigint', name: 'text', seen_at: 'timestamp' } }, checks: [{ rule: 'rowCount', min: 1 }], sink: { table: 'seen_drift' } } } };\n",
    );
    await db.pool.query('CREATE TABLE seen_drift (id bigint, extra text)');
    try {
      const projectEnv = { DATABASE_URL: db.url, FERRY_STORAGE: project };
      const json = await runFerry(['preview', 'seen.csv', '--json'], { env: projectEnv, cwd: project });
      assert.equal(json.code, 0, json.stderr);
      const shown = JSON.parse(json.stdout);
      assert.equal(shown.table.exists, true);
      assert.deepEqual(
        shown.table.drift.added.map((c: { name: string }) => c.name),
        ['name', 'seen_at'],
      );
      assert.deepEqual(
        shown.table.drift.missing.map((c: { name: string }) => c.name),
        ['extra'],
      );
      assert.equal(
        shown.ddl,
        'ALTER TABLE "seen_drift" ADD COLUMN IF NOT EXISTS "name" text;\nALTER TABLE "seen_drift" ADD COLUMN IF NOT EXISTS "seen_at" timestamp;',
      );
      const text = await runFerry(['preview', 'seen.csv', '--checks'], { env: projectEnv, cwd: project });
      assert.equal(text.code, 0, text.stderr);
      assert.match(text.stdout, /^pipeline seen, seen\.csv \(CSV\): 2 rows, before the checks$/m);
      assert.match(text.stdout, /^ {2}seen_at: Datetime\(us\) → timestamp$/m);
      assert.match(text.stdout, /^table "seen_drift": exists with other columns: the load adds 2 columns \(schemaDrift: evolve\)/m);
      assert.match(text.stdout, /^ {2}- extra text \(not in the file\)$/m);
      assert.doesNotMatch(text.stdout, /CREATE TABLE/);
      assert.match(text.stdout, /^a load would load 2 rows$/m);
    } finally {
      await db.pool.query('DROP TABLE seen_drift');
      fs.rmSync(project, { recursive: true, force: true });
    }
  });

  it('--help lists the commands', async () => {
    const help = await runFerry(['--help'], { env });
    for (const command of ['start', 'run', 'status', 'files', 'retry', 'preview', 'migrate']) assert.match(help.stdout, new RegExp(`^  ${command}\\b`, 'm'));
  });
});
