/**
 * The inbox is the boundary: links in a local storage folder are followed only within it. A
 * link to a file outside (a `.env`, /etc/passwd) and a link to a folder outside are not loaded
 * — the file link is recorded and quarantined with the reason, the folder link not listed;
 * links to a file and a folder inside are loaded; and a link swapped to point outside between
 * the listing and the read is refused when it is read.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { openObjectStore, storeSettingsFromEnv } from '../../src/storage/index.ts';
import { useFerryProject } from '../helpers/project.ts';

const project = useFerryProject({
  prefix: 'symlinks-',
  config: "export default { pipelines: { load: { source: { glob: '**/*.csv', modifiedWithin: null }, sink: { table: 'loaded', lineage: true } } } };\n",
  files: { 'real/a.csv': 'id,name\n1,a\n' },
});
const { inbox } = project;
const outside = path.join(project.dir, 'outside');

before(() => {
  fs.mkdirSync(outside);
  fs.writeFileSync(path.join(outside, 'secret.csv'), 'password,token\nhunter2,AKIASECRET\n');
  fs.mkdirSync(path.join(outside, 'folder'));
  fs.writeFileSync(path.join(outside, 'folder', 'more.csv'), 'password,token\nhunter3,AKIAMORE\n');
  fs.symlinkSync(path.join(outside, 'secret.csv'), path.join(inbox, 'out-file.csv'));
  fs.symlinkSync(path.join(outside, 'folder'), path.join(inbox, 'out-folder'));
  fs.symlinkSync('/etc/passwd', path.join(inbox, 'passwd.csv'));
  fs.symlinkSync(path.join(inbox, 'real', 'a.csv'), path.join(inbox, 'in-file.csv'));
  fs.symlinkSync('real', path.join(inbox, 'in-folder'));
});

describe('symlinks in the inbox', () => {
  it('links leading outside the storage root are not read; links inside are', async () => {
    const run = await project.run(['run', '--once', '--json'], { timeoutMs: 120_000 });
    const files = (await project.db.pool.query('SELECT key, status, error_code, error FROM ferry_files ORDER BY key')).rows;
    const byKey = new Map(files.map((file) => [file.key, file]));
    for (const key of ['out-file.csv', 'passwd.csv']) {
      assert.equal(byKey.get(key)?.status, 'quarantined', `${key}: ${JSON.stringify(files)}`);
      assert.equal(byKey.get(key)?.error_code, 'KEY_UNREADABLE');
      assert.match(byKey.get(key)?.error, /leads outside the storage root/);
    }
    assert.ok(!files.some((file) => file.key.startsWith('out-folder/')), 'a link to a folder outside is not listed');
    assert.equal(byKey.get('real/a.csv')?.status, 'processed');
    assert.equal(byKey.get('in-file.csv')?.status, 'processed', 'a link to a file inside is followed');
    const loaded = (await project.db.pool.query('SELECT * FROM loaded')).rows;
    assert.ok(
      !JSON.stringify(loaded).includes('hunter') && !JSON.stringify(loaded).includes('root:'),
      `nothing from outside was loaded: ${JSON.stringify(loaded)}`,
    );
    const columns = (await project.db.pool.query("SELECT column_name FROM information_schema.columns WHERE table_name = 'loaded'")).rows.map(
      (row) => row.column_name,
    );
    assert.ok(!columns.includes('password'), 'no column came from a file outside');
    assert.equal(run.code, 0, run.stderr);
  });

  it('a link swapped to point outside between listing and reading is refused when read', async () => {
    const store = openObjectStore({ kind: 'fs', root: inbox }, storeSettingsFromEnv({}));
    fs.symlinkSync(path.join(inbox, 'real', 'a.csv'), path.join(inbox, 'swap.csv'));
    const listed = [];
    for await (const page of store.list('')) listed.push(...page);
    const swap = listed.find((object) => object.key === 'swap.csv');
    assert.ok(swap !== undefined && swap.size > 0, 'listed while it pointed inside');
    // Swapped: the same name now leads outside.
    fs.rmSync(path.join(inbox, 'swap.csv'));
    fs.symlinkSync(path.join(outside, 'secret.csv'), path.join(inbox, 'swap.csv'));
    assert.throws(() => store.readTarget('swap.csv'), { code: 'KEY_UNREADABLE' });
    await assert.rejects(store.readStream('swap.csv'), { code: 'KEY_UNREADABLE' });
    await assert.rejects(store.readRange('swap.csv', 0, 10, null), { code: 'KEY_UNREADABLE' });
    await assert.rejects(store.read('swap.csv'), { code: 'KEY_UNREADABLE' });
    // And the path a reader is given holds no link to swap later.
    fs.rmSync(path.join(inbox, 'swap.csv'));
    fs.symlinkSync(path.join(inbox, 'real', 'a.csv'), path.join(inbox, 'swap.csv'));
    const target = store.readTarget('swap.csv');
    assert.deepEqual(target, { kind: 'path', path: fs.realpathSync(path.join(inbox, 'real', 'a.csv')) });
  });
});
