/** Stale temp folders of killed loads are swept at start; fresh ones and others' are kept. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { STALE_AFTER_MS, sweepStaleTempDirs } from '../../src/read/temp-files.ts';
import { tempDir } from '../helpers/fixtures.ts';

describe('temp folders', () => {
  it('removes ferry-read-* and ferry-copy-* folders untouched for a day, and nothing else', async () => {
    const root = tempDir('sweep-');
    const make = (name: string, ageMs: number) => {
      const dir = path.join(root, name);
      fs.mkdirSync(dir);
      fs.writeFileSync(path.join(dir, 'part-0'), 'x');
      const at = new Date(Date.now() - ageMs);
      fs.utimesSync(dir, at, at);
    };
    make('ferry-read-old', STALE_AFTER_MS + 60_000);
    make('ferry-copy-old', STALE_AFTER_MS + 60_000);
    make('ferry-copy-fresh', 60_000);
    make('someone-else-old', STALE_AFTER_MS + 60_000);
    assert.equal(await sweepStaleTempDirs(root), 2);
    assert.deepEqual(fs.readdirSync(root).sort(), ['ferry-copy-fresh', 'someone-else-old']);
    assert.equal(await sweepStaleTempDirs(path.join(root, 'missing')), 0);
  });
});
