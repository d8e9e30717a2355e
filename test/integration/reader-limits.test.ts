/**
 * What one file may cost: a file whose one value is 1 GiB drives its reader past
 * limits.readerMemory (1.5GiB), and a transform that never returns keeps its reader past
 * limits.fileTimeout (2s). Each costs a reader, twice, and the file ends quarantined as a poison
 * file with a message naming the limit, its lease given back; the other files are loaded.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, it } from 'node:test';
import zlib from 'node:zlib';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { startFerry, waitFor } from '../helpers/ferry-process.ts';
import { projectDir } from '../helpers/fixtures.ts';

let db: TestDatabase;
let project: string;
let env: Record<string, string>;

/** A gzipped CSV of one row whose value is `bytes` long (about 5 MB on disk for 1 GiB). */
async function writeHugeValueCsv(file: string, bytes: number): Promise<void> {
  const chunk = Buffer.alloc(16 * 1024 * 1024, 'x');
  async function* rows() {
    yield Buffer.from('id,value\n1,');
    for (let written = 0; written < bytes; written += chunk.length) yield chunk;
    yield Buffer.from('\n');
  }
  await pipeline(rows(), zlib.createGzip({ level: 1 }), fs.createWriteStream(file));
}

before(async () => {
  db = await createTestDatabase();
  project = projectDir('reader-limits-');
  const inbox = path.join(project, 'inbox');
  fs.mkdirSync(path.join(inbox, 'big'), { recursive: true });
  fs.mkdirSync(path.join(inbox, 'slow'), { recursive: true });
  await writeHugeValueCsv(path.join(inbox, 'big', 'huge.csv.gz'), 1024 ** 3);
  fs.writeFileSync(path.join(inbox, 'big', 'small.csv.gz'), zlib.gzipSync('id,value\n1,a\n2,b\n'));
  fs.writeFileSync(path.join(inbox, 'slow', 'hang.csv'), 'id,hang\n1,yes\n');
  fs.writeFileSync(path.join(inbox, 'slow', 'quick.csv'), 'id,value\n1,a\n');
  env = { DATABASE_URL: db.url, FERRY_STORAGE: inbox };
});
after(async () => {
  await db.drop();
  fs.rmSync(project, { recursive: true, force: true });
});

async function quarantined(key: string) {
  const found = await db.pool.query('SELECT status, error_code, error, reader_crashes, lease_owner FROM ferry_files WHERE key = $1', [key]);
  const row = found.rows[0];
  return row?.status === 'quarantined' ? row : undefined;
}

/** Writes the project's config: the limits and one pipeline. */
function configure(limits: string, pipeline: string): void {
  fs.writeFileSync(
    path.join(project, 'ferry.config.ts'),
    `export default { limits: ${limits}, retry: { baseDelay: '100ms', maxDelay: '200ms' }, leaseDuration: '3s', pipelines: { ${pipeline} } };\n`,
  );
}

async function loadedCount(): Promise<number> {
  return (await db.pool.query("SELECT count(*)::int AS n FROM ferry_files WHERE status = 'processed'")).rows[0].n;
}

describe('limits per file', () => {
  // Each attempt reads a 1 GiB CSV until the limit stops it (about 85 s alone, more on a busy
  // machine), and the file is charged two reader crashes: the wait is bounded by what that takes.
  it('a file past limits.readerMemory ends as a poison file naming the limit', { timeout: 540_000 }, async () => {
    configure(
      "{ readerMemory: '1.5GiB' }",
      "big: { schedule: '1s', batch: false, source: { glob: 'big/*.csv.gz', format: 'csv', compression: 'gzip', modifiedWithin: null }, sink: { table: 'big' } }",
    );
    const ferry = await startFerry({ env, cwd: project });
    try {
      const big = await waitFor('the huge file quarantined', () => quarantined('big/huge.csv.gz'), 480_000);
      assert.equal(big.error_code, 'POISON_FILE', big.error);
      assert.equal(big.reader_crashes, 2);
      assert.match(big.error, /ran out of memory under limits\.readerMemory \(1\.5 GiB\)/);
      assert.equal(big.lease_owner, null);
      await waitFor('the small file loaded', async () => ((await loadedCount()) === 1 ? true : undefined));
      assert.equal(ferry.child.exitCode, null, 'the service is still running');
    } finally {
      await ferry.stop('SIGTERM');
    }
  });

  it('a reader past limits.fileTimeout is killed; the file ends as a poison file naming the limit, its lease given back', async () => {
    // The transform never returns on a file with a column "hang", as a reader stuck in native code would not.
    configure(
      "{ fileTimeout: '2s' }",
      `slow: { schedule: '1s', batch: false, source: { glob: 'slow/*.csv', modifiedWithin: null },
        transform: (frame) => { if (frame.columns.includes('hang')) for (;;) {} return frame; }, sink: { table: 'slow' } }`,
    );
    const ferry = await startFerry({ env, cwd: project });
    try {
      const slow = await waitFor('the hanging file quarantined', () => quarantined('slow/hang.csv'), 60_000);
      assert.equal(slow.error_code, 'POISON_FILE', slow.error);
      assert.equal(slow.reader_crashes, 2);
      assert.match(slow.error, /was killed after limits\.fileTimeout \(2s\) while reading slow\/hang\.csv/);
      assert.equal(slow.lease_owner, null, 'a hung reader does not keep its lease');
      await waitFor('the quick file loaded', async () => ((await loadedCount()) === 2 ? true : undefined));
    } finally {
      await ferry.stop('SIGTERM');
    }
  });
});
