/**
 * Stopping with the embedded database (the Quick start's default), as a terminal and a
 * supervisor do it: Ctrl-C's SIGINT sent to the whole process group, SIGHUP from a closed
 * terminal, SIGTERM. The embedded PostgreSQL stops after ferry, never before: the loads in hand
 * roll back, their leases are given back, the run is recorded interrupted, the exit code is
 * 128 + the signal's number, and nothing prints a stack trace. Then a ferry SIGKILLed mid-load:
 * the next run on this host claims its files at once instead of waiting for their leases.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import pg from 'pg';
import { embeddedDatabaseInfo } from '../../src/postgres/index.ts';
import { cleanEnv, FERRY_BIN, runFerry, waitFor } from '../helpers/ferry-process.ts';
import { projectDir, writeParquet } from '../helpers/fixtures.ts';

const FILES = 12;
const ROWS = 150_000;

let project: string;
let env: Record<string, string>;

before(() => {
  project = projectDir('signals-');
  const inbox = path.join(project, 'inbox');
  for (let i = 0; i < FILES; i++) writeParquet(path.join(inbox, `part-${String(i).padStart(2, '0')}.parquet`), ROWS, i * ROWS);
  // One file per transaction, and a lease far longer than the test: a file leased to a process
  // that is gone is claimed at once only if ferry notices.
  fs.writeFileSync(
    path.join(project, 'ferry.config.ts'),
    "export default { concurrency: 2, leaseDuration: '10m', pipelines: { load: { schedule: '1h', batch: false, sink: { table: 'parts' } } } };\n",
  );
  env = { FERRY_STORAGE: inbox, PORT: '0' };
});
after(async () => {
  // The last command stopped the embedded server it started; a SIGKILLed owner's is stopped by the next.
  await runFerry(['migrate'], { env, cwd: project, timeoutMs: 120_000 });
  fs.rmSync(project, { recursive: true, force: true });
});

/** A ferry command in a process group of its own, as a shell runs a foreground job. */
function spawnGroup(args: readonly string[]): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [FERRY_BIN, ...args], { cwd: project, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  running.add(child);
  void exited.then(() => running.delete(child));
  return { child, output: () => output, exited };
}

/** Commands still running when a test fails: killed before the next test starts. */
const running = new Set<ChildProcess>();
afterEach(() => {
  for (const child of running) child.kill('SIGKILL');
});

/** Waits until the embedded database (started by the command under test) shows `done` processed files and one leased. */
async function waitForLoadsInHand(done: number): Promise<void> {
  const url = await waitFor('the embedded database', async () => embeddedDatabaseInfo(path.join(project, '.ferry'))?.connectionString, 60_000);
  // (The state file may be a previous server's: connect until this one answers.)
  const client = await waitFor(
    'the database to accept connections',
    async () => {
      const candidate = new pg.Client({ connectionString: url });
      candidate.on('error', () => {});
      return candidate.connect().then(
        () => candidate,
        (error: unknown) => {
          void candidate.end().catch(() => {});
          throw error;
        },
      );
    },
    60_000,
  );
  try {
    await waitFor(
      `${done} files processed and one in hand`,
      async () => {
        const found = await client.query(
          "SELECT count(*) FILTER (WHERE status = 'processed')::int AS processed, count(*) FILTER (WHERE lease_owner IS NOT NULL)::int AS leased FROM ferry_files",
        );
        const row = found.rows[0];
        return row.processed >= done && row.leased > 0 ? true : undefined;
      },
      120_000,
    );
  } finally {
    await client.end().catch(() => {});
  }
}

async function ledger() {
  const files = await runFerry(['files', '--json', '-n', '100'], { env, cwd: project, timeoutMs: 120_000 });
  const runs = await runFerry(['runs', '--json'], { env, cwd: project, timeoutMs: 120_000 });
  const status = await runFerry(['status', '--json'], { env, cwd: project, timeoutMs: 120_000 });
  return {
    files: JSON.parse(files.stdout).files as { key: string; status: string }[],
    runs: JSON.parse(runs.stdout).runs as { id: number; status: string; trigger: string }[],
    inProgress: (JSON.parse(status.stdout).pipelines as { in_progress: unknown[] }[]).flatMap((p) => p.in_progress),
  };
}

function assertNoStackTrace(output: string): void {
  assert.doesNotMatch(output, /^\s+at .+:\d+:\d+\)?$/m, `a stack trace was printed:\n${output}`);
  assert.doesNotMatch(output, /release failed|shutting down|terminating connection/i, output);
}

describe('stopping with the embedded database', () => {
  it('Ctrl-C (SIGINT to the whole process group) during ferry run --once: rolled back, released, recorded interrupted, exit 130', async () => {
    const run = spawnGroup(['run', '--once']);
    await waitForLoadsInHand(2);
    process.kill(-(run.child.pid as number), 'SIGINT');
    assert.equal(await run.exited, 130, run.output());
    assertNoStackTrace(run.output());
    assert.match(run.output(), /stopped; files not finished were rolled back/);

    const after = await ledger();
    assert.deepEqual(after.inProgress, [], 'no file is left in progress');
    assert.equal(after.runs[0]?.status, 'interrupted');
    const processed = after.files.filter((file) => file.status === 'processed').length;
    assert.ok(processed >= 2 && processed < FILES, `stopped mid-run (${processed} of ${FILES} processed)`);
  });

  it('SIGHUP (the terminal closed) during ferry start: exit 129, nothing left leased', async () => {
    const start = spawnGroup(['start']);
    await waitForLoadsInHand(0);
    process.kill(-(start.child.pid as number), 'SIGHUP');
    assert.equal(await start.exited, 129, start.output());
    assertNoStackTrace(start.output());
    const after = await ledger();
    assert.deepEqual(after.inProgress, []);
    assert.equal(after.runs[0]?.status, 'interrupted');
  });

  it('SIGKILL mid-load, then a run at once: the files of the process that is gone are claimed at once', async () => {
    const run = spawnGroup(['run', '--once']);
    await waitForLoadsInHand(0);
    run.child.kill('SIGKILL');
    await run.exited;
    const started = Date.now();
    const rerun = await runFerry(['run', '--once', '--json'], { env, cwd: project, timeoutMs: 120_000 });
    assert.equal(rerun.code, 0, rerun.stderr);
    const after = await ledger();
    const left = after.files.filter((file) => file.status !== 'processed');
    assert.equal(after.files.length - left.length, FILES, `every file processed, none left to its lease (10m): ${JSON.stringify(left)}`);
    console.log(`the files of a SIGKILLed ferry were taken over and finished in ${Date.now() - started} ms`);
  });

  it('SIGTERM during ferry start: exit 143', async () => {
    const start = spawnGroup(['start']);
    await waitFor('ferry started', async () => (/ferry started/.test(start.output()) ? true : undefined), 60_000);
    process.kill(start.child.pid as number, 'SIGTERM');
    assert.equal(await start.exited, 143, start.output());
    assertNoStackTrace(start.output());
  });
});
