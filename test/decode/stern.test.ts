import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { detectFormat } from '../../src/components/decode/detect-format.js';
import { accessLine, expiredLine, STACK_TRACE } from '../helpers/lines.js';
import { decode, show, texts } from './decode.js';

// stern (`stern -n openunison openunison-orchestra > day.log`) writes `<pod> <container> <text>`
// for every pod it follows, interleaved as lines arrive; `--timestamps` puts a stamp before the
// text (RFC 3339, or `MM-DD HH:mm:ss` with `=short`), several namespaces put the namespace
// first, and `--color always` wraps the names in colour escapes.

const POD = 'openunison-orchestra-7d9f8c-x2k4q';
const C = 'openunison-orchestra';
const T = '2024-05-06T07:08:09.123456789Z';
const LINES = [accessLine({ dn: 'uid=jürgen,o=Tremolo' }), expiredLine(), ...STACK_TRACE.slice(0, 2)];

const formatOf = (line: string) => {
  const b = Buffer.from(line);
  return detectFormat(b, 0, b.length);
};

describe("stern's output is recognised from its first line", () => {
  const rows = [
    ['stern', `${POD} ${C} ${LINES[0]}`],
    ['stern', `${POD} ${C} ${T} ${LINES[0]}`],
    ['stern', `${POD} ${C} 05-06 07:08:09 ${LINES[0]}`],
    ['stern', `openunison ${POD} ${C} ${LINES[0]}`],
    ['stern', `openunison-orchestra-0 openunison-orchestra 2024-05-06T09:08:09.123456789+02:00 ${LINES[0]}`],
    ['stern', `\x1b[32m${POD}\x1b[0m \x1b[1;33m${C}\x1b[0m ${LINES[0]}`],
    // A Kubernetes name is at most 253 bytes.
    ['stern', `${'p'.repeat(253)} ${C} ${LINES[0]}`],
    ['plain', `${'p'.repeat(254)} ${C} ${LINES[0]}`],
    // Not stern: the text after the names must be OpenUnison's or a stamp.
    ['plain', `${POD} ${C} Picked up JAVA_TOOL_OPTIONS`],
    ['plain', `one two three four ${LINES[0]}`],
    ['plain', `Pod ${C} ${LINES[0]}`],
    ['plain', `-pod ${C} ${LINES[0]}`],
    ['plain', `${POD} ${LINES[0]}`],
    ['plain', `at com.tremolosecurity.Foo ${LINES[0]}`],
  ] as const;
  for (const [format, line] of rows) test(`${format}: ${JSON.stringify(line.slice(0, 60))}`, () => assert.equal(formatOf(line), format));
});

describe('unwrapping stern lines', () => {
  test('the names (and the stamp, with --timestamps) are taken off every line, stack traces included, whatever pod it came from', () => {
    const text = [`${POD} ${C} ${T} ${LINES[0]}`, `${C}-1 ${C} ${T} ${LINES[1]}`, `${POD} ${C} ${T} ${LINES[2]}`, `${POD} ${C} ${T} ${LINES[3]}`].join('\n') + '\n';
    const { format, records } = decode(text, { chunk: 17 });
    assert.equal(format, 'stern');
    assert.deepEqual(texts(records), LINES.map(show));
    assert.deepEqual(records.map((r) => r.lineNo), [1, 2, 3, 4]);
  });

  test("each line's names are handed on with it: the same thread name in two pods is two threads", () => {
    const text = [`${POD} ${C} ${T} ${LINES[0]}`, `${C}-1 ${C} 05-06 07:08:09 ${LINES[1]}`, `openunison ${POD}`].join('\n') + '\n';
    const { records } = decode(text);
    assert.deepEqual(
      records.map((r) => r.pod),
      [`${POD} ${C}`, `${C}-1 ${C}`, undefined],
    );
  });

  test('with the namespace first, short stamps and colour escapes, the same text comes out', () => {
    const colour = (s: string) => `\x1b[36m${s}\x1b[0m`;
    const text = LINES.map((l) => `${colour('openunison')} ${colour(POD)} ${colour(C)} 05-06 07:08:09 ${l}`).join('\n') + '\n';
    const { format, records } = decode(text);
    assert.equal(format, 'stern');
    assert.deepEqual(texts(records), LINES.map(show));
  });

  test("stern's own notices (stderr in the same file, first) and a pod's first lines that are not events do not decide the format; they and lines without the names are read as they are", () => {
    const notice = (sign: string) => `\x1b[32m${sign}\x1b[0m \x1b[33mopenunison\x1b[0m \x1b[33m${POD}\x1b[0m › \x1b[32m${C}\x1b[0m`;
    const banner = `${POD} ${C} Picked up JAVA_TOOL_OPTIONS: -Xmx1g`;
    const text = [`+ ${POD} › ${C}`, notice('+'), banner, `${POD} ${C} ${LINES[0]}`, `- ${POD} › ${C}`, LINES[1]].join('\n') + '\n';
    const { format, records } = decode(text);
    assert.equal(format, 'stern');
    assert.deepEqual(texts(records), [show(`+ ${POD} › ${C}`), show(notice('+')), show(banner), show(LINES[0]), show(`- ${POD} › ${C}`), show(LINES[1])]);
    assert.deepEqual(records.map((r) => r.lineNo), [1, 2, 3, 4, 5, 6]);
  });

  test('a log4j event first decides plain text; the names after it are then read as they are', () => {
    const { format, records } = decode(`${LINES[0]}\n${POD} ${C} ${LINES[1]}\n`);
    assert.equal(format, 'plain');
    assert.deepEqual(texts(records), [show(LINES[0]), show(`${POD} ${C} ${LINES[1]}`)]);
  });
});

describe('hostile bytes around the names', () => {
  test('lines made of names, spaces, colour escapes (cut ones too), stamps and brackets never throw, and each line is handed on once, in order', () => {
    const parts = [POD, C, 'openunison', ' ', '  ', '\x1b[32m', '\x1b[0m', '\x1b[', '\x1b', '[', '[2', T, '05-06 07:08:09', '+', '-', '›', 'x'.repeat(300), '.', '-a', LINES[0]];
    let seed = 7;
    const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % parts.length;
    for (let round = 0; round < 50; round++) {
      const lines = Array.from({ length: 40 }, () => Array.from({ length: 1 + (next() % 6) }, () => parts[next()]).join(' ').replace(/\n/g, ''));
      // Half the rounds start with a stern line, so that the format is stern while the rest is hostile.
      if (round % 2 === 0) lines.unshift(`${POD} ${C} ${LINES[0]}`);
      const { records } = decode(lines.join('\n') + '\n', { chunk: 1 + (round % 97) });
      assert.deepEqual(
        records.map((r) => r.lineNo),
        lines.map((_, i) => i + 1),
        `round ${round}`,
      );
    }
  });
});
