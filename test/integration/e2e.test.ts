/**
 * ferry as a new user meets it: `ferry start` in an empty project folder, embedded PostgreSQL,
 * the default inbox, Parquet files dropped in, /status read over HTTP.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { type RunningFerry, runFerry, startFerry, waitFor } from '../helpers/ferry-process.ts';
import { projectDir, writeParquet } from '../helpers/fixtures.ts';

const project = projectDir('project-');
const inbox = path.join(project, 'data', 'inbox');
// After the restart ticks come every second, so that "more ticks" takes seconds, not minutes.
const env = { FERRY_SCHEDULE: '1s' };
let ferry: RunningFerry | null = null;

interface Status {
  service_status: string;
  last_run: string | null;
  total_files_processed: number;
  pipelines: { name: string; last_run: { id: number } | null; files: Record<string, number> }[];
  recent_results: { file_name: string; row_count: number }[];
}

async function status(): Promise<Status> {
  const response = await fetch(`${ferry?.url}/status`);
  assert.equal(response.status, 200);
  return (await response.json()) as Status;
}

after(async () => {
  await ferry?.stop('SIGKILL');
  fs.rmSync(project, { recursive: true, force: true });
});

describe('end to end: ferry start on embedded defaults', () => {
  it('counts dropped files once, across ticks and restarts, and records a corrupt one as failed', async () => {
    // The default schedule (every 5 minutes): files dropped in after the start tick are seen by the folder watch.
    ferry = await startFerry({ env: {}, cwd: project, timeoutMs: 120_000 });
    assert.ok(fs.existsSync(inbox), 'the default inbox is created');
    assert.deepEqual(await (await fetch(`${ferry.url}/health`)).json(), { status: 'ok', checks: { database: 'ok', storage: 'ok' } });

    writeParquet(path.join(inbox, 'a.parquet'), 1_234);
    writeParquet(path.join(inbox, 'nested', 'b.parquet'), 56_789);
    writeParquet(path.join(inbox, 'c.parquet'), 300_000);
    const counted = await waitFor('three files counted', async () => {
      const current = await status();
      return current.total_files_processed === 3 ? current : undefined;
    });
    assert.equal(counted.service_status, 'running');
    assert.ok(counted.last_run !== null);
    assert.deepEqual(counted.recent_results.map((r) => [r.file_name, r.row_count]).sort(), [
      ['a.parquet', 1_234],
      ['c.parquet', 300_000],
      ['nested/b.parquet', 56_789],
    ]);

    // More runs change nothing: `ferry run --once` beside the service uses its embedded database.
    for (let i = 0; i < 2; i++) {
      const again = await runFerry(['run', '--once', '--json'], { env: {}, cwd: project });
      assert.equal(again.code, 0, again.stderr);
      assert.deepEqual(JSON.parse(again.stdout).files_processed, 0);
    }
    const runBefore = (await status()).pipelines[0]?.last_run?.id ?? 0;
    assert.ok(runBefore >= 3);
    assert.equal((await status()).total_files_processed, 3);

    // A second start on the same data directory refuses, and says why.
    const second = await runFerry(['start'], { env: { ...env, PORT: '0' }, cwd: project });
    assert.notEqual(second.code, 0);
    assert.match(second.stderr, /ferry is already running on .*\.ferry \(pid \d+\)/);

    // SIGTERM: exit 0 within 10 s, embedded PostgreSQL stopped.
    const stopped = await ferry.stop('SIGTERM');
    assert.equal(stopped.code, 143, ferry.logs());
    assert.ok(stopped.ms < 10_000, `stopped in ${stopped.ms} ms`);
    assert.ok(!fs.existsSync(path.join(project, '.ferry', 'postgres', 'postmaster.pid')), 'embedded PostgreSQL stopped');

    // Restart: still 3. Overwrite one: 4. A corrupt file: failed, with its reason.
    ferry = await startFerry({ env, cwd: project, timeoutMs: 60_000 });
    await waitFor('a tick after restart', async () => ((await status()).pipelines[0]?.last_run?.id ?? 0) > runBefore + 2 || undefined);
    assert.equal((await status()).total_files_processed, 3);
    // ferry status, run without FERRY_SCHEDULE, shows the running service's schedule, not its own.
    const shown = await runFerry(['status', '--wide'], { env: {}, cwd: project });
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /service: running at /);
    assert.match(shown.stdout, /\bdefault\s+every 1s\b/);

    writeParquet(path.join(inbox, 'a.parquet'), 4_321, 7);
    fs.writeFileSync(path.join(inbox, 'corrupt.parquet'), Buffer.concat([Buffer.from('PAR1'), Buffer.alloc(64, 1), Buffer.from('PAR1')]));
    const after = await waitFor('the overwritten file counted again', async () => {
      const current = await status();
      return current.total_files_processed === 4 && current.pipelines[0]?.files.quarantined === 1 ? current : undefined;
    });
    assert.deepEqual(
      after.recent_results.filter((r) => r.file_name === 'a.parquet').map((r) => r.row_count),
      [4_321, 1_234],
    );
    const failed = (await (await fetch(`${ferry.url}/files?status=quarantined`)).json()) as { files: { key: string; error: string; error_step: string }[] };
    assert.equal(failed.files.length, 1);
    assert.equal(failed.files[0]?.key, 'corrupt.parquet');
    assert.equal(failed.files[0]?.error_step, 'read');
    assert.match(failed.files[0]?.error ?? '', /corrupt\.parquet is not a readable Parquet file: .+/);

    const last = await ferry.stop('SIGINT');
    assert.equal(last.code, 130);
    ferry = null;
  });
});
