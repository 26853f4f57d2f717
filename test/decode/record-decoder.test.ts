import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { detectFormat } from '../../src/components/decode/detect-format.js';
import { accessLine, expiredLine, STACK_TRACE } from '../helpers/lines.js';
import { decode, outcomes, show, skips, texts } from './decode.js';

// Container runtimes wrap each stdout line: docker's json-file driver as one JSON object per
// line (lines over 16 KiB split into partial records without a trailing newline), CRI
// (containerd, CRI-O) as `<time> <stream> <P|F> <text>`, `kubectl logs --timestamps` as
// `<time> <text>`. The decoder recognises the wrapper from the first non-empty line of each
// input, joins partial records and reports, for every record, the offset a restarted reader
// resumes from and the physical line it ended on.

const LINES = [accessLine({ dn: 'uid=jürgen,o=Tremolo' }), expiredLine(), ...STACK_TRACE.slice(0, 2), accessLine({ event: 'AzFail', msg: 'NONE' })];
const T = '2024-05-06T07:08:09.123456789Z';

/** docker json-file: `{"log":"…\n","stream":"stdout","time":"…"}`, split every 16 KiB like dockerd. */
function docker(lines: string[], stream = 'stdout'): string {
  const out: string[] = [];
  for (const line of lines) {
    for (let i = 0; i + 16384 < line.length; i += 16384) out.push(JSON.stringify({ log: line.slice(i, i + 16384), stream, time: T }));
    const last = line.length === 0 ? '' : line.slice(Math.floor((line.length - 1) / 16384) * 16384);
    out.push(JSON.stringify({ log: last + '\n', stream, time: T }));
  }
  return out.join('\n') + '\n';
}

/** CRI: `<time> <stream> <P|F> <text>`, split every `size` characters. */
function cri(lines: string[], stream = 'stdout', size = 16384): string {
  const out: string[] = [];
  for (const line of lines) {
    let i = 0;
    for (; i + size < line.length; i += size) out.push(`${T} ${stream} P ${line.slice(i, i + size)}`);
    out.push(`${T} ${stream} F ${line.slice(i)}`);
  }
  return out.join('\n') + '\n';
}

const formatOf = (line: string) => {
  const b = Buffer.from(line);
  return detectFormat(b, 0, b.length);
};

describe('format detection, per input, from the first non-empty line', () => {
  const rows = [
    ['plain', LINES[0]],
    ['plain', STACK_TRACE[1]],
    ['plain', 'Picked up JAVA_TOOL_OPTIONS: -Xmx1g'],
    ['docker', JSON.stringify({ log: LINES[0] + '\n', stream: 'stdout', time: T })],
    ['docker', '  {"log":"x\\n"}'],
    ['cri', `${T} stdout F ${LINES[0]}`],
    ['cri', `2024-05-06T07:08:09.123+02:00 stderr P part`],
    ['kubectl', `${T} ${LINES[0]}`],
    ['kubectl', '2024-05-06T07:08:09Z just a line that starts with a time'],
    ['kubectl', '2024-05-06T07:08:09Z stdout is a word here'],
    ['kubectl-prefix', `[pod/openunison-orchestra-7d9f8c-x2k4q/openunison-orchestra] ${LINES[0]}`],
    ['kubectl-prefix', `[pod/openunison-orchestra-0/openunison-orchestra] ${T} ${LINES[0]}`],
    ['plain', '[pod/not a pod name/x] text'],
  ] as const;
  for (const [format, line] of rows) test(`${format}: ${line.slice(0, 50)}`, () => assert.equal(formatOf(line), format));

  test('leading blank lines do not decide the format, and are not records', () => {
    const { format, records } = decode('\n \n' + docker([LINES[0]]));
    assert.equal(format, 'docker');
    assert.deepEqual(outcomes(records), ['continuation', 'continuation', show(LINES[0])]);
    assert.deepEqual(records.map((r) => r.lineNo), [1, 2, 3]);
  });

  test('a format given up front is used from the first line (pod streams are always kubectl)', () => {
    const { format, records } = decode(`${T} ${LINES[0]}\n`, { format: 'plain' });
    assert.equal(format, 'plain');
    assert.deepEqual(texts(records), [show(`${T} ${LINES[0]}`)]);
  });
});

