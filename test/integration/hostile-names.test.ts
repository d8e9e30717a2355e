/**
 * File names that carry terminal control bytes (ESC sequences that clear the screen or set the
 * window title, CR and LF that forge a line, BEL), through a real pseudo-terminal (util-linux
 * `script`): `ferry run --once` (per-file lines, progress line, summary, pretty logs),
 * `ferry files`, `preview` and an error message show them escaped; JSON keeps them exact. A key
 * that starts with `\r` is listed, recorded and shown; a hidden file is counted, and loaded
 * with `source.includeHidden`.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { cleanEnv, FERRY_BIN, runFerry } from '../helpers/ferry-process.ts';
import { writeParquet } from '../helpers/fixtures.ts';
import { useFerryProject } from '../helpers/project.ts';

const run = promisify(execFile);

const CLEAR_AND_TITLE = '\x1b[2J\x1b]0;pwned\x07.csv';
const FORGED_LINE = 'zz\r\x1b[2K[18:00:00.000] ERROR: forged.csv';
const LINE_FEED = 'line\nbreak.csv';
const LEADING_CR = '\rleading-cr.csv';
const LEADING_CR_PARQUET = '\r lead.parquet';
const BROKEN = 'broken\x1b]0;pwned\x07\n.parquet';
const HIDDEN = '.hidden.csv';

/** Raw bytes that must never reach the terminal from a file name (`script` turns LF into CR LF). */
const RAW = ['\x1b[2J', '\x1b]0;pwned', '\x07', '\x1b[2K[18', 'line\r\nbreak', 'line\nbreak', '\rleading', 'pwned\x07\r\n.parquet'];

const config = (includeHidden: boolean) =>
  `export default { pipelines: {
  names: { source: { glob: '*.csv', modifiedWithin: null${includeHidden ? ', includeHidden: true' : ''} }, sink: { table: 'hostile_names' } },
  broken: { source: { glob: '*.parquet' } },
} };
`;

const csv = 'id,name\n1,a\n';
const project = useFerryProject({
  prefix: 'hostile-names-',
  config: config(false),
  files: {
    ...Object.fromEntries([CLEAR_AND_TITLE, FORGED_LINE, LINE_FEED, LEADING_CR, HIDDEN].map((name) => [name, csv])),
    'fine.parquet': (file) => writeParquet(file, 3),
    // Read by ranges (its footer), not by path: OpenDAL would trim the CR off its name.
    [LEADING_CR_PARQUET]: (file) => writeParquet(file, 2),
    [BROKEN]: `PAR1${'x'.repeat(100)}`,
  },
});
const { inbox } = project;

/** A ferry command on a pseudo-terminal, as a person's shell runs it; `KEY` is passed in the environment, bytes intact. */
async function inTerminal(args: string, extra: Record<string, string> = {}): Promise<string> {
  const command = `${process.execPath} ${FERRY_BIN} ${args}`;
  try {
    return (await run('script', ['-qec', command, '/dev/null'], { cwd: project.dir, env: cleanEnv(project.env(extra)) })).stdout;
  } catch (error) {
    return (error as { stdout: string }).stdout;
  }
}

function assertNoRawBytes(output: string, where: string): void {
  for (const raw of RAW) assert.ok(!output.includes(raw), `${where}: ${JSON.stringify(raw)} reached the terminal raw:\n${JSON.stringify(output)}`);
}

