/**
 * Small files loaded in batches: many files in one transaction and one COPY, each recorded in
 * the ledger in it; a file that fails inside a batch (unreadable, a quarantine rule, a row the
 * table refuses, other columns) fails alone while every other file of the batch loads, exactly
 * once; replace and merge across a batch; the row-count sink in batches.
 *
 * That files shared a transaction is read from PostgreSQL itself: rows written by one
 * transaction carry its id (`xmin`), so the processed files of one batch have one `xmin`.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, it } from 'node:test';
import pl from 'nodejs-polars';
import { runOnce, useTestRuntime } from '../helpers/runtime.ts';

const test = useTestRuntime('batches-');

const FILES = 40;
const ROWS = 25;

/** File `i` holds ids i*ROWS … i*ROWS+ROWS-1 and amounts equal to the id. */
function writeFile(i: number, options: { negativeRow?: number; extraColumn?: boolean } = {}): void {
  const ids = Array.from({ length: ROWS }, (_, row) => i * ROWS + row);
  const columns: pl.Series[] = [
    pl.Series('id', ids, pl.Int64),
    pl.Series(
      'amount',
      ids.map((id, row) => (row === options.negativeRow ? -1 : id)),
      pl.Float64,
    ),
  ];
  if (options.extraColumn) columns.push(pl.Series('note', ids.map(String), pl.Utf8));
  pl.DataFrame(columns).writeParquet(path.join(test.inbox, name(i)));
}

function name(i: number): string {
  return `part-${String(i).padStart(3, '0')}.parquet`;
}

async function load(sink: Record<string, unknown>, extra: Record<string, unknown> = {}, concurrency = 2) {
  return runOnce(
    await test.open({
      raw: { concurrency, pipelines: { small: { source: { glob: '*.parquet', modifiedWithin: null }, sink: { table: 'small', ...sink }, ...extra } } },
    }),
  );
}

async function ledger(): Promise<Map<string, { status: string; rows: number | null; error_code: string | null; error_step: string | null; tx: string }>> {
  const rows = (await test.db.pool.query('SELECT key, status, rows::int, error_code, error_step, xmin::text AS tx FROM ferry_files')).rows;
  return new Map(rows.map((row) => [row.key, row]));
}

/** The number of transactions that recorded the processed files. */
async function transactions(): Promise<number> {
  return (await test.db.pool.query("SELECT count(DISTINCT xmin::text)::int AS n FROM ferry_files WHERE status = 'processed'")).rows[0].n;
}

async function rowsPerFile(): Promise<Map<string, number>> {
  const rows = (await test.db.pool.query('SELECT _ferry_file AS key, count(*)::int AS n FROM small GROUP BY 1')).rows;
  return new Map(rows.map((row) => [row.key, row.n]));
}

beforeEach(async () => {
  await test.db.pool.query('DROP TABLE IF EXISTS small, small_rejects, etl_results_batches');
  await test.db.pool.query('TRUNCATE etl_results');
});

