/** Table sinks: files loaded into PostgreSQL tables with COPY, in the ledger's transaction (append mode). */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import pl from 'nodejs-polars';
import type { Runtime } from '../../src/runtime.ts';
import { tempDir } from '../helpers/fixtures.ts';
import { runOnce, useTestRuntime } from '../helpers/runtime.ts';

const test = useTestRuntime('tables-');

async function open(pipeline: Record<string, unknown>): Promise<Runtime> {
  return test.open({ raw: { pipelines: { load: pipeline } } });
}

/** A pipeline with a transform function: from a config file, as users write it (reader processes load it too). */
async function openWithTransform(transform: string, sink: string): Promise<Runtime> {
  const runtime = await test.open({
    configSource: `import pl from 'nodejs-polars';\nexport default { pipelines: { load: { transform: ${transform}, sink: ${sink} } } };\n`,
  });
  return runtime;
}

function typedFrame(seed: number): pl.DataFrame {
  return pl
    .DataFrame([
      pl.Series('id', [seed, seed + 1, seed + 2], pl.Int64),
      // Beyond 2^53: a JavaScript number cannot hold it, so it is made in Polars from text.
      pl.Series('big', ['9007199254740993', '-1', null]).cast(pl.Int64),
      pl.Series('amount', [1.5, Number.NaN, Number.POSITIVE_INFINITY], pl.Float64),
      pl.Series('name', ['plain', 'comma, "quotes"\nand a newline', null], pl.Utf8),
      pl.Series('empty', ['', 'ünïcødé 日本 🚀', null], pl.Utf8),
      pl.Series('ok', [true, false, null], pl.Bool),
      pl.Series('at', [new Date('2026-01-02T03:04:05.678Z'), null, new Date(0)], pl.Datetime('ms')),
    ])
    .withColumns(pl.col('at').cast(pl.Datetime('us', 'UTC')).alias('at_utc'), pl.col('at').cast(pl.Date).alias('day'));
}

