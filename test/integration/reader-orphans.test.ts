/**
 * Readers never outlive ferry: `ferry start` is SIGKILLed while its readers are starting, idle,
 * and busy (a transform in a hot loop holds the reader's main thread as native code would), and
 * no reader is left. The fallback watchdog thread (for systems without `setpriv`) is checked on
 * its own: a reader started with it outlives a SIGKILLed parent by well under a second.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { cleanEnv, FERRY_BIN, startFerry, waitFor } from '../helpers/ferry-process.ts';
import { childPids, waitGone } from '../helpers/processes.ts';
import { useFerryProject } from '../helpers/project.ts';

const READER_ENTRY = fileURLToPath(new URL('../../src/frame/reader-process.ts', import.meta.url));

// A transform that never returns on a file with a column "spin": the reader's main thread is
// as busy as it would be deep in Polars' native code.
const project = useFerryProject({
  prefix: 'reader-orphans-',
  config: `export default { limits: { fileTimeout: '1h' }, pipelines: { spin: { schedule: '1s', source: { glob: '*.csv', modifiedWithin: null },
      transform: (frame) => { if (frame.columns.includes('spin')) for (;;) {} return frame; }, sink: { table: 'spun' } } } };\n`,
  files: { 'spin.csv': 'id,spin\n1,yes\n' },
  env: { PORT: '0' },
});

/** SIGKILLs the process and waits until the readers are gone: how long that took. */
async function killAndWatch(child: ChildProcess, readers: readonly number[]): Promise<number> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
  return waitGone(readers, 10_000);
}

function readersOf(child: ChildProcess): number[] {
  return childPids(child.pid as number, 'reader-process');
}

describe('readers never outlive ferry', () => {
  it('SIGKILL while the readers are starting', async () => {
    const child = spawn(process.execPath, [FERRY_BIN, 'start'], { cwd: project.dir, env: cleanEnv(project.env()), stdio: 'ignore' });
    // The first reader is forked before ferry loads its config (its start takes ~0.3 s): kill at once.
    const readers = await waitFor('a reader forked', async () => (readersOf(child).length > 0 ? readersOf(child) : undefined), 20_000);
    const ms = await killAndWatch(child, readers);
    console.log(`starting: ${readers.length} reader(s) gone ${ms} ms after ferry's SIGKILL`);
  });

  it('SIGKILL while the readers are idle', async () => {
    const empty = path.join(project.dir, 'empty');
    fs.mkdirSync(empty, { recursive: true });
    const ferry = await startFerry({ env: { ...project.env(), FERRY_STORAGE: empty }, cwd: project.dir });
    try {
      const readers = readersOf(ferry.child);
      assert.ok(readers.length >= 1, 'a reader is waiting for files');
      const ms = await killAndWatch(ferry.child, readers);
      console.log(`idle: ${readers.length} reader(s) gone ${ms} ms after ferry's SIGKILL`);
    } finally {
      ferry.child.kill('SIGKILL');
    }
  });

  it('SIGKILL while a reader is busy in a file', async () => {
    const child = spawn(process.execPath, [FERRY_BIN, 'run', '--once'], { cwd: project.dir, env: cleanEnv(project.env()), stdio: 'ignore' });
    try {
      await waitFor('the file claimed', async () => {
        const found = await project.db.pool
          .query("SELECT 1 FROM ferry_files WHERE key = 'spin.csv' AND lease_owner IS NOT NULL")
          .catch(() => ({ rowCount: 0 }));
        return found.rowCount === 1 ? true : undefined;
      });
      const readers = readersOf(child);
      assert.ok(readers.length >= 1, 'the reader of the file');
      const ms = await killAndWatch(child, readers);
      console.log(`busy: ${readers.length} reader(s) gone ${ms} ms after ferry's SIGKILL`);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('without setpriv, the watchdog thread ends a reader whose parent was SIGKILLed', async () => {
    // A parent that forks a reader as ferry does on systems without setpriv, then waits.
    const parent = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { fork } from 'node:child_process';
         const reader = fork(${JSON.stringify(READER_ENTRY)}, [String(process.pid), 'thread'], { stdio: ['ignore', 'ignore', 'ignore', 'ipc'], serialization: 'advanced' });
         console.log(reader.pid);
         setInterval(() => {}, 1000);`,
      ],
      { env: cleanEnv({}), stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const reader = await new Promise<number>((resolve) => parent.stdout?.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim()))));
    // Until its watchdog thread is up, the reader's first look at its parent's pid covers it.
    const ms = await killAndWatch(parent, [reader]);
    assert.ok(ms < 2_000, `gone in ${ms} ms`);
    console.log(`watchdog thread: the reader gone ${ms} ms after its parent's SIGKILL`);
  });
});
