/**
 * ferry in a terminal and in pipes, as a subprocess: readable log lines on a pseudo-terminal
 * (util-linux `script`), JSON when piped, a bad log level named with the valid ones, quiet ends
 * of pipes, run history, and errors that say what was not found.
 */
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { cleanEnv, FERRY_BIN, runFerry, startFerry, waitFor } from '../helpers/ferry-process.ts';
import { projectDir, tempDir, writeParquet } from '../helpers/fixtures.ts';

const run = promisify(execFile);

let db: TestDatabase;
let project: string;
let env: Record<string, string>;

before(async () => {
  db = await createTestDatabase();
  project = tempDir('terminal-');
  const inbox = path.join(project, 'inbox');
  for (let i = 0; i < 30; i++) writeParquet(path.join(inbox, `file-${i}.parquet`), 10 + i);
  fs.writeFileSync(path.join(inbox, 'broken.parquet'), `PAR1${'x'.repeat(200)}`);
  env = { DATABASE_URL: db.url, FERRY_STORAGE: inbox };
});
after(async () => {
  await db.drop();
  fs.rmSync(project, { recursive: true, force: true });
});

describe('terminal', () => {
  it('logs readable lines on a terminal and JSON in a pipe', async () => {
    // `script` gives the command a pseudo-terminal, as a person's shell would.
    const command = `${process.execPath} ${FERRY_BIN} run --once -v`;
    const tty = await run('script', ['-qec', command, '/dev/null'], { cwd: project, env: cleanEnv(env) });
    assert.match(tty.stdout, /\d\d:\d\d:\d\d\.\d{3}\] .*INFO.*\[default\] run started/);
    assert.match(tty.stdout, /\[default\] broken\.parquet: file quarantined/);
    assert.doesNotMatch(tty.stdout, /"level":30/);
    // The live progress line: files done of those due, rows, rate.
    assert.match(tty.stdout, /\[default\] \d+\/31 files · [\d,]+ rows · [\d,]+ rows\/s/);
    // What the terminal shows once it is done: each log line and each file's line on its own,
    // the progress line cleared before any of them (and at the end), never sharing a line.
    const screen = screenLines(tty.stdout);
    assert.ok(screen.some((line) => /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO/.test(line)));
    for (const line of screen) {
      assert.doesNotMatch(line, /files · /, `the progress line was left on a line: ${JSON.stringify(line)}`);
      if (line.includes('INFO')) assert.match(line, /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO/, `a log line shares a line: ${JSON.stringify(line)}`);
    }

    const piped = await runFerry(['run', '--once', '-v'], { env, cwd: project });
    assert.doesNotMatch(piped.stdout, /files · /, 'no progress line in a pipe');
    const lines = piped.stderr.trim().split('\n');
    assert.ok(lines.length > 0 && lines.every((line) => JSON.parse(line).service === 'ferry'), piped.stderr);
    const forced = await runFerry(['--log-format', 'pretty', 'run', '--once', '-v'], { env, cwd: project });
    assert.match(forced.stderr, /INFO.*\[default\] run started/);
  });

  it('Ctrl-C during a run in a terminal: the stop notice and the logs start their own lines', async () => {
    const dir = fs.mkdtempSync(path.join(process.cwd(), '.ferry-test', 'terminal-stop-'));
    const inbox = path.join(dir, 'inbox');
    for (let i = 0; i < 3; i++) writeParquet(path.join(inbox, `big-${i}.parquet`), 1_000_000, i * 1_000_000);
    fs.writeFileSync(path.join(dir, 'ferry.config.ts'), "export default { pipelines: { big: { sink: { table: 'stop_rows' } } } };\n");
    // `script` forwards its standard input to the terminal it makes: \x03 there is a Ctrl-C.
    const child = spawn('script', ['-qec', `stty cols 100 rows 30; ${process.execPath} ${FERRY_BIN} run --once -v`, '/dev/null'], {
      cwd: dir,
      env: cleanEnv({ ...env, FERRY_STORAGE: inbox }),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      await waitFor('the progress line', async () => (/\[big\] 0\/3 files · /.test(out) ? true : undefined));
      child.stdin.write('\x03');
      await exited;
      const screen = screenLines(out);
      assert.ok(screen.includes('ferry: SIGINT: stopping (again to exit at once)'), `the notice is a line of its own:\n${screen.join('\n')}`);
      for (const line of screen) {
        assert.doesNotMatch(line, /files · /, `the progress line was left on a line: ${JSON.stringify(line)}`);
        if (line.includes('INFO')) assert.match(line, /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO/);
      }
    } finally {
      child.kill('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('without -v, a failed file is told once, in the summary', async () => {
    await db.pool.query("UPDATE ferry_files SET status = 'pending', attempts = 0 WHERE key = 'broken.parquet'");
    const result = await runFerry(['run', '--once'], { env, cwd: project });
    assert.equal(result.stderr, '');
    assert.equal(result.stdout.split('\n').filter((line) => line.includes('broken.parquet')).length, 1, result.stdout);
  });

  it('a bad log level or format names the valid ones', async () => {
    const level = await runFerry(['status'], { env: { ...env, FERRY_LOG_LEVEL: 'verbose' }, cwd: project });
    assert.equal(level.code, 2);
    assert.equal(level.stderr.trim(), 'ferry: FERRY_LOG_LEVEL: "verbose" is not a log level (use one of fatal, error, warn, info, debug, trace, silent)');
    const format = await runFerry(['status'], { env: { ...env, FERRY_LOG_FORMAT: 'xml' }, cwd: project });
    assert.equal(format.stderr.trim(), 'ferry: FERRY_LOG_FORMAT: "xml" is not a log format (use pretty or json)');
  });

  it('ends quietly when the pipe it writes to closes', async () => {
    const { stdout, stderr } = await run('bash', ['-c', `${process.execPath} ${FERRY_BIN} files | head -2; echo "exit \${PIPESTATUS[0]}"`], {
      cwd: project,
      env: cleanEnv(env),
    });
    assert.equal(stdout.trim().split('\n').length, 3, stdout);
    assert.match(stdout, /exit 0/);
    assert.doesNotMatch(stderr, /EPIPE|Error/);
  });

  it('ferry runs lists the history with filters; retry of an unknown file says it is not found', async () => {
    const runs = await runFerry(['runs', '--since', '1d', '--status', 'completed', '--json'], { env, cwd: project });
    assert.equal(runs.code, 0, runs.stderr);
    assert.ok(JSON.parse(runs.stdout).runs.length >= 2);
    const table = await runFerry(['runs', '-n', '1'], { env, cwd: project });
    assert.match(table.stdout, /^id\s+pipeline\s+trigger\s+status\s+started_at\s+took/);
    const bad = await runFerry(['runs', '--since', 'soon'], { env, cwd: project });
    assert.equal(bad.stderr.trim(), 'ferry: --since: "soon" is not a duration (use e.g. 30m, 6h, 1d, 7d)');
    const retry = await runFerry(['retry', 'nosuch.parquet'], { env, cwd: project });
    assert.equal(retry.code, 1);
    assert.match(retry.stderr, /not found in the ledger: nosuch\.parquet/);
  });

  it('in a 100-column terminal, a table fits without wrapping; --wide shows every value whole', async () => {
    const inTerminal = async (args: string) =>
      (await run('script', ['-qec', `stty cols 100 rows 50; ${process.execPath} ${FERRY_BIN} ${args}`, '/dev/null'], { cwd: project, env: cleanEnv(env) }))
        .stdout;
    const error = JSON.parse((await runFerry(['files', '--status', 'quarantined', '--json'], { env, cwd: project })).stdout).files[0].error as string;
    assert.ok(error.length > 100, 'an error longer than the terminal is wide');
    for (const args of ['files', 'files --status quarantined', 'runs', 'status']) {
      const lines = screenLines(await inTerminal(args));
      assert.ok(lines.length > 1, args);
      for (const line of lines) assert.ok(line.length <= 100, `ferry ${args}: a line of ${line.length} characters wraps: ${line}`);
    }
    const narrow = screenLines(await inTerminal('files --status quarantined'));
    assert.match(narrow.at(-1) ?? '', /^\(not shown: .*values cut at …: all with --wide or --json\)$/);
    const wide = (await inTerminal('files --status quarantined --wide')).replace(/\r/g, '');
    assert.ok(wide.includes(error), 'the error whole with --wide');
    assert.match(wide, /^id\s+pipeline\s+key\s+status\s+rows\s+rejected\s+warnings\s+attempts\s+finished_at\s+error_code\s+error$/m);
  });

  it('ferry files prints a long error whole in its last column', async () => {
    const files = await runFerry(['files', '--status', 'quarantined'], { env, cwd: project });
    const line = files.stdout.split('\n').find((l) => l.includes('broken.parquet')) ?? '';
    assert.match(line, /FILE_CORRUPT\s+broken\.parquet is not a readable Parquet file: .{20,}/);
  });

  it('config errors: the valid values, an environment value said once and not blamed on the file', async () => {
    const dir = tempDir('terminal-config-');
    fs.writeFileSync(path.join(dir, 'ferry.config.ts'), "export default { pipelines: { a: {}, b: {}, c: { sink: { table: 't', mode: 'upsert' } } } };\n");
    const mode = await runFerry(['status'], { env, cwd: dir });
    assert.equal(mode.code, 2);
    assert.equal(
      mode.stderr.trim(),
      'ferry: invalid ferry.config.ts: pipelines.c.sink.mode: Invalid option: expected one of "append"|"replace"|"merge" (given "upsert")',
    );
    fs.writeFileSync(path.join(dir, 'ferry.config.ts'), "export default {\n  pipelines: {\n    a: { sink: { table: 't' ) },\n  },\n};\n");
    const syntax = await runFerry(['status'], { env, cwd: dir });
    assert.equal(syntax.code, 2);
    assert.equal(
      syntax.stderr,
      `ferry: ${path.join(dir, 'ferry.config.ts')}:3:29: Expected ',', got ')'\n    a: { sink: { table: 't' ) },\n                            ^\n`,
    );
    fs.writeFileSync(path.join(dir, 'ferry.config.ts'), 'export default { pipelines: { a: {}, b: {}, c: {}, d: {} } };\n');
    const schedule = await runFerry(['status'], { env: { ...env, FERRY_SCHEDULE: 'every tuesday' }, cwd: dir });
    assert.match(schedule.stderr, /^ferry: invalid config: FERRY_SCHEDULE: "every tuesday" is neither a duration/);
    assert.equal(schedule.stderr.match(/FERRY_SCHEDULE/g)?.length, 1);
  });

  it('ferry status and ferry health find a service started on another port; a stale record is dropped', async () => {
    const dir = projectDir('terminal-status-');
    // A record left by a service that was killed: its process is gone.
    const services = path.join(dir, '.ferry', 'services');
    fs.mkdirSync(services, { recursive: true });
    const gone = spawnSync('true').pid as number;
    const stale = path.join(services, `${gone}.json`);
    fs.writeFileSync(stale, JSON.stringify({ pid: gone, hostname: os.hostname(), url: 'http://127.0.0.1:9', startedAt: '2026-01-01T00:00:00.000Z' }));
    // PORT=0: a port of the system's choosing, which no config names.
    const ferry = await startFerry({ env: { ...env, PORT: '0' }, cwd: dir });
    try {
      const status = await runFerry(['status', '--json'], { env, cwd: dir });
      assert.equal(status.code, 0, status.stderr);
      assert.equal(JSON.parse(status.stdout).service_status, `running at ${ferry.url}`);
      assert.ok(!fs.existsSync(stale), 'the stale record was removed');
      const health = await runFerry(['health'], { env, cwd: dir });
      assert.equal(health.code, 0, health.stderr);
      assert.deepEqual(JSON.parse(health.stdout).checks, { database: 'ok', storage: 'ok' });
    } finally {
      await ferry.stop('SIGTERM');
    }
    assert.deepEqual(fs.readdirSync(services), [], 'the record is removed at the stop');
    const after = await runFerry(['status'], { env, cwd: dir });
    assert.match(after.stdout, /^service: not running \(nothing answers at http:\/\/127\.0\.0\.1:\d+\)/);
  });

  it('ferry health against another program says it is not ferry, exit 1', async () => {
    const server = http.createServer((_, response) => response.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>hello</body></html>'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    try {
      const result = await runFerry(['health', '--url', `http://127.0.0.1:${port}`], { env, cwd: project });
      assert.equal(result.code, 1);
      assert.equal(result.stdout, '');
      assert.equal(
        result.stderr.trim(),
        `ferry: http://127.0.0.1:${port}/health is not a ferry service: it answered 200 with text/html, not ferry's health report`,
      );
    } finally {
      server.close();
    }
  });

  it('ferry status says whether a service runs for the project, and when each pipeline runs next', async () => {
    const port = await freePort();
    const down = await runFerry(['status'], { env: { ...env, PORT: String(port) }, cwd: project });
    assert.match(down.stdout, new RegExp(`^service: not running \\(nothing answers at http://127.0.0.1:${port}\\)`));
    const ferry = await startFerry({ env: { ...env, PORT: String(port) }, cwd: project });
    try {
      const up = await runFerry(['status', '--json'], { env: { ...env, PORT: String(port) }, cwd: project });
      const report = JSON.parse(up.stdout);
      assert.equal(report.service_status, `running at http://127.0.0.1:${port}`);
      assert.ok(Date.parse(report.pipelines[0].next_run) > Date.now());
    } finally {
      await ferry.stop('SIGTERM');
    }
  });

  it('reprocess: a fixed transform reloads processed files; an appending pipeline asks for --yes', async () => {
    // The config imports nodejs-polars: the project lives in the repository, as a user's has it installed.
    const project = fs.mkdtempSync(path.join(process.cwd(), '.ferry-test', 'reprocess-'));
    const inbox = path.join(project, 'inbox');
    writeParquet(path.join(inbox, 'a.parquet'), 5);
    writeParquet(path.join(inbox, 'b.parquet'), 7, 100);
    const write = (tag: string) =>
      fs.writeFileSync(
        path.join(project, 'ferry.config.ts'),
        `import pl from 'nodejs-polars';\nexport default { pipelines: { t: { transform: (lf) => lf.withColumns(pl.lit('${tag}').alias('tag')), sink: { table: 'reloaded', mode: 'replace' } }, c: {} } };\n`,
      );
    const projectEnv = { ...env, FERRY_STORAGE: inbox };
    write('v1');
    assert.equal((await runFerry(['run', '--once'], { env: projectEnv, cwd: project })).code, 0);
    write('v2');
    const again = await runFerry(['reprocess', '--pipeline', 't'], { env: projectEnv, cwd: project });
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /2 queued/);
    assert.equal((await runFerry(['run', '--once'], { env: projectEnv, cwd: project })).code, 0);
    const tags = await db.pool.query('SELECT tag, count(*)::int AS n FROM reloaded GROUP BY tag');
    assert.deepEqual(tags.rows, [{ tag: 'v2', n: 12 }], 'replace mode: the reload replaced the rows, none twice');

    const appending = await runFerry(['reprocess', '--pipeline', 'c'], { env: projectEnv, cwd: project });
    assert.equal(appending.code, 1);
    assert.match(appending.stderr, /ferry: c appends its rows: reprocessing 2 file version\(s\) would load their rows again\. Add --yes/);
    const none = await runFerry(['reprocess', 'nosuch.parquet'], { env: projectEnv, cwd: project });
    assert.equal(none.code, 1);
    assert.match(none.stderr, /not found in the ledger: nosuch\.parquet .*nothing was reprocessed/);
  });

  it('ferry check tries each pipeline on one of its files and names a transform that does not fit', async () => {
    const project = fs.mkdtempSync(path.join(process.cwd(), '.ferry-test', 'check-'));
    fs.writeFileSync(
      path.join(project, 'ferry.config.ts'),
      `import pl from 'nodejs-polars';
export default { pipelines: {
  good: { sink: { table: 'g' }, checks: [{ rule: 'rowCount', min: 1 }] },
  typo: { transform: (lf) => lf.select(pl.col('nmae')), sink: { table: 't' } },
  none: { source: { glob: '*.csv' }, sink: { table: 'n' } },
} };
`,
    );
    const result = await runFerry(['check', '--json'], { env, cwd: project });
    assert.equal(result.code, 1, result.stderr);
    const byName = Object.fromEntries(JSON.parse(result.stdout).pipelines.map((p: { pipeline: string }) => [p.pipeline, p]));
    assert.equal(byName.good.status, 'ok', byName.good.detail);
    // broken.parquet sorts first: a corrupt file says nothing of the pipeline, and the next one is tried.
    assert.match(byName.good.detail, /Parquet, \d+ rows, 2 columns; checks: all passed/);
    assert.equal(byName.typo.status, 'failed');
    assert.match(byName.typo.detail, /^TRANSFORM_FAILED at transform: .* unable to find column "nmae"/);
    assert.equal(byName.none.status, 'no file');
  });

  it('preview picks the pipeline whose source selects the file', async () => {
    const project = tempDir('terminal-preview-');
    fs.writeFileSync(
      path.join(project, 'ferry.config.ts'),
      "export default { pipelines: { parquet: { sink: { table: 'p' } }, people: { source: { glob: '*.csv', csv: { delimiter: ';' } }, sink: { table: 'people' } } } };\n",
    );
    fs.writeFileSync(path.join(project, 'people.csv'), 'id;name\n1;Ann\n');
    const result = await runFerry(['preview', 'people.csv', '--json'], { env, cwd: project });
    assert.equal(result.code, 0, result.stderr);
    const shown = JSON.parse(result.stdout);
    assert.equal(shown.pipeline, 'people');
    assert.deepEqual(
      shown.schema.map((c: { column: string }) => c.column),
      ['id', 'name'],
    );
    const text = await runFerry(['preview', 'people.csv'], { env, cwd: project });
    assert.match(text.stdout, /^pipeline people, people\.csv \(CSV\): 1 row\n/);
  });

  it('a file dropped in a watched folder starts only the pipelines whose source selects it', async () => {
    const project = tempDir('terminal-watch-');
    const inbox = path.join(project, 'inbox');
    fs.mkdirSync(inbox);
    fs.writeFileSync(
      path.join(project, 'ferry.config.ts'),
      "export default { pipelines: { csv: { source: { glob: '*.csv' }, sink: { table: 'w_csv' }, schedule: '1h' }, parquet: { sink: { table: 'w_parquet' }, schedule: '1h' } } };\n",
    );
    const watchEnv = { ...env, FERRY_STORAGE: inbox };
    await db.pool.query('TRUNCATE ferry_runs CASCADE');
    const ferry = await startFerry({ env: watchEnv, cwd: project });
    try {
      await waitFor('the start-up runs', async () =>
        (await db.pool.query("SELECT count(*)::int AS n FROM ferry_runs WHERE status <> 'running'")).rows[0].n >= 2 ? true : undefined,
      );
      fs.writeFileSync(path.join(inbox, 'people.csv'), 'id\n1\n');
      await waitFor('the csv file loaded', async () =>
        (await db.pool.query("SELECT count(*)::int AS n FROM ferry_files WHERE key = 'people.csv' AND status = 'processed'")).rows[0].n === 1
          ? true
          : undefined,
      );
      // The watch starts every selected pipeline at once: by the time the csv run has finished,
      // a parquet run started with it would be recorded too.
      await waitFor('the csv watch run finished', async () =>
        (await db.pool.query("SELECT count(*)::int AS n FROM ferry_runs WHERE trigger = 'watch' AND pipeline = 'csv' AND status <> 'running'")).rows[0].n >= 1
          ? true
          : undefined,
      );
      const watched = await db.pool.query("SELECT pipeline FROM ferry_runs WHERE trigger = 'watch' ORDER BY id");
      assert.deepEqual(
        watched.rows.map((r) => r.pipeline),
        ['csv'],
      );
    } finally {
      await ferry.stop('SIGTERM');
    }
  });

  it('ferry db url and ferry db psql reach the embedded database', async () => {
    const project = projectDir('terminal-db-');
    const local = { FERRY_STORAGE: path.join(project, 'inbox') };
    const none = await runFerry(['db', 'url'], { env: local, cwd: project });
    assert.equal(none.code, 1, 'nothing to show is not a usage error');
    assert.match(none.stderr, /no embedded database in .* yet/);
    assert.equal((await runFerry(['migrate'], { env: local, cwd: project, timeoutMs: 120_000 })).code, 0);
    const url = await runFerry(['db', 'url'], { env: local, cwd: project });
    assert.match(url.stdout, /^postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/ferry\n$/);
    assert.match(url.stderr, /not running now/);
    const shown = await runFerry(['db', 'url', '--show-password'], { env: local, cwd: project });
    assert.doesNotMatch(shown.stdout, /\*\*\*/);
    const psql = await run('bash', ['-c', `echo 'SELECT count(*) AS migrations FROM ferry_migrations' | ${process.execPath} ${FERRY_BIN} db psql`], {
      cwd: project,
      env: cleanEnv(local),
    });
    assert.match(psql.stdout, /migrations\s+-+\s+\d+\s/);
  });

  it('ferry start does not schedule a pipeline whose transform does not fit its files, and says why', async () => {
    const project = fs.mkdtempSync(path.join(process.cwd(), '.ferry-test', 'start-check-'));
    const inbox = path.join(project, 'inbox');
    writeParquet(path.join(inbox, 'a.parquet'), 3);
    fs.writeFileSync(
      path.join(project, 'ferry.config.ts'),
      `import pl from 'nodejs-polars';
export default { pipelines: {
  typo: { transform: (lf) => lf.select(pl.col('nmae')), sink: { table: 'never' } },
  fine: { transform: (lf) => lf.select(pl.col('name')), sink: { table: 'names' } },
  rule: { checks: [{ rule: 'notNull', columns: ['nmae'] }], sink: { table: 'never2' } },
} };
`,
    );
    await db.pool.query('TRUNCATE ferry_runs CASCADE');
    const ferry = await startFerry({ env: { ...env, FERRY_STORAGE: inbox }, cwd: project });
    try {
      await waitFor('the fine pipeline loaded', async () =>
        (await db.pool.query("SELECT count(*)::int AS n FROM ferry_files WHERE pipeline = 'fine' AND status = 'processed'")).rows[0].n === 1 ? true : undefined,
      );
      const refused = ferry
        .logs()
        .split('\n')
        .filter((line) => line.includes('pipeline not scheduled'));
      assert.match(refused.find((line) => line.includes('"pipeline":"typo"')) ?? '', /TRANSFORM_FAILED.*nmae/);
      // A rule on a column the files do not have is found at start too, not file by file.
      assert.match(refused.find((line) => line.includes('"pipeline":"rule"')) ?? '', /CHECK_FAILED.*a check could not be evaluated.*nmae/);
      assert.equal((await db.pool.query("SELECT count(*)::int AS n FROM ferry_runs WHERE pipeline IN ('typo', 'rule')")).rows[0].n, 0);
    } finally {
      await ferry.stop('SIGTERM');
    }
  });

  it('ferry files --outside-window lists what the time window leaves out', async () => {
    const dir = tempDir('terminal-window-');
    writeParquet(path.join(dir, 'new.parquet'), 1);
    const old = writeParquet(path.join(dir, 'old.parquet'), 1);
    const threeDaysAgo = new Date(Date.now() - 3 * 86_400_000);
    fs.utimesSync(old, threeDaysAgo, threeDaysAgo);
    const result = await runFerry(['files', '--outside-window', '--json'], { env: { FERRY_STORAGE: dir }, cwd: dir });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(
      JSON.parse(result.stdout).files.map((f: { pipeline: string; key: string; window: string }) => [f.pipeline, f.key, f.window]),
      [['default', 'old.parquet', '1d']],
    );
  });
});

/**
 * What a terminal shows after `raw` was written to it, line by line: a carriage return goes
 * back to the line's start, ESC [K clears to its end, colours are left out.
 */
function screenLines(raw: string): string[] {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: a terminal's colour sequences
  const text = raw.replace(/\x1b\[[0-9;]*m/g, '');
  const lines: string[] = [];
  let line = '';
  let column = 0;
  for (let i = 0; i < text.length; i++) {
    if (text.startsWith('\x1b[K', i)) {
      line = line.slice(0, column);
      i += 2;
    } else if (text[i] === '\r') column = 0;
    else if (text[i] === '\n') {
      lines.push(line);
      line = '';
      column = 0;
    } else {
      line = `${line.slice(0, column)}${text[i]}${line.slice(column + 1)}`;
      column++;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}
