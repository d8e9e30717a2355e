/**
 * ferry as a user installs it: the packed tarball installed into fresh ESM and CommonJS
 * projects, `npx ferry init`, `npx ferry run --once` on the scaffolded sample (into the embedded
 * database, and into a server), the config type-checked with a deliberate mistake, and a
 * command run outside any project.
 */
import assert from 'node:assert/strict';
import { type SpawnOptions, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { tempDir } from '../helpers/fixtures.ts';

const REPO = path.resolve(import.meta.dirname, '../..');
const NODE_BIN = path.dirname(process.execPath);

interface Result {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A command as a user types it: Node 24 first on PATH, no test database in the environment. */
function run(command: string, args: readonly string[], options: { cwd: string; env?: Record<string, string> }): Promise<Result> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !/^(TEST_|FERRY_|DATABASE_URL$|npm_)/.test(name)) env[name] = value;
  }
  const spawnOptions: SpawnOptions = {
    cwd: options.cwd,
    env: { ...env, PATH: `${NODE_BIN}${path.delimiter}${process.env.PATH ?? ''}`, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  };
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, spawnOptions);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk;
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function ok(result: Result, what: string): Result {
  assert.equal(result.code, 0, `${what} failed (${result.code}):\n${result.stdout}\n${result.stderr}`);
  return result;
}

let tarball: string;
let work: string;
let db: TestDatabase;

before(async () => {
  work = tempDir('package-');
  // As root, the embedded PostgreSQL runs as the user postgres, who must be able to enter it.
  fs.chmodSync(work, 0o755);
  ok(await run('npm', ['pack', '--pack-destination', work, '--silent'], { cwd: REPO }), 'npm pack');
  const packed = fs.readdirSync(work).find((name) => name.endsWith('.tgz'));
  assert.ok(packed, 'npm pack made a tarball');
  tarball = path.join(work, packed);
  db = await createTestDatabase({ migrate: false });
});

after(async () => {
  await db?.drop();
  fs.rmSync(work, { recursive: true, force: true });
});

