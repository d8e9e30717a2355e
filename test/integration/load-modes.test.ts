/** Table sink modes (append, replace, merge), lineage columns and the schema drift policies. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { Runtime } from '../../src/runtime.ts';
import { tempDir } from '../helpers/fixtures.ts';
import { runOnce, useTestRuntime } from '../helpers/runtime.ts';

const test = useTestRuntime('modes-');

async function open(pipeline: Record<string, unknown>): Promise<Runtime> {
  return test.open({ raw: { pipelines: { load: { source: { glob: '*.csv' }, ...pipeline } } } });
}

/** Writes a CSV file and moves its mtime on, so that a rewrite is a new version even within the same second. */
function writeCsv(name: string, text: string, secondsLater = 0): void {
  const file = path.join(test.inbox, name);
  fs.writeFileSync(file, text);
  const at = new Date(Date.now() - 60_000 + secondsLater * 1000);
  fs.utimesSync(file, at, at);
}

async function rows(sql: string): Promise<unknown[]> {
  return (await test.db.pool.query(sql)).rows;
}

describe('load modes', () => {
  it('append: two files give both files’ rows, and an overwrite adds its rows again', async () => {
    writeCsv('a.csv', 'id,v\n1,a\n2,b\n');
    writeCsv('b.csv', 'id,v\n3,c\n');
    await runOnce(await open({ sink: { table: 'appended' } }));
    assert.deepEqual(await rows('SELECT id, v FROM appended ORDER BY id'), [
      { id: 1, v: 'a' },
      { id: 2, v: 'b' },
      { id: 3, v: 'c' },
    ]);
    writeCsv('b.csv', 'id,v\n4,d\n', 10);
    await runOnce(test.runtime as Runtime);
    assert.deepEqual(await rows('SELECT id FROM appended ORDER BY id'), [{ id: 1 }, { id: 2 }, { id: 3 }, { id: 4 }]);
  });

  it('replace: an overwritten file’s new version replaces the rows of its previous version, with lineage', async () => {
    writeCsv('a.csv', 'id,v\n1,old\n2,old\n3,old\n');
    writeCsv('b.csv', 'id,v\n10,b\n');
    await runOnce(await open({ sink: { table: 'replaced', mode: 'replace' } }));
    assert.deepEqual(await rows('SELECT count(*)::int AS n FROM replaced'), [{ n: 4 }]);

    writeCsv('a.csv', 'id,v\n1,new\n5,new\n', 10);
    const run = await runOnce(test.runtime as Runtime);
    assert.equal(run.counts.files_processed, 1);
    assert.deepEqual(await rows('SELECT id, v, _ferry_file FROM replaced ORDER BY id'), [
      { id: 1, v: 'new', _ferry_file: 'a.csv' },
      { id: 5, v: 'new', _ferry_file: 'a.csv' },
      { id: 10, v: 'b', _ferry_file: 'b.csv' },
    ]);
    // The lineage columns name the version loaded and when.
    const versions = await rows(
      `SELECT DISTINCT r._ferry_version = f.version AS same, r._ferry_loaded_at IS NOT NULL AS stamped
         FROM replaced r JOIN ferry_files f ON f.key = r._ferry_file AND f.status = 'processed' AND f.version = r._ferry_version`,
    );
    assert.deepEqual(versions, [{ same: true, stamped: true }]);
    const columns = await rows("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'replaced' ORDER BY ordinal_position");
    assert.deepEqual(
      columns.map((c) => `${(c as { column_name: string }).column_name} ${(c as { data_type: string }).data_type}`),
      ['id bigint', 'v text', '_ferry_file text', '_ferry_version text', '_ferry_loaded_at timestamp with time zone'],
    );
  });

  it('replace: a new version that fails to load leaves the previous version’s rows in place', async () => {
    writeCsv('a.csv', 'id,v\n1,old\n');
    await runOnce(await open({ sink: { table: 'kept', mode: 'replace' } }));
    writeCsv('a.csv', 'id,v\nnot-a-number,new\n', 10);
    await runOnce(test.runtime as Runtime);
    assert.deepEqual(await rows('SELECT id, v FROM kept'), [{ id: 1, v: 'old' }]);
    const failed = (await rows("SELECT error_step, error FROM ferry_files WHERE status = 'quarantined'")) as { error_step: string; error: string }[];
    assert.equal(failed[0]?.error_step, 'load');
    assert.match(failed[0]?.error ?? '', /COPY into "kept" failed: invalid input syntax for type bigint: "not-a-number" \(COPY .*line 1/);
  });

  it('merge: upserts on the key, the last row of a key within a file wins', async () => {
    writeCsv('1.csv', 'id,name,score\n1,Ann,10\n2,Bo,20\n3,Cy,30\n');
    await runOnce(await open({ sink: { table: 'people', mode: 'merge', key: ['id'] } }));
    writeCsv('2.csv', 'id,name,score\n3,Cy,31\n4,Di,40\n4,Di,41\n', 10);
    const run = await runOnce(test.runtime as Runtime);
    assert.equal(run.counts.files_processed, 1);
    assert.deepEqual(await rows('SELECT id, name, score FROM people ORDER BY id'), [
      { id: 1, name: 'Ann', score: 10 },
      { id: 2, name: 'Bo', score: 20 },
      { id: 3, name: 'Cy', score: 31 },
      { id: 4, name: 'Di', score: 41 },
    ]);
    const pk = await rows(
      "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey) WHERE i.indrelid = 'people'::regclass AND i.indisprimary",
    );
    assert.deepEqual(pk, [{ attname: 'id' }]);
  });

  it('merge: a table without a unique index on the key, a missing key column and a null key are quarantined with the reason', async () => {
    await test.db.pool.query('DROP TABLE IF EXISTS loose; CREATE TABLE loose (id bigint, name text)');
    writeCsv('a.csv', 'id,name\n1,x\n');
    await runOnce(await open({ sink: { table: 'loose', mode: 'merge', key: ['id'] } }));
    let failed = (await rows("SELECT error_step, error FROM ferry_files WHERE status = 'quarantined'")) as { error_step: string; error: string }[];
    assert.equal(failed[0]?.error_step, 'check');
    assert.match(failed[0]?.error ?? '', /merge into "loose" needs a primary key or unique index on \("id"\).*CREATE UNIQUE INDEX ON "loose" \("id"\)/);

    await test.db.pool.query('TRUNCATE ferry_files, ferry_runs RESTART IDENTITY CASCADE');
    writeCsv('a.csv', 'code,name\n1,x\n', 10);
    await runOnce(await open({ sink: { table: 'keyed', mode: 'merge', key: ['id'] } }));
    failed = (await rows("SELECT error_step, error FROM ferry_files WHERE status = 'quarantined'")) as { error_step: string; error: string }[];
    assert.match(failed[0]?.error ?? '', /a\.csv: the merge key id is not among its columns \(code, name\)/);

    await test.db.pool.query('TRUNCATE ferry_files, ferry_runs RESTART IDENTITY CASCADE');
    writeCsv('a.csv', 'id,name\n1,x\n,y\n', 20);
    await runOnce(await open({ sink: { table: 'keyed', mode: 'merge', key: ['id'] } }));
    failed = (await rows("SELECT error_step, error FROM ferry_files WHERE status = 'quarantined'")) as { error_step: string; error: string }[];
    assert.match(failed[0]?.error ?? '', /null value in column "id"/);
    // The table was to be created in the file's transaction: it rolled back with it.
    assert.deepEqual(await rows("SELECT to_regclass('keyed') AS t"), [{ t: null }]);
  });

  it('schema drift: evolve adds a file’s new columns as nullable; strict quarantines with a diff', async () => {
    writeCsv('1.csv', 'id,name\n1,a\n');
    await runOnce(await open({ sink: { table: 'evolving' } }));
    writeCsv('2.csv', 'id,name,extra\n2,b,1.5\n', 10);
    await runOnce(test.runtime as Runtime);
    assert.deepEqual(await rows('SELECT id, name, extra FROM evolving ORDER BY id'), [
      { id: 1, name: 'a', extra: null },
      { id: 2, name: 'b', extra: 1.5 },
    ]);
    // A file without a column of the table loads it as NULL.
    writeCsv('3.csv', 'id\n3\n', 20);
    await runOnce(test.runtime as Runtime);
    assert.deepEqual(await rows('SELECT id, name, extra FROM evolving WHERE id = 3'), [{ id: 3, name: null, extra: null }]);

    await test.db.pool.query('TRUNCATE ferry_files, ferry_runs RESTART IDENTITY CASCADE');
    test.inbox = tempDir('modes-');
    writeCsv('1.csv', 'id,name\n1,a\n');
    await runOnce(await open({ sink: { table: 'fixed', schemaDrift: 'strict' } }));
    writeCsv('2.csv', 'id,name,extra\n2,b,1.5\n', 10);
    writeCsv('3.csv', 'id,name\n2.5,b\n', 10);
    await runOnce(test.runtime as Runtime);
    const failed = (await rows("SELECT key, error_step, error FROM ferry_files WHERE status = 'quarantined' ORDER BY key")) as {
      key: string;
      error_step: string;
      error: string;
    }[];
    assert.deepEqual(
      failed.map((f) => [f.key, f.error_step]),
      [
        ['2.csv', 'check'],
        ['3.csv', 'check'],
      ],
    );
    assert.equal(failed[0]?.error, '2.csv does not match the columns of "fixed" (schemaDrift: strict): + extra double precision (not in the table)');
    assert.equal(failed[1]?.error, '3.csv does not match the columns of "fixed" (schemaDrift: strict): ~ id: table bigint, file double precision');
    assert.deepEqual(await rows('SELECT id, name FROM fixed'), [{ id: 1, name: 'a' }]);
  });
});