describe('kubectl logs --prefix', () => {
  test('the pod prefix (and the stamp, with --timestamps) is taken off; a line without it is read as it is', () => {
    const POD = '[pod/openunison-orchestra-0/openunison-orchestra] ';
    const text = `${POD}${LINES[0]}\n${POD}${T} ${LINES[1]}\nerror: a kubectl message\n`;
    const { format, records } = decode(text);
    assert.equal(format, 'kubectl-prefix');
    assert.deepEqual(texts(records), [show(LINES[0]), show(LINES[1]), show('error: a kubectl message')]);
    assert.deepEqual(records.map((r) => r.lineNo), [1, 2, 3]);
    // Pods interleaved in one file each have their own threads: the pod goes along with its lines.
    assert.deepEqual(records.map((r) => r.pod), ['pod/openunison-orchestra-0/openunison-orchestra', 'pod/openunison-orchestra-0/openunison-orchestra', undefined]);
  });
});

describe('plain log4j text', () => {
  test('lines are the records, with their physical line numbers and end offsets', () => {
    const text = LINES.join('\n') + '\n';
    const { format, records } = decode(text, { chunk: 13 });
    assert.equal(format, 'plain');
    assert.deepEqual(texts(records), LINES.map(show));
    assert.deepEqual(records.map((r) => r.lineNo), [1, 2, 3, 4, 5]);
    assert.equal(records[4].resume, Buffer.byteLength(text));
  });

  test('CRLF line ends are not part of the record', () => {
    const { records } = decode(LINES.join('\r\n') + '\r\n', { chunk: 5 });
    assert.deepEqual(texts(records), LINES.map(show));
  });

  test('numbering and offsets continue from a checkpoint', () => {
    const { records } = decode(LINES.slice(0, 2).join('\n') + '\n', { start: 5000, startLine: 40 });
    assert.deepEqual(records.map((r) => [r.lineNo, r.resume]), [
      [41, 5000 + Buffer.byteLength(LINES[0]) + 1],
      [42, 5000 + Buffer.byteLength(LINES[0] + LINES[1]) + 2],
    ]);
  });

  test('an unterminated last line is skipped as truncated, not consumed, and not counted as a line read', () => {
    const complete = LINES.slice(0, 2).join('\n') + '\n';
    const { records, pending } = decode(complete + LINES[2].slice(0, 10));
    assert.deepEqual(skips(records), ['truncated']);
    assert.equal(pending, 10);
    const cut = records[records.length - 1];
    assert.equal(cut.resume, Buffer.byteLength(complete));
    // The checkpoint stores (offset, line number): both must point before the cut line, or the
    // completed line would be numbered one too far when it is read again.
    assert.equal(cut.lineNo, 2);
  });

  test('an oversized line is skipped and the rest is read', () => {
    const { records } = decode(`a\n${'x'.repeat(100)}\nb\n`, { max: 50 });
    assert.deepEqual(outcomes(records), ['a', 'oversized', 'b']);
    assert.deepEqual(records.map((r) => r.lineNo), [1, 2, 3]);
  });

  test('an oversized first line is skipped before any format is known; the next line decides it', () => {
    const { records, format } = decode(`${'x'.repeat(100)}\n${T} stdout F short\n`, { max: 50 });
    assert.deepEqual(outcomes(records), ['oversized', 'short']);
    assert.equal(format, 'cri');
  });
});

describe('kubectl logs --timestamps', () => {
  test('the stamp and its space are removed from every line, stack traces included', () => {
    const text = LINES.map((l) => `${T} ${l}`).join('\n') + '\n';
    const { format, records } = decode(text, { chunk: 7 });
    assert.equal(format, 'kubectl');
    assert.deepEqual(texts(records), LINES.map(show));
  });

  test('each record carries the stamp of its line, as written (stream positions are made of them)', () => {
    const stamps = ['2024-05-06T07:08:09.1Z', '2024-05-06T07:08:09.123456789Z', '2024-05-06T09:08:10+02:00'];
    const { stamps: seen } = decode(stamps.map((s, i) => `${s} ${LINES[i]}`).join('\n') + '\n');
    assert.deepEqual(seen, stamps);
  });

  test('a line without a stamp (a log concatenated after it) is kept whole', () => {
    const { records } = decode(`${T} ${LINES[0]}\n${LINES[1]}\n2024-05-06T07:08:09+02:00 ${LINES[4]}\n`);
    assert.deepEqual(texts(records), [LINES[0], LINES[1], LINES[4]].map(show));
  });
});