describe('batches of small files', () => {
  it('loads many small files in a few transactions, each file recorded with its own rows and lineage', async () => {
    for (let i = 0; i < FILES; i++) writeFile(i);
    const summary = await load({ lineage: true });
    assert.equal(summary.counts.files_processed, FILES);
    const files = await ledger();
    for (let i = 0; i < FILES; i++) assert.deepEqual([files.get(name(i))?.status, files.get(name(i))?.rows], ['processed', ROWS], name(i));
    // Two workers (concurrency 2) claim up to 100 files each: at most a handful of transactions, not one per file.
    assert.ok((await transactions()) <= 4, `${await transactions()} transactions for ${FILES} files`);
    const perFile = await rowsPerFile();
    for (let i = 0; i < FILES; i++) assert.equal(perFile.get(name(i)), ROWS, name(i));
    const distinct = (await test.db.pool.query('SELECT count(*)::int AS n, count(DISTINCT id)::int AS ids, sum(amount) AS total FROM small')).rows[0];
    assert.equal(distinct.n, FILES * ROWS);
    assert.equal(distinct.ids, FILES * ROWS);
    // Each row came with its own file's lineage: the id says which file it is from.
    const mislabelled = (
      await test.db.pool.query(`SELECT count(*)::int AS n FROM small WHERE _ferry_file <> 'part-' || lpad((id / ${ROWS})::text, 3, '0') || '.parquet'`)
    ).rows[0].n;
    assert.equal(mislabelled, 0);
  });

  it('one corrupt file in a batch is quarantined; every other file of the batch loads, once', async () => {
    for (let i = 0; i < FILES; i++) writeFile(i);
    fs.writeFileSync(path.join(test.inbox, name(17)), Buffer.concat([Buffer.from('PAR1'), Buffer.alloc(300, 7), Buffer.from('PAR1')]));
    const summary = await load({ lineage: true }, { batch: { files: 100 } });
    assert.equal(summary.counts.files_processed, FILES - 1);
    const files = await ledger();
    assert.equal(files.get(name(17))?.status, 'quarantined');
    assert.equal(files.get(name(17))?.error_code, 'FILE_CORRUPT');
    const perFile = await rowsPerFile();
    assert.equal(perFile.has(name(17)), false);
    for (let i = 0; i < FILES; i++) if (i !== 17) assert.equal(perFile.get(name(i)), ROWS, name(i));
    assert.ok((await transactions()) <= 4);
  });

  it('a row the table refuses fails its batch; the files are then loaded alone and only that file is quarantined', async () => {
    await test.db.pool.query(
      'CREATE TABLE small (id bigint, amount double precision CHECK (amount >= 0), _ferry_file text, _ferry_version text, _ferry_loaded_at timestamptz NOT NULL DEFAULT now())',
    );
    for (let i = 0; i < 12; i++) writeFile(i, { negativeRow: i === 5 ? 3 : undefined });
    const summary = await load({ lineage: true });
    assert.equal(summary.counts.files_processed, 11);
    const files = await ledger();
    assert.equal(files.get(name(5))?.status, 'quarantined');
    assert.equal(files.get(name(5))?.error_step, 'load');
    assert.equal(files.get(name(5))?.error_code, 'LOAD_REJECTED');
    const perFile = await rowsPerFile();
    for (let i = 0; i < 12; i++) assert.equal(perFile.get(name(i)), i === 5 ? undefined : ROWS, name(i));
  });

  it('a file that fails a quarantine rule leaves the batch; the others load with their rejected rows numbered per file', async () => {
    for (let i = 0; i < 20; i++) writeFile(i, { negativeRow: i % 4 === 1 ? 7 : undefined });
    // Rows with a negative amount are rejected; a file with an id over the limit is quarantined.
    const checks = [
      { rule: 'range', column: 'amount', min: 0, action: 'reject' },
      { rule: 'range', column: 'id', max: 9 * ROWS - 1, action: 'quarantine' },
    ];
    const summary = await load({ lineage: true }, { checks });
    // Files from 9 on have ids over the quarantine rule's max: each fails inside its batch and is quarantined alone.
    const files = await ledger();
    for (let i = 0; i < 20; i++) assert.equal(files.get(name(i))?.status, i >= 9 ? 'quarantined' : 'processed', name(i));
    assert.equal(summary.counts.files_processed, 9);
    assert.equal(files.get(name(9))?.error_code, 'CHECK_FAILED');
    const rejects = (await test.db.pool.query('SELECT _ferry_file AS key, row_number::int FROM small_rejects ORDER BY 1')).rows;
    assert.deepEqual(
      rejects,
      // Row numbers count from 1, in each file.
      [1, 5].map((i) => ({ key: name(i), row_number: 8 })),
    );
    const perFile = await rowsPerFile();
    for (let i = 0; i < 9; i++) assert.equal(perFile.get(name(i)), i % 4 === 1 ? ROWS - 1 : ROWS, name(i));
    const results = (await test.db.pool.query('SELECT count(DISTINCT file_id)::int AS n FROM ferry_check_results WHERE outcome IS NOT NULL')).rows[0].n;
    assert.equal(results, 20);
  });

  it('files with other columns are loaded alone, beside the batch', async () => {
    for (let i = 0; i < 10; i++) writeFile(i, { extraColumn: i === 4 });
    const summary = await load({ lineage: true });
    assert.equal(summary.counts.files_processed, 10);
    const notes = (await test.db.pool.query('SELECT count(note)::int AS n FROM small')).rows[0].n;
    assert.equal(notes, ROWS);
  });

  it('replace and merge hold across a batch', async () => {
    for (let i = 0; i < 10; i++) writeFile(i);
    await load({ mode: 'replace' });
    // New versions of every file (one row fewer each): each replaces its earlier rows. A local
    // file's version is its size and modification time: each new file gets a time a second
    // after its old one's, so it is a new version however coarse the file system's clock.
    for (let i = 0; i < 10; i++) {
      const file = path.join(test.inbox, name(i));
      const before = fs.statSync(file).mtime;
      pl.DataFrame([pl.Series('id', [i * ROWS], pl.Int64), pl.Series('amount', [1000 + i], pl.Float64)]).writeParquet(file);
      fs.utimesSync(file, new Date(), new Date(before.getTime() + 1_000));
    }
    const second = await load({ mode: 'replace' });
    assert.equal(second.counts.files_processed, 10);
    assert.equal((await test.db.pool.query('SELECT count(*)::int AS n FROM small')).rows[0].n, 10);

    await test.db.pool.query('DROP TABLE small');
    await test.db.pool.query('TRUNCATE ferry_files, ferry_runs RESTART IDENTITY CASCADE');
    // Every file has id 1: in one batch (one worker), the row of the file claimed last (the
    // highest ledger id) wins, as it would loading them one by one.
    for (let i = 0; i < 10; i++) {
      pl.DataFrame([pl.Series('id', [1], pl.Int64), pl.Series('amount', [i], pl.Float64)]).writeParquet(path.join(test.inbox, name(i)));
    }
    const merged = await load({ mode: 'merge', key: ['id'] }, { batch: { files: 100 } }, 1);
    assert.equal(merged.counts.files_processed, 10);
    const row = (await test.db.pool.query('SELECT count(*)::int AS n, max(amount) AS amount FROM small')).rows[0];
    const last = (await test.db.pool.query('SELECT key FROM ferry_files ORDER BY id DESC LIMIT 1')).rows[0].key;
    assert.equal(row.n, 1);
    assert.equal(row.amount, Number(/part-(\d+)/.exec(last)?.[1]));
    assert.equal(await transactions(), 1);
  });

  it('the row-count sink counts a batch in one transaction; a corrupt file among them is quarantined alone', async () => {
    for (let i = 0; i < FILES; i++) writeFile(i);
    fs.writeFileSync(path.join(test.inbox, name(3)), 'not parquet at all');
    const summary = await runOnce(await test.open({ raw: { pipelines: { small: { source: { glob: '*.parquet', modifiedWithin: null } } } } }));
    assert.equal(summary.counts.files_processed, FILES - 1);
    const counts = (await test.db.pool.query('SELECT file_name, row_count::int FROM etl_results')).rows;
    assert.equal(counts.length, FILES - 1);
    for (const count of counts) assert.equal(count.row_count, ROWS);
    assert.equal((await ledger()).get(name(3))?.status, 'quarantined');
    assert.ok((await transactions()) <= 4);
  });

  it('batch: false loads every file in its own transaction', async () => {
    for (let i = 0; i < 6; i++) writeFile(i);
    await load({ lineage: true }, { batch: false });
    assert.equal(await transactions(), 6);
  });
});
