/**
 * Data quality checks on files with injected defects: exact failing counts, the exact rows
 * rejected (values, rules, row numbers), warn / reject / quarantine, thresholds as counts and
 * percentages, rules over a file loaded in several slices, expression rules, and the results
 * in the ledger (one row per rule, passes included).
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { beforeEach, describe, it } from 'node:test';
import pl from 'nodejs-polars';
import { buildHttpApp } from '../../src/http/index.ts';
import type { ReaderOptions } from '../../src/readers/index.ts';
import type { Runtime } from '../../src/runtime.ts';
import { runOnce, useTestRuntime } from '../helpers/runtime.ts';

const test = useTestRuntime('checks-');

const ROWS = 1000;
/** Rows (0-based) with defects: each list is exact, so every count below is known. */
const NULL_AMOUNT = [11, 222, 333, 444];
const NEGATIVE_AMOUNT = [10, 20, 30];
const BOGUS_STATUS = [20, 40, 50, 60, 70];
const BAD_EMAIL = [1, 2, 3, 4, 5, 6, 7];
/** Rows whose id repeats another's: row 905 has id 5 (a later slice than row 5), row 906 has id 6. */
const DUPLICATE_ID = { 905: 5, 906: 6 } as Record<number, number>;

function orders(): pl.DataFrame {
  const index = Array.from({ length: ROWS }, (_, i) => i);
  return pl.DataFrame([
    pl.Series(
      'id',
      index.map((i) => DUPLICATE_ID[i] ?? i),
      pl.Int64,
    ),
    pl.Series(
      'amount',
      index.map((i) => (NULL_AMOUNT.includes(i) ? null : NEGATIVE_AMOUNT.includes(i) ? -1 : i * 2.5)),
      pl.Float64,
    ),
    pl.Series(
      'status',
      index.map((i) => (BOGUS_STATUS.includes(i) ? 'bogus' : i % 2 === 0 ? 'active' : 'closed')),
      pl.Utf8,
    ),
    pl.Series(
      'email',
      index.map((i) => (BAD_EMAIL.includes(i) ? `nope${i}` : `user${i}@example.org`)),
      pl.Utf8,
    ),
  ]);
}

async function load(checks: unknown[], sink: Record<string, unknown> = {}, readers: ReaderOptions = {}) {
  return runOnce(
    await test.open({
      readers,
      raw: { pipelines: { orders: { source: { glob: '*.parquet', modifiedWithin: null }, checks, sink: { table: 'orders', ...sink } } } },
    }),
  );
}

async function ledger() {
  return (await test.db.pool.query('SELECT id, status, rows, rows_rejected, warnings, error, error_code FROM ferry_files ORDER BY id DESC LIMIT 1')).rows[0];
}

async function results(fileId: number): Promise<Record<string, { outcome: string; failing: number; total: number; samples: unknown[] }>> {
  const rows = (
    await test.db.pool.query('SELECT rule_id, outcome, failing::int, total::int, samples FROM ferry_check_results WHERE file_id = $1 ORDER BY rule_id', [
      fileId,
    ])
  ).rows;
  return Object.fromEntries(rows.map((row) => [row.rule_id, row]));
}

beforeEach(async () => {
  await test.db.pool.query('DROP TABLE IF EXISTS orders, orders_rejects');
  orders().writeParquet(path.join(test.inbox, 'orders.parquet'));
});

const RULES = [
  { rule: 'notNull', columns: ['amount'], action: 'warn' },
  { rule: 'range', column: 'amount', min: 0, action: 'reject' },
  { rule: 'accepted', column: 'status', values: ['active', 'closed'], action: 'reject' },
  { rule: 'regex', column: 'email', pattern: '^[^@]+@[^@]+$', action: 'warn' },
  { rule: 'unique', columns: ['id'], action: 'warn' },
  { rule: 'rowCount', min: 1, max: 10_000 },
];