describe('docker json-file', () => {
  test('unwraps each record, whatever the chunking', () => {
    const text = docker(LINES);
    for (const chunk of [1, 7, 100, text.length]) {
      const { format, records } = decode(text, { chunk });
      assert.equal(format, 'docker');
      assert.deepEqual(texts(records), LINES.map(show), `chunks of ${chunk}`);
    }
  });

  test('a line over 16 KiB arrives as partial records and is joined into one record', () => {
    const long = accessLine({ msg: 'g'.repeat(40_000) });
    const text = docker([LINES[0], long, LINES[1]]);
    const { records } = decode(text, { chunk: 4096 });
    assert.deepEqual(texts(records), [LINES[0], long, LINES[1]].map(show));
    assert.equal(records[1].text, long);
    // The joined record ends on the fourth physical line (two 16 KiB pieces, then the last piece).
    assert.deepEqual(records.map((r) => r.lineNo), [1, 4, 5]);
    const physical = text.split('\n');
    assert.equal(records[1].resume, Buffer.byteLength(physical.slice(0, 4).join('\n') + '\n'));
  });

  test('stdout and stderr partials are joined per stream; a record completed meanwhile resumes at the open partial', () => {
    const long = 'L'.repeat(20_000);
    const rows = [
      JSON.stringify({ log: long.slice(0, 16384), stream: 'stdout', time: T }),
      JSON.stringify({ log: 'err line\n', stream: 'stderr', time: T }),
      JSON.stringify({ log: long.slice(16384) + '\n', stream: 'stdout', time: T }),
    ];
    const text = rows.join('\n') + '\n';
    const { records } = decode(text);
    assert.deepEqual(texts(records), ['err line', show(long)]);
    assert.equal(records[0].resume, 0, 'a restart must re-read the unfinished stdout partial');
    assert.equal(records[1].resume, Buffer.byteLength(text));
  });

  test('escapes, unicode, CRLF and fluent-bit, vector and Loki style fields', () => {
    const rows = [
      JSON.stringify({ log: 'quote " tab \t back \\ slash / uid=jürgen 山田\r\n', stream: 'stdout' }),
      JSON.stringify({ message: 'from fluent-bit' }),
      JSON.stringify({ line: 'from logcli', labels: { app: 'openunison' } }),
      '{"log":"\\u0041\\u00e9\\u4E2D\\b\\f\\/\\n","stream":"stdout"}',
      '{"log": "spaces around the colon\\n", "stream": "stdout"}',
    ];
    assert.deepEqual(texts(decode(rows.join('\n') + '\n').records), [
      'quote " tab \t back \\ slash / uid=jürgen 山田',
      'from fluent-bit',
      'from logcli',
      'Aé中\b\f/',
      'spaces around the colon',
    ]);
  });

  test('\\uXXXX surrogate pairs become one 4-byte character; a surrogate without its pair becomes U+FFFD', () => {
    const rows = [
      '{"log":"cn=rocket \\ud83d\\ude80,o=Tremolo\\n"}',
      '{"log":"upper \\uD83D\\uDE80\\n"}',
      '{"log":"lone high \\ud83d end\\n"}',
      '{"log":"lone low \\ude80 end\\n"}',
      '{"log":"high then other \\ud83d\\u0041\\n"}',
    ];
    const { records } = decode(rows.join('\n') + '\n');
    assert.deepEqual(texts(records), ['cn=rocket 🚀,o=Tremolo', 'upper 🚀', 'lone high \ufffd end', 'lone low \ufffd end', 'high then other \ufffdA']);
    // Each text is exactly what JSON.parse makes of the record, encoded as UTF-8.
    for (let i = 0; i < rows.length; i++) {
      const parsed = (JSON.parse(rows[i]) as { log: string }).log.slice(0, -1);
      assert.equal(records[i].text, Buffer.from(parsed, 'utf8').toString('utf8'));
    }
  });

  test('lines that are not docker records are counted as malformed and the rest is read', () => {
    const rows = [
      JSON.stringify({ log: 'first\n', stream: 'stdout' }),
      '{"log": "cut in the mid',
      '{"log":"cut in the mid',
      '{"log":"bad escape \\q\\n"}',
      '[1, 2, 3]',
      '{"stream":"stdout"}',
      '"just a string"',
      '',
      JSON.stringify({ log: 'last\n', stream: 'stdout' }),
    ];
    const { records } = decode(rows.join('\n') + '\n');
    assert.deepEqual(outcomes(records), ['first', 'malformed', 'malformed', 'malformed', 'malformed', 'malformed', 'malformed', 'continuation', 'last']);
  });

  test('a 5 MB line (320 partial records) is one oversized skip, and the next line is intact', () => {
    const huge = 'h'.repeat(5 * 1024 * 1024);
    const { records } = decode(docker([LINES[0], huge, LINES[1]]), { chunk: 1 << 20 });
    assert.deepEqual(outcomes(records), [LINES[0], 'oversized', LINES[1]].map(show));
  });

  test('a partial record never completed is skipped as truncated and not consumed', () => {
    const first = JSON.stringify({ log: 'done\n', stream: 'stdout' }) + '\n';
    const { records } = decode(first + JSON.stringify({ log: 'never finished', stream: 'stdout' }) + '\n');
    assert.deepEqual(outcomes(records), ['done', 'truncated']);
    assert.equal(records[1].resume, Buffer.byteLength(first));
  });
});