async function project(name: string, type: 'module' | 'commonjs'): Promise<string> {
  const dir = path.join(work, name);
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify({ name, version: '1.0.0', private: true, type }, null, 2)}\n`);
  ok(await run('npm', ['install', tarball, '--no-audit', '--no-fund', '--prefer-offline'], { cwd: dir }), `npm install in ${name}`);
  return dir;
}

describe('the packed package', () => {
  it('contains the compiled code and no TypeScript sources', async () => {
    const listing = ok(await run('tar', ['-tzf', tarball], { cwd: work }), 'tar').stdout.split('\n');
    assert.ok(listing.includes('package/dist/index.js') && listing.includes('package/dist/index.d.ts'));
    assert.ok(listing.includes('package/dist/frame/reader-process.js'), 'the reader entry is compiled');
    assert.ok(listing.includes('package/migrations/0001_ledger.sql'));
    assert.ok(!listing.some((file) => file.startsWith('package/src/') || file.startsWith('package/test/')));
  });

  it('ESM project: npx ferry init, then npx ferry run --once loads the sample into the embedded database', async () => {
    const dir = await project('esm-app', 'module');
    const init = ok(await run('npx', ['--no-install', 'ferry', 'init'], { cwd: dir }), 'ferry init');
    assert.match(init.stdout, /created\s+ferry\.config\.ts/);
    for (const file of ['ferry.config.ts', '.env.example', 'tsconfig.json', 'data/inbox/sample-orders.csv'])
      assert.ok(fs.existsSync(path.join(dir, file)), file);
    assert.match(fs.readFileSync(path.join(dir, '.gitignore'), 'utf8'), /^\.ferry\/$/m);
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    assert.deepEqual(manifest.scripts, { start: 'ferry start', load: 'ferry run --once', ferry: 'ferry' });

    // Nothing is overwritten without --force.
    fs.writeFileSync(path.join(dir, '.env.example'), '# mine\n');
    const again = ok(await run('npx', ['--no-install', 'ferry', 'init'], { cwd: dir }), 'ferry init again');
    assert.match(again.stdout, /kept\s+\.env\.example/);
    assert.equal(fs.readFileSync(path.join(dir, '.env.example'), 'utf8'), '# mine\n');
    assert.equal(fs.readFileSync(path.join(dir, '.gitignore'), 'utf8').match(/^\.ferry\/$/gm)?.length, 1, 'entries are not added twice');

    // From a subfolder: the project's root holds the state, not the current folder.
    fs.mkdirSync(path.join(dir, 'scripts'));
    const loaded = ok(await run('npx', ['--no-install', 'ferry', 'run', '--once', '--json'], { cwd: path.join(dir, 'scripts') }), 'ferry run --once');
    const summary = JSON.parse(loaded.stdout);
    assert.equal(summary.files_processed, 1, loaded.stdout);
    assert.ok(fs.existsSync(path.join(dir, '.ferry')), 'the embedded database is in the project');
    assert.deepEqual(fs.readdirSync(path.join(dir, 'scripts')), [], 'nothing is created in the current folder');
    const files = JSON.parse(ok(await run('npx', ['--no-install', 'ferry', 'files', '--json'], { cwd: dir }), 'ferry files').stdout);
    assert.deepEqual(
      files.files.map((f: { key: string; status: string; rows: number; rows_rejected: number }) => [f.key, f.status, Number(f.rows), Number(f.rows_rejected)]),
      [['sample-orders.csv', 'processed', 7, 1]],
    );
  });

  it('CommonJS project: the TypeScript config loads through the fallback loader; rows land in the server', async () => {
    const dir = await project('cjs-app', 'commonjs');
    ok(await run('npx', ['--no-install', 'ferry', 'init'], { cwd: dir }), 'ferry init');
    const loaded = ok(await run('npx', ['--no-install', 'ferry', 'run', '--once', '--json'], { cwd: dir, env: { DATABASE_URL: db.url } }), 'ferry run --once');
    assert.equal(JSON.parse(loaded.stdout).files_processed, 1);
    assert.doesNotMatch(loaded.stderr, /Warning/);
    assert.deepEqual(
      (await db.pool.query('SELECT order_id::int, status FROM orders ORDER BY order_id')).rows.map((r) => `${r.order_id} ${r.status}`),
      ['1001 paid', '1002 paid', '1003 refunded', '1004 paid', '1005 pending', '1006 paid', '1008 paid'],
    );
    const rejects = (await db.pool.query('SELECT row_number::int, rules, "values" FROM orders_rejects')).rows;
    assert.deepEqual(rejects, [
      {
        row_number: 7,
        rules: ['range(amount)'],
        values: { order_id: 1007, customer: 'Donald Knuth', amount: -5, status: 'paid', ordered_at: '2026-01-07 17:00:00' },
      },
    ]);

    // A syntax error in the config is reported with file:line:column.
    const config = path.join(dir, 'ferry.config.ts');
    const good = fs.readFileSync(config, 'utf8');
    fs.writeFileSync(config, good.replace("schedule: { every: '5m' },", "schedule: { every: '5m' } oops"));
    const broken = await run('npx', ['--no-install', 'ferry', 'status'], { cwd: dir, env: { DATABASE_URL: db.url } });
    assert.equal(broken.code, 2);
    assert.match(broken.stderr, /ferry\.config\.ts:\d+:\d+: /);
    fs.writeFileSync(config, good);
  });

  it("the config type-checks against ferry's types: a wrong field is a tsc error", async () => {
    const dir = path.join(work, 'esm-app');
    const tsc = path.join(REPO, 'node_modules', '.bin', 'tsc');
    ok(await run(tsc, ['-p', '.'], { cwd: dir }), 'tsc on the scaffolded config');
    const config = fs.readFileSync(path.join(dir, 'ferry.config.ts'), 'utf8');
    fs.writeFileSync(path.join(dir, 'ferry.config.ts'), config.replace("sink: { table: 'orders'", "sink: { tabel: 'orders'"));
    const wrong = await run(tsc, ['-p', '.'], { cwd: dir });
    assert.notEqual(wrong.code, 0, wrong.stdout);
    assert.match(wrong.stdout, /ferry\.config\.ts\(\d+,\d+\): error TS2561: .*'tabel' does not exist/);
    fs.writeFileSync(path.join(dir, 'ferry.config.ts'), config);
  });

  it("the image's command line: ferry start from the installed package, as a non-root user, on 0.0.0.0; ferry health", async () => {
    const dir = path.join(work, 'esm-app');
    const bin = path.join(dir, 'node_modules', '.bin', 'ferry');
    const inbox = path.join(work, 'inbox-unprivileged');
    fs.mkdirSync(inbox);
    fs.chmodSync(inbox, 0o777);
    const port = await freePort();
    const env = {
      DATABASE_URL: db.url,
      FERRY_STORAGE: inbox,
      HOST: '0.0.0.0',
      PORT: String(port),
      FERRY_LOG_FORMAT: 'json',
      FERRY_READ_TOKEN: 'image-read-token',
    };
    // Bound beyond loopback without a read token (or FERRY_PUBLIC_READ=true), it refuses to start.
    const open = await run(bin, ['start'], { cwd: dir, env: { ...env, FERRY_READ_TOKEN: '' } });
    assert.equal(open.code, 2);
    assert.match(open.stderr, /HOST=0\.0\.0\.0 makes ferry reachable from other machines, and no read token is set: set FERRY_READ_TOKEN/);
    // As the image runs it: not root (setpriv keeps the environment, as Docker's USER does).
    // That user cannot enter root's home, where this Node may be: it gets a copy of its own.
    let nodeBin = NODE_BIN;
    const asRoot = process.getuid?.() === 0;
    if (asRoot) {
      nodeBin = path.join(work, 'node-bin');
      fs.mkdirSync(nodeBin);
      fs.copyFileSync(process.execPath, path.join(nodeBin, 'node'));
      fs.chmodSync(path.join(nodeBin, 'node'), 0o755);
    }
    const command = asRoot ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', bin] : [bin];
    const child = spawn(command[0] as string, [...command.slice(1), 'start'], {
      cwd: dir,
      env: { ...process.env, PATH: `${nodeBin}${path.delimiter}${process.env.PATH ?? ''}`, ...env, TEST_DATABASE_URL: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const closed = new Promise((resolve) => child.once('close', resolve));
    let log = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      log += chunk;
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      log += chunk;
    });
    try {
      let healthy: Result | null = null;
      for (let i = 0; i < 120 && healthy?.code !== 0 && child.exitCode === null; i++) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        healthy = await run(bin, ['health'], { cwd: dir, env: { PORT: String(port) } });
      }
      assert.equal(healthy?.code, 0, `ferry health never passed: ${healthy?.stdout}${healthy?.stderr}\n${log}`);
      assert.equal(JSON.parse(healthy?.stdout ?? '{}').status, 'ok');
      assert.match(log, /"msg":"ferry started"|listening/i);
      assert.match(log, /0\.0\.0\.0/, 'it listens on every interface');
      const status = (token: string | null) =>
        fetch(`http://127.0.0.1:${port}/status`, { headers: token === null ? {} : { authorization: `Bearer ${token}` } }).then((r) => r.status);
      assert.equal(await status(null), 401);
      assert.equal(await status('image-read-token'), 200);
    } finally {
      child.kill('SIGTERM');
      await closed;
    }
    const down = await run(bin, ['health', '--timeout', '2s'], { cwd: dir, env: { PORT: String(port) } });
    assert.equal(down.code, 1, 'a stopped service is not healthy');
    assert.match(down.stderr, /did not answer/);
  });

  it('outside any project, a command says so and creates nothing', async () => {
    const dir = tempDir('no-project-');
    const bin = path.join(work, 'esm-app', 'node_modules', '.bin', 'ferry');
    const result = await run(bin, ['status'], { cwd: dir });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /no ferry project in .* \(no ferry\.config\.ts, no package\.json\): run `npx --no-install ferry init`/);
    assert.deepEqual(fs.readdirSync(dir), []);
  });
});
