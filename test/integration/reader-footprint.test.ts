/**
 * How many reader processes a service keeps: never more than `concurrency`, even while two
 * pipelines run at once (each run has `concurrency` workers); an idle reader exits after
 * readers.idleExit, and a file that arrives after that is loaded at once by a reader started
 * again. /metrics says how many readers run and what each holds.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { type RunningFerry, startFerry, waitFor } from '../helpers/ferry-process.ts';
import { projectDir } from '../helpers/fixtures.ts';
import { childPids } from '../helpers/processes.ts';

let db: TestDatabase;
let project: string;
let inbox: string;

before(async () => {
  db = await createTestDatabase();
  project = projectDir('reader-footprint-');
  inbox = path.join(project, 'inbox');
  for (const folder of ['a', 'b']) fs.mkdirSync(path.join(inbox, folder), { recursive: true });
});
after(async () => {
  await db.drop();
  fs.rmSync(project, { recursive: true, force: true });
});

function writeCsv(key: string, rows: number): void {
  const lines = ['id,name'];
  for (let i = 0; i < rows; i++) lines.push(`${i},name ${i}`);
  fs.writeFileSync(path.join(inbox, key), `${lines.join('\n')}\n`);
}

async function processed(): Promise<number> {
  return (await db.pool.query("SELECT count(*)::int AS n FROM ferry_files WHERE status = 'processed'")).rows[0].n;
}

const readers = (ferry: RunningFerry) => childPids(ferry.child.pid as number, 'reader-process');

describe('reader processes kept by a service', () => {
  it('two pipelines running at once share `concurrency` readers; an idle reader exits and the next file starts one again', async () => {
    // Each file alone (batch: false), so that both pipelines' runs claim files one by one, at the same time.
    const pipeline = (folder: string) =>
      `${folder}: { schedule: '1s', batch: false, source: { glob: '${folder}/*.csv', modifiedWithin: null }, sink: { table: '${folder}' } }`;
    fs.writeFileSync(
      path.join(project, 'ferry.config.ts'),
      `export default { concurrency: 2, readers: { idleExit: '2s' }, pipelines: { ${pipeline('a')}, ${pipeline('b')} } };\n`,
    );
    for (let i = 0; i < 12; i++) {
      writeCsv(`a/${i}.csv`, 20);
      writeCsv(`b/${i}.csv`, 20);
    }
    const ferry = await startFerry({ env: { DATABASE_URL: db.url, FERRY_STORAGE: inbox }, cwd: project });
    try {
      let most = 0;
      await waitFor(
        'the 24 files loaded',
        async () => {
          most = Math.max(most, readers(ferry).length);
          return (await processed()) === 24 ? true : undefined;
        },
        120_000,
      );
      assert.ok(most >= 1, 'the files went through reader processes');
      assert.ok(most <= 2, `at most concurrency (2) readers ran, not ${most}`);

      await waitFor('the idle readers exited', async () => (readers(ferry).length === 0 ? true : undefined), 30_000);
      const metrics = await (await fetch(`${ferry.url}/metrics`)).text();
      assert.match(metrics, /^ferry_readers 0$/m);

      // A file after that: a reader starts again and loads it, at the next tick of the 1 s schedule.
      writeCsv('a/late.csv', 5);
      await waitFor('the late file loaded', async () => ((await processed()) === 25 ? true : undefined), 15_000);
      assert.equal(ferry.child.exitCode, null, 'the service is still running');

      const running = await (await fetch(`${ferry.url}/metrics`)).text();
      const resident = [...running.matchAll(/^ferry_reader_resident_memory_bytes\{reader="(\d+)"\} (\d+)$/gm)];
      // The reader that loaded the late file may have exited again already (idleExit: 2s).
      for (const [, number, bytes] of resident) {
        assert.ok(Number(number) >= 1 && Number(number) <= 2, `reader number ${number}`);
        assert.ok(Number(bytes) > 10 * 2 ** 20, `reader ${number} holds ${bytes} bytes`);
      }
      assert.match(running, /^ferry_readers [0-2]$/m);
    } finally {
      await ferry.stop('SIGTERM');
    }
  });
});
