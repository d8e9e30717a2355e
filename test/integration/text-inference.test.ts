/**
 * CSV and JSON read as the file holds it. JSON: nested values load as jsonb exactly as written,
 * whatever their shape row by row; dates in strings are typed. CSV: the dialect found when not configured, types inferred without
 * loss (leading zeros stay text, ISO dates and timestamps typed, offsets converted to UTC), a
 * header that swallows the file refused, and a table's column limit named.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { columnTypes as columnTypesOf, ledgerRow, runOnce, useTestRuntime } from '../helpers/runtime.ts';

const test = useTestRuntime('text-inference-');

async function load(glob: string, table: string, source: Record<string, unknown> = {}) {
  return runOnce(await test.open({ raw: { pipelines: { [table]: { source: { modifiedWithin: null, glob, ...source }, sink: { table } } } } }));
}

const columnTypes = (table: string) => columnTypesOf(test.db.pool, table);
const ledger = (key: string) => ledgerRow(test.db.pool, key);

describe('CSV inference and dialect', () => {
  it('leading zeros stay text; dates, timestamps and offsets are typed; big integers stay exact', async () => {
    fs.writeFileSync(
      path.join(test.inbox, 'places.csv'),
      `${[
        'zip,fips,n,day,seen,at,flag,big,note',
        '00501,01001,7,2026-01-02,2026-01-02 10:00:00,2026-01-02T10:00:00+02:00,true,12345678901234567890,a',
        '90210,06037,-3,2026-02-28,2026-01-02 10:00:01.5,2026-01-02T10:00:00Z,false,1,',
        ',,,,,,,,',
      ].join('\n')}\n`,
    );
    const run = await load('places.csv', 'places');
    assert.equal(run.counts.files_processed, 1, (await ledger('places.csv'))?.error);
    assert.deepEqual(await columnTypes('places'), {
      zip: 'text',
      fips: 'text',
      n: 'bigint',
      day: 'date',
      seen: 'timestamp without time zone',
      at: 'timestamp with time zone',
      flag: 'boolean',
      big: 'numeric',
      note: 'text',
    });
    const rows = (
      await test.db.pool.query(
        `SELECT zip, fips, n::int, day::text, seen::text, (at AT TIME ZONE 'UTC')::text AS at, flag, big::text FROM places ORDER BY zip NULLS LAST`,
      )
    ).rows;
    assert.deepEqual(rows, [
      { zip: '00501', fips: '01001', n: 7, day: '2026-01-02', seen: '2026-01-02 10:00:00', at: '2026-01-02 08:00:00', flag: true, big: '12345678901234567890' },
      { zip: '90210', fips: '06037', n: -3, day: '2026-02-28', seen: '2026-01-02 10:00:01.5', at: '2026-01-02 10:00:00', flag: false, big: '1' },
      { zip: null, fips: null, n: null, day: null, seen: null, at: null, flag: null, big: null },
    ]);
  });

  it('a date column with a later value that is not a date fails naming the column, never loads NULL', async () => {
    const lines = ['day', ...Array.from({ length: 150 }, (_, i) => `2026-01-${String((i % 28) + 1).padStart(2, '0')}`), 'soon'];
    fs.writeFileSync(path.join(test.inbox, 'late-day.csv'), `${lines.join('\n')}\n`);
    await load('late-day.csv', 'late_day', { inferSchemaLength: 100 });
    const failed = await ledger('late-day.csv');
    assert.equal(failed.status, 'quarantined');
    assert.equal(failed.error_code, 'SCHEMA_INFERENCE_FAILED');
    assert.match(failed.error, /day/);
  });

  it('finds the delimiter (; tab |) and the quote when they are not configured', async () => {
    fs.writeFileSync(path.join(test.inbox, 'semi.csv'), 'id;name;amount\n1;"a;b";1,5\n2;c;2\n');
    fs.writeFileSync(path.join(test.inbox, 'pipe.csv'), 'id|name\n1|x\n2|y, z\n');
    fs.writeFileSync(path.join(test.inbox, 'tabs.csv'), 'id\tname\n1\tx\n2\ty\n');
    for (const [file, table] of [
      ['semi.csv', 'semi'],
      ['pipe.csv', 'pipe'],
      ['tabs.csv', 'tabs'],
    ] as const) {
      const run = await load(file, table);
      assert.equal(run.counts.files_processed, 1, (await ledger(file))?.error);
    }
    assert.deepEqual((await test.db.pool.query('SELECT id::int, name, amount FROM semi ORDER BY id')).rows, [
      { id: 1, name: 'a;b', amount: '1,5' },
      { id: 2, name: 'c', amount: '2' },
    ]);
    assert.deepEqual((await test.db.pool.query('SELECT id::int, name FROM pipe ORDER BY id')).rows, [
      { id: 1, name: 'x' },
      { id: 2, name: 'y, z' },
    ]);
    assert.deepEqual((await test.db.pool.query('SELECT id::int, name FROM tabs ORDER BY id')).rows, [
      { id: 1, name: 'x' },
      { id: 2, name: 'y' },
    ]);
  });

  it('a header with a stray quote is refused, not processed with no rows', async () => {
    fs.writeFileSync(path.join(test.inbox, 'stray.csv'), 'a";b,v\n1,2\n3,4\n');
    const run = await load('stray.csv', 'stray');
    assert.equal(run.counts.files_processed, 0);
    const failed = await ledger('stray.csv');
    assert.equal(failed.status, 'quarantined');
    assert.equal(failed.error_code, 'FILE_CORRUPT');
    assert.match(failed.error, /unmatched quote/);
  });

  it('more columns than a PostgreSQL table holds: COLUMNS_INVALID', async () => {
    const header = Array.from({ length: 2000 }, (_, i) => `c${i}`).join(',');
    const row = Array.from({ length: 2000 }, (_, i) => String(i)).join(',');
    fs.writeFileSync(path.join(test.inbox, 'wide.csv'), `${header}\n${row}\n`);
    await load('wide.csv', 'wide');
    const failed = await ledger('wide.csv');
    assert.equal(failed.error_code, 'COLUMNS_INVALID', failed.error);
    assert.match(failed.error, /2000 columns.*1600/);
  });

  it('JSON: nested values of mixed depth and shape load as jsonb exactly as written; dates in strings are typed', async () => {
    const features = [
      { id: 1, arcs: [[0, 1, 2]], props: { name: 'a "quoted" \\ name', tags: ['x'] }, day: '2026-01-02' },
      { id: 2, arcs: [[[0, 1], [2]]], props: { name: 'b', extra: { deep: [1.5, null, true] } }, day: '2026-01-03' },
      { id: 3, arcs: null, props: 'plain', day: null },
      { id: 4, arcs: [], props: {}, day: '2026-01-04' },
    ];
    fs.writeFileSync(path.join(test.inbox, 'shapes.json'), JSON.stringify(features, null, 2));
    fs.writeFileSync(path.join(test.inbox, 'shapes.ndjson'), `${features.map((f) => JSON.stringify(f)).join('\n')}\n`);
    for (const [file, table] of [
      ['shapes.json', 'shapes_json'],
      ['shapes.ndjson', 'shapes_ndjson'],
    ] as const) {
      const run = await load(file, table);
      assert.equal(run.counts.files_processed, 1, (await ledger(file))?.error);
      assert.deepEqual(await columnTypes(table), { id: 'bigint', arcs: 'jsonb', props: 'jsonb', day: 'date' });
      const rows = (await test.db.pool.query(`SELECT id::int, arcs, props, day::text FROM ${table} ORDER BY id`)).rows;
      assert.deepEqual(
        rows,
        features.map((f) => ({ ...f })),
      );
    }
  });

  it("a JSON value over PostgreSQL's 1 GB field limit is refused before COPY (VALUE_TOO_LARGE), in bounded memory", async () => {
    const file = path.join(test.inbox, 'huge.ndjson');
    const out = fs.openSync(file, 'w');
    fs.writeSync(out, '{"id":1,"v":"ok"}\n{"id":2,"v":"');
    const block = Buffer.alloc(64 * 2 ** 20, 0x61);
    for (let written = 0; written <= 2 ** 30; written += block.length) fs.writeSync(out, block);
    fs.writeSync(out, '"}\n');
    fs.closeSync(out);
    await load('huge.ndjson', 'huge');
    const failed = await ledger('huge.ndjson');
    assert.equal(failed.status, 'quarantined');
    assert.equal(failed.error_code, 'VALUE_TOO_LARGE', failed.error);
    assert.match(failed.error, /huge\.ndjson: record 2/);
    fs.rmSync(file);
  });
});
