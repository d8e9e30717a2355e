/** The examples in examples/ run as documented, on files made here. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pl from 'nodejs-polars';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { runFerry } from '../helpers/ferry-process.ts';

const examples = path.resolve('examples');
let db: TestDatabase;

before(async () => {
  db = await createTestDatabase();
});
after(async () => {
  for (const name of ['demo-customisation', 'csv-to-table', 'orders-with-checks'])
    fs.rmSync(path.join(examples, name, 'data'), { recursive: true, force: true });
  await db.drop();
});

describe('examples', () => {
  it('demo-customisation: active sales summed per category, sorted', async () => {
    const inbox = path.join(examples, 'demo-customisation', 'data', 'inbox');
    fs.mkdirSync(inbox, { recursive: true });
    pl.DataFrame({
      category: ['books', 'games', 'books', 'games', 'tools'],
      amount: [10, 5, 2.5, 100, 1],
      status: ['active', 'active', 'active', 'cancelled', 'active'],
    }).writeParquet(path.join(inbox, 'sales.parquet'));
    const result = await runFerry(['run', '--once', '--json'], { env: { DATABASE_URL: db.url }, cwd: path.join(examples, 'demo-customisation') });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(JSON.parse(result.stdout).files_processed, 1);
    const rows = await db.pool.query('SELECT category, amount, sales FROM sales_by_category ORDER BY amount DESC');
    assert.deepEqual(rows.rows, [
      { category: 'books', amount: 12.5, sales: 2 },
      { category: 'games', amount: 5, sales: 1 },
      { category: 'tools', amount: 1, sales: 1 },
    ]);
  });

  it('csv-to-table: typed, cleaned rows merged into crm.people on id', async () => {
    const inbox = path.join(examples, 'csv-to-table', 'data', 'inbox');
    fs.mkdirSync(inbox, { recursive: true });
    const run = async () => {
      const result = await runFerry(['run', '--once', '--json'], { env: { DATABASE_URL: db.url }, cwd: path.join(examples, 'csv-to-table') });
      assert.equal(result.code, 0, result.stderr);
      const summary = JSON.parse(result.stdout);
      assert.equal(summary.files_processed, 1, JSON.stringify(summary.failures));
    };
    fs.writeFileSync(path.join(inbox, 'people-1.csv'), 'id;name;joined;score\n1; Ann ;2026-01-02;3.5\n2;Bo;2026-02-03;NA\n');
    await run();
    fs.writeFileSync(path.join(inbox, 'people-2.csv'), 'id;name;joined;score\n2;Bo;2026-02-03;4.0\n3;Cy;2026-03-04;1\n');
    await run();
    const rows = await db.pool.query("SELECT id, name, to_char(joined, 'YYYY-MM-DD') AS joined, score FROM crm.people ORDER BY id");
    assert.deepEqual(rows.rows, [
      { id: 1, name: 'Ann', joined: '2026-01-02', score: 3.5 },
      { id: 2, name: 'Bo', joined: '2026-02-03', score: 4 },
      { id: 3, name: 'Cy', joined: '2026-03-04', score: 1 },
    ]);
  });

  it('orders-with-checks: bad rows rejected with their rules, warnings recorded, a duplicated id quarantines the export', async () => {
    const dir = path.join(examples, 'orders-with-checks');
    const inbox = path.join(dir, 'data', 'inbox');
    fs.mkdirSync(inbox, { recursive: true });
    const recent = new Date(Date.now() - 3_600_000).toISOString().replace(/\.\d+Z$/, 'Z');
    fs.writeFileSync(
      path.join(inbox, 'orders-1.csv'),
      `order_id,email,status,amount,created_at\n1,ann@example.org,paid,12.5,${recent}\n2,bo@example,paid,-3,${recent}\n3,cy@example.org,lost,7,${recent}\n4,dee@example,pending,5,${recent}\n`,
    );
    const run = await runFerry(['run', '--once', '--json'], { env: { DATABASE_URL: db.url }, cwd: dir });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(JSON.parse(run.stdout).files_processed, 1, run.stdout);
    assert.deepEqual((await db.pool.query('SELECT order_id::int AS id FROM shop.orders ORDER BY 1')).rows, [{ id: 1 }, { id: 4 }]);
    const rejects = await db.pool.query('SELECT row_number::int AS row, rules FROM shop.orders_rejects ORDER BY 1');
    assert.deepEqual(rejects.rows, [
      { row: 2, rules: ['range(amount)'] },
      { row: 3, rules: ['accepted(status)'] },
    ]);
    const checks = await runFerry(['checks', 'orders-1.csv', '--json'], { env: { DATABASE_URL: db.url }, cwd: dir });
    assert.equal(checks.code, 0, checks.stderr);
    const shown = JSON.parse(checks.stdout);
    assert.equal(shown.file.rows_rejected, 2);
    const email = shown.checks.find((c: { rule_id: string }) => c.rule_id === 'regex(email)');
    assert.equal(email.outcome, 'warned');
    assert.deepEqual(email.samples, ['bo@example', 'dee@example']);

    fs.writeFileSync(path.join(inbox, 'orders-2.csv'), `order_id,email,status,amount,created_at\n7,a@b.co,paid,1,${recent}\n7,a@b.co,paid,2,${recent}\n`);
    const second = await runFerry(['run', '--once', '--json'], { env: { DATABASE_URL: db.url }, cwd: dir });
    const summary = JSON.parse(second.stdout);
    assert.equal(summary.files_failed, 1);
    assert.match(summary.failures[0].error, /orders-2\.csv failed its checks: unique\(order_id\): 2 of 2/);
    assert.equal(summary.failures[0].code, 'CHECK_FAILED');
  });
});