describe('checks', () => {
  it('warn and reject: exact counts, the rejected rows kept aside with their rules and row numbers, results per rule', async () => {
    const run = await load(RULES);
    assert.equal(run.counts.files_processed, 1);
    const file = await ledger();
    const rejectedRows = new Set([...NEGATIVE_AMOUNT, ...BOGUS_STATUS]);
    assert.equal(file.status, 'processed');
    assert.equal(Number(file.rows), ROWS - rejectedRows.size);
    assert.equal(Number(file.rows_rejected), rejectedRows.size);
    assert.equal(file.warnings, 3);
    assert.equal((await test.db.pool.query('SELECT count(*)::int AS n FROM orders')).rows[0].n, ROWS - rejectedRows.size);

    const byRule = await results(file.id);
    assert.deepEqual(Object.fromEntries(Object.entries(byRule).map(([id, r]) => [id, [r.outcome, r.failing, r.total]])), {
      'notNull(amount)': ['warned', NULL_AMOUNT.length, ROWS],
      'range(amount)': ['rejected', NEGATIVE_AMOUNT.length, ROWS],
      'accepted(status)': ['rejected', BOGUS_STATUS.length, ROWS],
      'regex(email)': ['warned', BAD_EMAIL.length, ROWS],
      'unique(id)': ['warned', 4, ROWS],
      rowCount: ['passed', 0, 1],
    });
    assert.deepEqual(
      byRule['regex(email)']?.samples,
      BAD_EMAIL.map((i) => `nope${i}`),
    );
    assert.deepEqual([...(byRule['unique(id)']?.samples ?? [])].sort(), [5, 6]);

    const rejects = (await test.db.pool.query('SELECT _ferry_file, row_number::int, rules, "values" FROM orders_rejects ORDER BY row_number')).rows;
    assert.deepEqual(
      rejects.map((r) => r.row_number),
      [...rejectedRows].sort((a, b) => a - b).map((i) => i + 1),
    );
    const row21 = rejects.find((r) => r.row_number === 21); // row 20: negative amount and a bogus status
    assert.deepEqual([...row21.rules].sort(), ['accepted(status)', 'range(amount)']);
    assert.deepEqual(row21.values, { id: 20, amount: -1, status: 'bogus', email: 'user20@example.org' });
    assert.ok(rejects.every((r) => r._ferry_file === 'orders.parquet'));
  });

  it('quarantine: the file loads nothing, and its results say which rule stopped it', async () => {
    await load([
      { rule: 'range', column: 'amount', min: 0, action: 'quarantine' },
      { rule: 'accepted', column: 'status', values: ['active', 'closed'], action: 'reject' },
    ]);
    const file = await ledger();
    assert.equal(file.status, 'quarantined');
    assert.equal(file.error_code, 'CHECK_FAILED');
    assert.match(file.error, /orders\.parquet failed its checks: range\(amount\): 3 of 1000/);
    assert.equal((await test.db.pool.query("SELECT to_regclass('orders') AS t")).rows[0].t, null, 'nothing loaded, not even the table');
    assert.equal((await test.db.pool.query("SELECT to_regclass('orders_rejects') AS t")).rows[0].t, null, 'no rejects kept');
    const byRule = await results(file.id);
    assert.equal(byRule['range(amount)']?.outcome, 'quarantined');
    assert.equal(byRule['accepted(status)']?.outcome, 'rejected');
  });

  it('thresholds: a count or a percentage; a reject rule over errorIf quarantines the file', async () => {
    await load([{ rule: 'range', column: 'amount', min: 0, action: 'reject', errorIf: '0.2%' }]);
    assert.equal((await ledger()).status, 'quarantined', '3 of 1000 is over 0.2%');
    await test.db.pool.query('TRUNCATE ferry_files, ferry_runs RESTART IDENTITY CASCADE');
    await load([{ rule: 'range', column: 'amount', min: 0, action: 'reject', errorIf: 5 }]);
    const file = await ledger();
    assert.equal(file.status, 'processed', '3 is not over 5');
    assert.equal(Number(file.rows_rejected), 3);
    await test.db.pool.query('TRUNCATE ferry_files, ferry_runs RESTART IDENTITY CASCADE');
    await test.db.pool.query('DROP TABLE IF EXISTS orders, orders_rejects');
    await load([{ rule: 'regex', column: 'email', pattern: '@', action: 'quarantine', errorIf: '1%', warnIf: 5 }]);
    const warned = await ledger();
    assert.equal(warned.status, 'processed', '7 of 1000 is under 1%');
    assert.equal(warned.warnings, 1, '7 is over warnIf 5');
  });

  it('file rules judge the whole file across slices; a quarantine after rejects in early slices leaves nothing', async () => {
    // Slices of 300 rows: ids 5 and 6 repeat in the last slice (rows 905 and 906).
    await load(
      [
        { rule: 'range', column: 'amount', min: 0, action: 'reject' },
        { rule: 'unique', columns: ['id'] },
      ],
      {},
      { sliceRows: 300 },
    );
    const file = await ledger();
    assert.equal(file.status, 'quarantined');
    assert.match(file.error, /unique\(id\): 4 of 1000/);
    assert.equal((await test.db.pool.query("SELECT to_regclass('orders_rejects') AS t")).rows[0].t, null);
    assert.equal((await results(file.id))['range(amount)']?.outcome, 'rejected');

    await test.db.pool.query('TRUNCATE ferry_files, ferry_runs RESTART IDENTITY CASCADE');
    await load([{ rule: 'range', column: 'amount', min: 0, action: 'reject' }], {}, { sliceRows: 300 });
    const sliced = await ledger();
    assert.equal(sliced.status, 'processed');
    assert.equal(Number(sliced.rows), ROWS - 3);
    const numbers = (await test.db.pool.query('SELECT row_number::int AS n FROM orders_rejects ORDER BY 1')).rows.map((r) => r.n);
    assert.deepEqual(numbers, [11, 21, 31], 'row numbers count from the file, not the slice');
  });

  it('expression rules from a config file, and a freshness rule', async () => {
    pl.DataFrame([
      pl.Series('qty', [1, 0, 3, 2], pl.Int64),
      pl.Series('price', [2.5, 1, -1, 4], pl.Float64),
      pl.Series(
        'at',
        [new Date(Date.now() - 5 * 86_400_000), new Date(Date.now() - 3 * 86_400_000), null, new Date(Date.now() - 4 * 86_400_000)],
        pl.Datetime('ms'),
      ),
    ]).writeParquet(path.join(test.inbox, 'lines.parquet'));
    const runtime = await test.open({
      configSource: `import pl from 'nodejs-polars';
export default { pipelines: { lines: { source: { glob: 'lines.parquet', modifiedWithin: null }, sink: { table: 'lines' }, checks: [
  { name: 'positive_total', rule: 'expression', expr: pl.col('qty').mul(pl.col('price')).gt(0), action: 'reject' },
  { rule: 'freshness', column: 'at', within: '2d', action: 'warn' },
] } } };
`,
    });
    await runOnce(runtime);
    const file = await ledger();
    assert.equal(file.status, 'processed', file.error);
    assert.equal(Number(file.rows), 2);
    const byRule = await results(file.id);
    assert.equal(byRule.positive_total?.failing, 2);
    assert.equal(byRule['freshness(at)']?.outcome, 'warned');
    const rejected = (await test.db.pool.query('SELECT row_number::int AS n, rules FROM lines_rejects ORDER BY 1')).rows;
    assert.deepEqual(rejected, [
      { n: 2, rules: ['positive_total'] },
      { n: 3, rules: ['positive_total'] },
    ]);
  });

  it('GET /files/:id shows the per-rule results; /metrics counts failures per pipeline and rule', async () => {
    await load(RULES);
    const file = await ledger();
    const app = buildHttpApp({
      config: (test.runtime as Runtime).config,
      pool: (test.runtime as Runtime).pool,
      store: (test.runtime as Runtime).store,
      version: 'test',
      nextRun: () => null,
      runNow: async () => ({ accepted: false }),
    });
    try {
      const detail = await app.inject(`/files/${file.id}`);
      assert.equal(detail.statusCode, 200);
      const body = detail.json();
      assert.equal(body.file.rows_rejected, 7);
      assert.deepEqual(
        body.checks.map((c: { rule_id: string; outcome: string }) => `${c.rule_id} ${c.outcome}`),
        ['accepted(status) rejected', 'notNull(amount) warned', 'range(amount) rejected', 'regex(email) warned', 'rowCount passed', 'unique(id) warned'],
      );
      assert.equal((await app.inject('/files/999999')).statusCode, 404);
      const metrics = (await app.inject('/metrics')).body;
      assert.match(metrics, /ferry_check_failing_rows\{pipeline="orders",rule="regex\(email\)"\} 7/);
      assert.match(metrics, /ferry_rows_rejected\{pipeline="orders"\} 7/);
    } finally {
      await app.close();
    }
  });

  it('row-count pipelines read the rows when they have checks: warn records, quarantine counts nothing', async () => {
    const countWith = async (checks: unknown[]) =>
      runOnce(await test.open({ raw: { pipelines: { counted: { source: { glob: '*.parquet', modifiedWithin: null }, sink: 'row-count', checks } } } }));
    await countWith([
      { rule: 'notNull', columns: ['amount'], action: 'warn' },
      { rule: 'rowCount', min: 1 },
    ]);
    const counted = await ledger();
    assert.equal(counted.status, 'processed');
    assert.equal(counted.warnings, 1);
    assert.deepEqual((await test.db.pool.query('SELECT row_count::int AS n FROM etl_results')).rows, [{ n: ROWS }]);
    assert.equal((await results(counted.id))['notNull(amount)']?.failing, NULL_AMOUNT.length);

    await test.db.pool.query('TRUNCATE ferry_files, ferry_runs, etl_results RESTART IDENTITY CASCADE');
    await countWith([{ rule: 'unique', columns: ['id'] }]);
    const stopped = await ledger();
    assert.equal(stopped.status, 'quarantined');
    assert.equal(stopped.error_code, 'CHECK_FAILED');
    assert.equal((await test.db.pool.query('SELECT count(*)::int AS n FROM etl_results')).rows[0].n, 0);
  });

  it('length and columns rules; a rule on a column the file lacks quarantines it with the reason', async () => {
    await load([
      { rule: 'length', column: 'email', min: 10, max: 20, action: 'warn' },
      { rule: 'columns', required: ['id', 'amount'], types: { id: 'bigint', amount: 'double precision' } },
    ]);
    const file = await ledger();
    assert.equal(file.status, 'processed', file.error);
    const byRule = await results(file.id);
    // user0@example.org … user999@example.org have 17 to 19 characters; nope1 … nope7 have 5.
    const short = BAD_EMAIL.length;
    assert.equal(byRule['length(email)']?.failing, short);
    assert.equal(byRule.columns?.outcome, 'passed');

    await test.db.pool.query('TRUNCATE ferry_files, ferry_runs RESTART IDENTITY CASCADE');
    await load([{ rule: 'columns', required: ['customer'], types: { id: 'text' } }]);
    const wrong = await ledger();
    assert.equal(wrong.status, 'quarantined');
    assert.match(wrong.error, /columns: 2 of 2/);
    assert.deepEqual([...((await results(wrong.id)).columns?.samples ?? [])].sort(), ['customer is missing', 'id is bigint, not text']);

    await test.db.pool.query('TRUNCATE ferry_files, ferry_runs RESTART IDENTITY CASCADE');
    await load([{ rule: 'range', column: 'price', min: 0 }]);
    const missing = await ledger();
    assert.equal(missing.error_code, 'CHECK_FAILED');
    assert.match(missing.error, /orders\.parquet: a check could not be evaluated: .*price/);
  });
});