describe('hostile file names', () => {
  it('ferry run --once shows them escaped in per-file lines, the progress line, the summary and pretty logs', async () => {
    const output = await inTerminal('run --once -v');
    assertNoRawBytes(output, 'run --once');
    for (const shown of ['\\e[2J\\e]0;pwned\\x07.csv', 'zz\\r\\e[2K[18:00:00.000] ERROR: forged.csv', 'line\\nbreak.csv', '\\rleading-cr.csv']) {
      assert.ok(output.includes(`ok      ${shown} (1 rows)`), `the per-file line of ${shown}:\n${output}`);
    }
    // The progress line was drawn (the names of files in hand in it are covered by the check above).
    assert.match(output, /\[names\] \d\/4 files · /);
    // The pretty log line of the quarantined file, and the summary's failure line.
    assert.match(output, /\[broken\] broken\\e\]0;pwned\\x07\\n\.parquet: file quarantined/);
    assert.match(output, /quarantined broken\\e\]0;pwned\\x07\\n\.parquet at read \(FILE_CORRUPT\)/);
    // No line of the output starts with the forged log line.
    assert.ok(!output.split(/\r?\n|\r/).some((line) => line.startsWith('[18:00:00.000] ERROR: forged')), output);
    // The hidden file is counted, not loaded.
    assert.match(
      output,
      /names: run \d+ completed: 4 processed \(4 rows loaded, 0 rejected\), 0 failed, 0 to retry, 0 already done; 1 hidden \(a name starting with "\."\), not loaded \(source\.includeHidden loads them\)/,
    );
  });

  it('every key is recorded exactly, the one that starts with \\r too; JSON keeps the bytes', async () => {
    const files = await runFerry(['files', '--json'], { env: project.env(), cwd: project.dir });
    assert.equal(files.code, 0, files.stderr);
    const byKey = new Map(JSON.parse(files.stdout).files.map((f: { key: string; status: string }) => [f.key, f.status]));
    for (const key of [CLEAR_AND_TITLE, FORGED_LINE, LINE_FEED, LEADING_CR, LEADING_CR_PARQUET, 'fine.parquet'])
      assert.equal(byKey.get(key), 'processed', JSON.stringify(key));
    assert.equal(byKey.get(BROKEN), 'quarantined');
    assert.equal(byKey.has(HIDDEN), false, 'hidden: not loaded by default');
    assert.equal((await project.db.pool.query('SELECT count(*)::int AS n FROM hostile_names')).rows[0].n, 4);
    const runs = await runFerry(['runs', '--json'], { env: project.env(), cwd: project.dir });
    assert.equal(JSON.parse(runs.stdout).runs.find((r: { pipeline: string }) => r.pipeline === 'names').files_hidden, 1);
  });

  it('ferry files, preview and an error message show them escaped', async () => {
    // --wide: in a terminal the table is cut to its width, and these names are long.
    const table = await inTerminal('files --wide');
    assertNoRawBytes(table, 'files');
    assert.match(table, /\\rleading-cr\.csv/);
    assert.match(table, /zz\\r\\e\[2K\[18:00:00\.000\] ERROR: forged\.csv/);

    fs.writeFileSync(path.join(project.dir, 'columns.csv'), 'id,\x1b[2Jcol\x07\n1,\x1b]0;pwned\x07\n');
    const preview = await inTerminal('preview columns.csv -p names');
    assertNoRawBytes(preview, 'preview');
    assert.match(preview, / {2}\\e\[2Jcol\\x07: String → text/);

    const named = await inTerminal('preview "$KEY" -p names', { KEY: path.join(inbox, CLEAR_AND_TITLE) });
    assertNoRawBytes(named, 'preview of a key');
    assert.match(named, /\\e\[2J\\e\]0;pwned\\x07\.csv \(CSV\): 1 row/);

    const missing = await inTerminal('preview "$KEY"', { KEY: `nosuch${FORGED_LINE}` });
    assertNoRawBytes(missing, 'an error message');
    assert.match(missing, /ferry: nosuchzz\\r\\e\[2K\[18:00:00\.000\] ERROR: forged\.csv is neither a local file nor a key/);
  });

  it('source.includeHidden loads the hidden file', async () => {
    fs.writeFileSync(path.join(project.dir, 'ferry.config.ts'), config(true));
    const result = await runFerry(['run', '--once', '--pipeline', 'names', '--json'], { env: project.env(), cwd: project.dir });
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout);
    assert.equal(report.files_processed, 1);
    assert.equal(report.files_hidden, 0);
    const hidden = await project.db.pool.query('SELECT status FROM ferry_files WHERE key = $1', [HIDDEN]);
    assert.equal(hidden.rows[0]?.status, 'processed');
  });
});
