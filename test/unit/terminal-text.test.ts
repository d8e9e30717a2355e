/** terminalSafe: what a terminal would obey is shown as a visible escape; the rest is left alone. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { selectsKey } from '../../src/discover/index.ts';
import { terminalSafe, terminalSafeDeep } from '../../src/terminal-text.ts';

describe('terminalSafe', () => {
  it('escapes control characters visibly, and leaves text, backslashes and non-Latin names as they are', () => {
    assert.equal(terminalSafe('\x1b[2J\x1b]0;pwned\x07.csv'), '\\e[2J\\e]0;pwned\\x07.csv');
    assert.equal(terminalSafe('zz\r\x1b[2K[18:00:00.000] ERROR: forged\n.csv'), 'zz\\r\\e[2K[18:00:00.000] ERROR: forged\\n.csv');
    assert.equal(terminalSafe('a\tb\x00c\x7fd\x9be'), 'a\\tb\\x00c\\x7fd\\x9be');
    assert.equal(terminalSafe('\u202egnp.exe\u2028x'), '\\u{202e}gnp.exe\\u{2028}x');
    assert.equal(terminalSafe('ventes/été 2026 — 東京\\x.csv'), 'ventes/été 2026 — 東京\\x.csv');
    assert.equal(terminalSafe(terminalSafe('\x1b\r')), '\\e\\r', 'escaping twice changes nothing');
  });

  it('keeps line feeds when asked, and walks objects', () => {
    assert.equal(terminalSafe('a\x1b\nb\r\n', { lines: true }), 'a\\e\nb\\r\n');
    assert.deepEqual(terminalSafeDeep({ file: 'a\rb', n: 1, list: ['\x07'], err: { stack: 'E: x\n  at y\x1b' } }), {
      file: 'a\\rb',
      n: 1,
      list: ['\\x07'],
      err: { stack: 'E: x\n  at y\\e' },
    });
  });

  it('a glob selects keys whatever control characters they hold; hidden files only with includeHidden', () => {
    const source = { prefix: '', glob: '**/*.csv', modifiedWithinMs: null };
    for (const key of ['\ra.csv', '\na.csv', 'x/\ra.csv', 'a\r.csv', '\x1b[2J.csv']) assert.ok(selectsKey(source, key), JSON.stringify(key));
    assert.ok(!selectsKey(source, '.hidden.csv'));
    assert.ok(!selectsKey(source, '.git/x.csv'));
    assert.ok(selectsKey({ ...source, includeHidden: true }, '.hidden.csv'));
    assert.ok(selectsKey({ ...source, includeHidden: true }, '.git/x.csv'));
  });
});