describe('table sink', () => {
  it('creates the table from the schema and appends two Parquet files, values intact', async () => {
    typedFrame(1).writeParquet(path.join(test.inbox, 'a.parquet'));
    typedFrame(10).writeParquet(path.join(test.inbox, 'b.parquet'));
    const run = await runOnce(await open({ sink: { table: 'typed' } }));
    assert.equal(run.counts.files_processed, 2);
    const columns = await test.db.pool.query(
      "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'typed' ORDER BY ordinal_position",
    );
    assert.deepEqual(
      columns.rows.map((c) => `${c.column_name} ${c.data_type}`),
      [
        'id bigint',
        'big bigint',
        'amount double precision',
        'name text',
        'empty text',
        'ok boolean',
        'at timestamp without time zone',
        'at_utc timestamp with time zone',
        'day date',
      ],
    );
    const rows = await test.db.pool.query(
      `SELECT id, big::text, amount::text, name, empty, ok, to_char(at, 'YYYY-MM-DD"T"HH24:MI:SS.MS') AS at, at_utc = at AT TIME ZONE 'UTC' AS same_instant, day::text FROM typed ORDER BY id`,
    );
    assert.equal(rows.rowCount, 6);
    assert.deepEqual(rows.rows[0], {
      id: 1,
      big: '9007199254740993',
      amount: '1.5',
      name: 'plain',
      empty: '',
      ok: true,
      at: '2026-01-02T03:04:05.678',
      same_instant: true,
      day: '2026-01-02',
    });
    assert.deepEqual(rows.rows[1], {
      id: 2,
      big: '-1',
      amount: 'NaN',
      name: 'comma, "quotes"\nand a newline',
      empty: 'ünïcødé 日本 🚀',
      ok: false,
      at: null,
      same_instant: null,
      day: null,
    });
    assert.deepEqual([rows.rows[2].big, rows.rows[2].amount, rows.rows[2].name, rows.rows[2].empty, rows.rows[2].ok], [null, 'Infinity', null, null, null]);
    const ledger = await test.db.pool.query("SELECT sum(rows)::int AS rows FROM ferry_files WHERE status = 'processed'");
    assert.equal(ledger.rows[0].rows, 6);
  });

  it('reads CSV with its own delimiter and null marker, and NDJSON', async () => {
    fs.writeFileSync(path.join(test.inbox, 'people.csv'), 'id;name;score\n1;Ann;3.5\n2;NA;NA\n3;"Bo; Jr";1\n');
    await runOnce(await open({ source: { glob: '*.csv', csv: { delimiter: ';', nullValues: ['NA'] } }, sink: { table: 'people' } }));
    const people = await test.db.pool.query('SELECT id, name, score FROM people ORDER BY id');
    assert.deepEqual(people.rows, [
      { id: 1, name: 'Ann', score: 3.5 },
      { id: 2, name: null, score: null },
      { id: 3, name: 'Bo; Jr', score: 1 },
    ]);
    fs.writeFileSync(path.join(test.inbox, 'events.ndjson'), '{"id":1,"kind":"click"}\n{"id":2,"kind":null}\n');
    await runOnce(await open({ source: { glob: '*.ndjson' }, sink: { table: 'events', schema: 'raw data' } }));
    assert.deepEqual((await test.db.pool.query('SELECT id, kind FROM "raw data".events ORDER BY id')).rows, [
      { id: 1, kind: 'click' },
      { id: 2, kind: null },
    ]);
  });

  it('applies a transform function or Polars SQL before loading', async () => {
    pl.DataFrame({ category: ['a', 'b', 'a', 'b'], status: ['active', 'active', 'active', 'gone'], amount: [1, 2, 3, 4] }).writeParquet(
      path.join(test.inbox, 'sales.parquet'),
    );
    await runOnce(
      await openWithTransform(
        "(lf) => lf.filter(pl.col('status').eq(pl.lit('active'))).groupBy('category').agg(pl.col('amount').sum()).sort('category')",
        "{ table: 'by_category' }",
      ),
    );
    assert.deepEqual((await test.db.pool.query('SELECT category, amount FROM by_category ORDER BY category')).rows, [
      { category: 'a', amount: 4 },
      { category: 'b', amount: 2 },
    ]);
    // The same file again through another transform: a new ledger, as another pipeline would have.
    await test.db.pool.query('TRUNCATE ferry_files, ferry_runs RESTART IDENTITY CASCADE');
    await runOnce(await open({ sql: "SELECT category, sum(amount) AS amount FROM source WHERE status = 'gone' GROUP BY category", sink: { table: 'gone' } }));
    assert.deepEqual((await test.db.pool.query('SELECT category, amount FROM gone')).rows, [{ category: 'b', amount: 4 }]);
  });

  it('quarantines a file whose transform fails or whose types do not fit, and loads none of its rows', async () => {
    pl.DataFrame({ id: pl.Series('id', [1, 2], pl.Int64) }).writeParquet(path.join(test.inbox, 'good.parquet'));
    await runOnce(await openWithTransform("(lf) => lf.select(pl.col('missing'))", "{ table: 'never' }"));
    const transformFailure = await test.db.pool.query("SELECT error, error_step, error_code FROM ferry_files WHERE status = 'quarantined'");
    assert.equal(transformFailure.rows[0]?.error_step, 'transform');
    assert.equal(transformFailure.rows[0]?.error_code, 'TRANSFORM_FAILED');
    assert.match(transformFailure.rows[0]?.error, /could not be transformed: .*missing/);
    assert.equal((await test.db.pool.query("SELECT to_regclass('never') AS t")).rows[0].t, null);

    test.inbox = tempDir('tables-');
    pl.DataFrame({ id: pl.Series('id', [1, 2], pl.Int64) }).writeParquet(path.join(test.inbox, '1-ints.parquet'));
    await runOnce(await open({ sink: { table: 'strict_ids' } }));
    pl.DataFrame({ id: ['three', 'four'] }).writeParquet(path.join(test.inbox, '2-strings.parquet'));
    const run = await runOnce(test.runtime as Runtime);
    assert.equal(run.counts.files_failed, 1);
    const mismatch = await test.db.pool.query("SELECT error, error_step, error_code FROM ferry_files WHERE key = '2-strings.parquet'");
    assert.equal(mismatch.rows[0].error_step, 'load');
    assert.equal(mismatch.rows[0].error_code, 'LOAD_REJECTED');
    assert.match(mismatch.rows[0].error, /invalid input syntax for type bigint/);
    assert.deepEqual((await test.db.pool.query('SELECT id FROM strict_ids ORDER BY id')).rows, [{ id: 1 }, { id: 2 }]);
  });

  it('refuses column names that collide after the 63-byte limit', async () => {
    const long = 'x'.repeat(63);
    pl.DataFrame({ [`${long}a`]: [1], [`${long}b`]: [2] }).writeParquet(path.join(test.inbox, 'wide.parquet'));
    await runOnce(await open({ sink: { table: 'wide' } }));
    const row = (await test.db.pool.query("SELECT status, error, error_code FROM ferry_files WHERE key = 'wide.parquet'")).rows[0];
    assert.equal(row.status, 'quarantined');
    assert.equal(row.error_code, 'COLUMNS_INVALID');
    assert.match(row.error, /are the same name after PostgreSQL's 63-byte limit/);
  });
});
