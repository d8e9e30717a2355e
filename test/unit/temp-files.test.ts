/** Stale temp folders of killed loads are swept at start; fresh ones and others' are kept. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { coerceError, databaseErrorCode, errorEntry } from '../../src/errors/index.ts';
import { relayRoot, STALE_AFTER_MS, sweepStaleTempDirs, tempRoots } from '../../src/formats/temp-files.ts';
import { polarsErrorCode } from '../../src/polars/index.ts';
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

  it('relays slices through /dev/shm when it has room and TMPDIR is not set, else through the temp folder', () => {
    const saved = process.env.TMPDIR;
    try {
      process.env.TMPDIR = tempDir('relay-');
      assert.equal(relayRoot(), process.env.TMPDIR);
      assert.deepEqual(tempRoots(), [process.env.TMPDIR]);
      delete process.env.TMPDIR;
      let roomy = false;
      try {
        const stats = fs.statfsSync('/dev/shm');
        roomy = process.platform === 'linux' && stats.bavail * stats.bsize >= 2 ** 30;
      } catch {
        // no /dev/shm
      }
      assert.equal(relayRoot(), roomy ? '/dev/shm' : os.tmpdir());
      assert.ok(tempRoots().includes(os.tmpdir()) && tempRoots().includes(relayRoot()));
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
  });

  it("a full temp space is the machine's problem: the file is tried again, not quarantined", () => {
    const full = Object.assign(new Error("ENOSPC: no space left on device, mkdtemp '/dev/shm/ferry-copy-XXXXXX'"), { code: 'ENOSPC' });
    assert.equal(coerceError(full).code, 'TEMP_SPACE_FULL');
    assert.equal(databaseErrorCode(full), 'TEMP_SPACE_FULL');
    // Polars writing a slice into a full folder.
    assert.equal(polarsErrorCode('failed to write IPC: No space left on device (os error 28)', { transformed: false }), 'TEMP_SPACE_FULL');
    assert.equal(polarsErrorCode('Disk quota exceeded (os error 122)', { transformed: true }), 'TEMP_SPACE_FULL');
    assert.equal(errorEntry('TEMP_SPACE_FULL').outcome, 'retry');
    // Other errors keep their codes.
    assert.equal(polarsErrorCode('parquet: File out of specification: bad footer', { transformed: false }), 'FILE_CORRUPT');
    assert.equal(coerceError(new Error('boom')).code, 'INTERNAL');
  });
});