describe('CRI (containerd, CRI-O)', () => {
  test('unwraps F records, whatever the chunking', () => {
    const text = cri(LINES);
    for (const chunk of [1, 9, text.length]) {
      const { format, records } = decode(text, { chunk });
      assert.equal(format, 'cri');
      assert.deepEqual(texts(records), LINES.map(show), `chunks of ${chunk}`);
    }
  });

  test('P records are joined until the F record, which gives the line number and resume offset', () => {
    const long = accessLine({ msg: 'g'.repeat(100) });
    const text = cri([LINES[0], long, LINES[1]], 'stdout', 30);
    const { records } = decode(text);
    assert.deepEqual(texts(records), [LINES[0], long, LINES[1]].map(show));
    const physical = text.split('\n').slice(0, -1);
    const longEnds = Math.ceil(LINES[0].length / 30) + Math.ceil(long.length / 30);
    assert.ok(physical[longEnds - 1].includes(' F ') && physical[longEnds - 2].includes(' P '));
    assert.equal(records[1].lineNo, longEnds);
    assert.equal(records[1].resume, Buffer.byteLength(physical.slice(0, longEnds).join('\n') + '\n'));
  });

  test('stderr and stdout are joined separately; a record completed meanwhile resumes at the open partial', () => {
    const rows = [`${T} stdout P abc`, `${T} stderr F an error`, `${T} stdout F def`];
    const { records } = decode(rows.join('\n') + '\n');
    assert.deepEqual(texts(records), ['an error', 'abcdef']);
    assert.equal(records[0].resume, 0);
  });

  test('an empty F record is an empty line; malformed CRI lines are counted and the rest is read', () => {
    const rows = [`${T} stdout F first`, `${T} stdout F`, `${T} stdout F `, `${T} nowhere F x`, `${T}`, `${T} stdout f lower-case tag`, `${T} stdout F last`];
    const { records } = decode(rows.join('\n') + '\n');
    assert.deepEqual(outcomes(records), ['first', '', '', 'malformed', 'malformed', 'malformed', 'last']);
  });

  test('a 5 MB line in 16 KiB P records is one oversized skip, and the next line is intact', () => {
    const huge = 'h'.repeat(5 * 1024 * 1024);
    const { records } = decode(cri([LINES[0], huge, LINES[1]]), { chunk: 1 << 20 });
    assert.deepEqual(outcomes(records), [LINES[0], 'oversized', LINES[1]].map(show));
  });

  test('a P record never completed is skipped as truncated and not consumed', () => {
    const first = `${T} stdout F done\n`;
    const { records } = decode(first + `${T} stdout P never finished\n`);
    assert.deepEqual(outcomes(records), ['done', 'truncated']);
    assert.equal(records[1].resume, Buffer.byteLength(first));
  });
});
