import assert from 'node:assert/strict';
import { test } from 'node:test';
import { INVISIBLE, printable, quote } from '../../src/core/terminal-text.js';

// One sanitizer for log-derived text on terminals: what a DN can carry must not move the
// cursor, retitle the window, ring the bell, reorder or hide text, or forge a line.

const HOSTILE = [
  ['clear screen', 'uid=a\x1b[2J,o=T', 'uid=a\\x1b[2J,o=T'],
  ['OSC window title + BEL', 'uid=\x1b]0;pwned\x07,o=T', 'uid=\\x1b]0;pwned\\x07,o=T'],
  ['C1 CSI and NEL', 'uid=\x9b31m\x85,o=T', 'uid=\\x9b31m\\x85,o=T'],
  ['DEL', 'uid=a\x7f,o=T', 'uid=a\\x7f,o=T'],
  ['right-to-left override', 'uid=rtl\u202egnp.exe,o=T', 'uid=rtl\\u202egnp.exe,o=T'],
  ['isolates', 'uid=\u2066a\u2067b\u2068c\u2069,o=T', 'uid=\\u2066a\\u2067b\\u2068c\\u2069,o=T'],
  ['line and paragraph separators', 'uid=a\u2028b\u2029c,o=T', 'uid=a\\u2028b\\u2029c,o=T'],
  ['zero-width characters and BOM', 'uid=ad\u200bmin\u200d\ufeff,o=T', 'uid=ad\\u200bmin\\u200d\\ufeff,o=T'],
  ['newline and tab', 'uid=a\nkind: Secret\t,o=T', 'uid=a\\x0akind: Secret\\x09,o=T'],
] as const;

for (const [what, raw, shown] of HOSTILE) {
  test(`printable shows ${what} as visible escapes`, () => {
    assert.equal(printable(raw), shown);
    assert.doesNotMatch(printable(raw), new RegExp(INVISIBLE.source));
  });
}

test('ordinary text, non-ASCII letters and escaped commas are unchanged', () => {
  for (const s of ['cn=Smith\\, John - Ops,ou=användare,o=Tremolo', 'uid=Jürgen,ou=研究,o=Trémolo', 'uid=emoji\u{1F600},o=T']) assert.equal(printable(s), s);
});

test('quote is a JSON literal with the same characters escaped; JSON.parse gives the value back', () => {
  for (const [, raw] of HOSTILE) {
    const q = quote(raw);
    assert.doesNotMatch(q, new RegExp(INVISIBLE.source));
    assert.equal(JSON.parse(q), raw);
  }
});
