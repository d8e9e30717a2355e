/**
 * Told, not misled: a storage folder that does not exist or is not a folder is an error at
 * start that names it (and nothing is created), ferry outside any project creates nothing, and
 * `ferry start` with the database or S3 unreachable waits for it, saying so, instead of exiting.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { runFerry, spawnFerryStart, waitFor } from '../helpers/ferry-process.ts';
import { projectDir, tempDir } from '../helpers/fixtures.ts';
import { startS3Server } from '../helpers/s3-server.ts';

let db: TestDatabase;
let project: string;

before(async () => {
  db = await createTestDatabase();
  project = projectDir('start-checks-');
  fs.mkdirSync(path.join(project, 'inbox'));
});
after(async () => {
  await db.drop();
  fs.rmSync(project, { recursive: true, force: true });
});

/** A port on which nothing listens (yet). */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('at start', () => {
  it('a storage folder that does not exist is an error naming it, and is not created', async () => {
    const result = await runFerry(['run', '--once', '--storage', './nope'], { env: { DATABASE_URL: db.url }, cwd: project });
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, new RegExp(`storage ${path.join(project, 'nope')} does not exist`));
    assert.equal(fs.existsSync(path.join(project, 'nope')), false, 'nothing was created');
  });

  it('a storage path that is a file is an error naming it', async () => {
    fs.writeFileSync(path.join(project, 'notes.txt'), 'not an inbox\n');
    for (const command of [['run', '--once'], ['start']]) {
      const result = await runFerry([...command, '--storage', path.join(project, 'notes.txt')], { env: { DATABASE_URL: db.url, PORT: '0' }, cwd: project });
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, /notes\.txt is not a folder/);
    }
  });

  it('outside any project, ferry start and ferry run create nothing', async () => {
    const nowhere = tempDir('no-project-');
    try {
      for (const command of [['start'], ['run', '--once']]) {
        const result = await runFerry(command, { env: { PORT: '0' }, cwd: nowhere });
        assert.equal(result.code, 2, result.stderr);
        assert.match(result.stderr, /no ferry project .* nothing was created/);
        assert.deepEqual(fs.readdirSync(nowhere), [], `${command.join(' ')} created nothing`);
      }
    } finally {
      fs.rmSync(nowhere, { recursive: true, force: true });
    }
  });

  it('ferry start waits for a database that is unreachable at start, and starts when it answers', async () => {
    const port = await freePort();
    const url = new URL(db.url);
    url.port = String(port);
    const target = new URL(db.url);
    await startWaitingFor('database', { DATABASE_URL: url.toString(), FERRY_STORAGE: path.join(project, 'inbox') }, port, Number(target.port));
  });

  it('ferry start waits for S3 that is unreachable at start, and starts when it answers', async () => {
    const s3 = await startS3Server();
    try {
      const port = await freePort();
      const env = { ...s3.env, AWS_ENDPOINT_URL: `http://127.0.0.1:${port}`, DATABASE_URL: db.url, FERRY_STORAGE: `s3://${s3.bucket}/in/` };
      await startWaitingFor('storage', env, port, Number(new URL(s3.endpoint).port));
    } finally {
      await s3.stop();
    }
  });
});

/**
 * Starts ferry while nothing listens on `port`, waits for its line saying `what` is unreachable
 * and that it tries again, then opens a relay from `port` to `targetPort`: ferry starts, and
 * stops on SIGTERM with 143.
 */
async function startWaitingFor(what: 'database' | 'storage', env: Record<string, string>, port: number, targetPort: number): Promise<void> {
  const { child, output: logs, exited } = spawnFerryStart({ cwd: project, env });
  const relay = net.createServer((socket) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    socket.pipe(upstream).pipe(socket);
    socket.on('error', () => upstream.destroy());
    upstream.on('error', () => socket.destroy());
  });
  try {
    const line = new RegExp(`${what} unreachable at start: .*trying again in \\d+s`);
    await waitFor(`the line saying the ${what} is unreachable`, async () => (line.test(logs()) ? true : undefined), 60_000);
    assert.equal(child.exitCode, null, 'ferry did not exit');
    await new Promise<void>((resolve) => relay.listen(port, '127.0.0.1', resolve));
    await waitFor('ferry started', async () => (/"msg":"ferry started"/.test(logs()) ? true : undefined), 90_000);
    child.kill('SIGTERM');
    assert.equal(await exited, 143, logs());
  } finally {
    child.kill('SIGKILL');
    await new Promise((resolve) => relay.close(resolve));
  }
}