describe('the cast rule: values that do not fit source.schema', () => {
  // Rows 3 and 7 have amounts that are not numbers, row 5 a day that does not exist, row 9 a
  // negative amount; row 8's amount is empty (a null, which fits).
  const SALES = [
    'id,amount,sold_on',
    '1,10.5,2024-01-01',
    '2,20,2024-01-02',
    '3,"12,5",2024-01-03',
    '4,40,2024-01-04',
    '5,50,2024-02-30',
    '6,60,2024-01-06',
    '7,abc,2024-01-07',
    '8,,2024-01-08',
    '9,-1,2024-01-09',
    '10,100,2024-01-10',
  ].join('\n');
  const schema = { id: 'bigint', amount: 'double precision', sold_on: 'date' };

  async function loadSales(checks: unknown[], env: Record<string, string> = {}) {
    await test.db.pool.query('DROP TABLE IF EXISTS sales, sales_rejects');
    await test.db.pool.query('TRUNCATE ferry_files, ferry_runs RESTART IDENTITY CASCADE');
    const fs = await import('node:fs/promises');
    await fs.rm(path.join(test.inbox, 'orders.parquet'), { force: true });
    await fs.writeFile(path.join(test.inbox, 'sales.csv'), `${SALES}\n`);
    return runOnce(
      await test.open({ env, raw: { pipelines: { sales: { source: { glob: '*.csv', modifiedWithin: null, schema }, checks, sink: { table: 'sales' } } } } }),
    );
  }

  it('without a cast rule, a value that does not fit quarantines the file with CAST_FAILED, naming the column', async () => {
    await loadSales([]);
    const file = await ledger();
    assert.equal(file.status, 'quarantined');
    assert.equal(file.error_code, 'CAST_FAILED');
    assert.match(file.error, /sales\.csv: column (amount|sold_on) has a value that does not fit its type in source\.schema/);
  });

  it('reject keeps the rows aside with the values as read; the other rules number rows as the file does', async () => {
    await loadSales([
      { rule: 'cast', action: 'reject' },
      { rule: 'range', column: 'amount', min: 0, action: 'reject' },
    ]);
    const file = await ledger();
    assert.equal(file.status, 'processed', file.error);
    assert.equal(Number(file.rows), 6);
    assert.equal(Number(file.rows_rejected), 4);
    const byRule = await results(file.id);
    assert.equal(byRule.cast?.failing, 3);
    assert.equal(byRule.cast?.total, 10);
    assert.deepEqual(byRule.cast?.samples, [
      { id: '3', amount: '12,5', sold_on: '2024-01-03' },
      { id: '5', amount: '50', sold_on: '2024-02-30' },
      { id: '7', amount: 'abc', sold_on: '2024-01-07' },
    ]);
    const rejects = (await test.db.pool.query('SELECT row_number::int AS n, rules, "values" FROM sales_rejects ORDER BY row_number')).rows;
    assert.deepEqual(rejects, [
      // As read: the columns the rule casts are still text here.
      { n: 3, rules: ['cast'], values: { id: '3', amount: '12,5', sold_on: '2024-01-03' } },
      { n: 5, rules: ['cast'], values: { id: '5', amount: '50', sold_on: '2024-02-30' } },
      { n: 7, rules: ['cast'], values: { id: '7', amount: 'abc', sold_on: '2024-01-07' } },
      { n: 9, rules: ['range(amount)'], values: { id: 9, amount: -1, sold_on: '2024-01-09' } },
    ]);
    const loaded = (await test.db.pool.query('SELECT id::int, amount, sold_on::text FROM sales ORDER BY id')).rows;
    assert.deepEqual(
      loaded.map((r) => r.id),
      [1, 2, 4, 6, 8, 10],
    );
    assert.deepEqual(loaded[0], { id: 1, amount: 10.5, sold_on: '2024-01-01' });
    const types = (
      await test.db.pool.query("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'sales' ORDER BY ordinal_position")
    ).rows;
    assert.deepEqual(
      types.map((r) => `${r.column_name} ${r.data_type}`),
      ['id bigint', 'amount double precision', 'sold_on date'],
    );
  });

  it('warn loads every row with NULL where the value did not fit; quarantine loads nothing', async () => {
    await loadSales(
      [
        { rule: 'cast', columns: ['amount'], action: 'warn' },
        { rule: 'cast', columns: ['sold_on'] },
      ].slice(0, 1),
    );
    // sold_on is not judged by the rule: its bad day fails the file as a strict cast.
    assert.equal((await ledger()).error_code, 'CAST_FAILED');

    await loadSales([{ rule: 'cast', action: 'warn' }]);
    const warned = await ledger();
    assert.equal(warned.status, 'processed', warned.error);
    assert.equal(Number(warned.rows), 10);
    assert.equal(warned.warnings, 1);
    const nulls = (await test.db.pool.query('SELECT id::int FROM sales WHERE amount IS NULL OR sold_on IS NULL ORDER BY id')).rows.map((r) => r.id);
    assert.deepEqual(nulls, [3, 5, 7, 8]);

    await loadSales([{ rule: 'cast' }]);
    const stopped = await ledger();
    assert.equal(stopped.status, 'quarantined');
    assert.equal(stopped.error_code, 'CHECK_FAILED');
    assert.match(stopped.error, /cast: 3 of 10/);
    assert.equal((await test.db.pool.query("SELECT to_regclass('sales') AS t")).rows[0].t, null);
  });

  it('a typed file (Parquet) cast by the rule across slices, row numbers from the file', async () => {
    await test.db.pool.query('DROP TABLE IF EXISTS codes, codes_rejects');
    const codes = Array.from({ length: 100 }, (_, i) => (i === 10 ? 'x1' : i === 75 ? '7.5' : String(i)));
    pl.DataFrame([
      pl.Series('code', codes, pl.Utf8),
      pl.Series(
        'ratio',
        Array.from({ length: 100 }, (_, i) => (i === 50 ? 0.5 : i)),
        pl.Float64,
      ),
    ]).writeParquet(path.join(test.inbox, 'codes.parquet'));
    await runOnce(
      await test.open({
        readers: { sliceRows: 30 },
        raw: {
          pipelines: {
            codes: {
              source: { glob: 'codes.parquet', modifiedWithin: null, schema: { code: 'bigint', ratio: 'integer' } },
              checks: [
                { rule: 'cast', action: 'reject' },
                { rule: 'range', column: 'code', max: 97, action: 'reject' },
              ],
              sink: { table: 'codes' },
            },
          },
        },
      }),
    );
    const file = await ledger();
    assert.equal(file.status, 'processed', file.error);
    assert.equal(Number(file.rows), 95);
    const rejects = (await test.db.pool.query('SELECT row_number::int AS n, rules FROM codes_rejects ORDER BY 1')).rows;
    assert.deepEqual(rejects, [
      { n: 11, rules: ['cast'] },
      { n: 51, rules: ['cast'] },
      { n: 76, rules: ['cast'] },
      { n: 99, rules: ['range(code)'] },
      { n: 100, rules: ['range(code)'] },
    ]);
  });
});
