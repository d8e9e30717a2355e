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
  for (const name of ['demo-customisation', 'csv-to-table']) fs.rmSync(path.join(examples, name, 'data'), { recursive: true, force: true });
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
});
