import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { StreamDecoder } from '../../src/components/decode/stream-decoder.js';
import { detectFormat } from '../../src/components/decode/wrappers.js';
import { accessLine, expiredLine, STACK_TRACE } from '../helpers/lines.js';

// Container runtimes wrap each stdout line: docker's json-file driver as one JSON object per
// line (lines over 16 KiB split into partial records without a trailing newline), CRI
// (containerd, CRI-O) as `<time> <stream> <P|F> <text>`, `kubectl logs --timestamps` as
// `<time> <text>`. The decoder recognises the wrapper
// from the first non-empty line of each input, joins partial records and reports, for every
// record, the offset a restarted reader resumes from.

interface Rec {
  text: string | null;
  reason: string | null;
  lineNo: number;
  resume: number;
}

function decode(input: string | Buffer, opts: { chunk?: number; max?: number; start?: number; startLine?: number } = {}): { format: string | null; records: Rec[] } {
  const bytes = typeof input === 'string' ? Buffer.from(input) : input;
  const d = new StreamDecoder(opts.start ?? 0, opts.startLine ?? 0, opts.max);
  const size = opts.chunk ?? bytes.length;
  for (let i = 0; i < bytes.length; i += Math.max(size, 1)) d.write(bytes.subarray(i, i + size));
  d.end();
  const q = d.queue;
  const records = q.texts.map((text, i) => ({ text, reason: q.reasons[i], lineNo: q.lineNos[i], resume: q.resumes[i] }));
  return { format: d.format, records };
}

/** Long texts shortened, so a failure prints a readable diff. */
const show = (text: string) => (text.length > 200 ? `<${text.length} chars: ${text.slice(0, 30)}…>` : text);
const texts = (records: Rec[]) => records.filter((r) => r.text !== null).map((r) => show(r.text!));
const outcomes = (records: Rec[]) => records.map((r) => (r.text === null ? r.reason : show(r.text)));
const skips = (records: Rec[]) => records.filter((r) => r.text === null).map((r) => r.reason);

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

describe('format detection, per input, from the first non-empty line', () => {
  const rows = [
    ['plain', LINES[0]],
    ['plain', STACK_TRACE[1]],
    ['docker', JSON.stringify({ log: LINES[0] + '\n', stream: 'stdout', time: T })],
    ['docker', '  {"log":"x\\n"}'],
    ['cri', `${T} stdout F ${LINES[0]}`],
    ['cri', `2024-05-06T07:08:09.123+02:00 stderr P part`],
    ['kubectl', `${T} ${LINES[0]}`],
    ['kubectl', '2024-05-06T07:08:09Z just a line that starts with a time'],
  ] as const;
  for (const [format, line] of rows) test(`${format}: ${line.slice(0, 50)}`, () => assert.equal(detectFormat(line), format));

  test('leading blank lines do not decide the format', () => {
    const { format, records } = decode('\n\n' + docker([LINES[0]]));
    assert.equal(format, 'docker');
    assert.deepEqual(texts(records), ['', '', show(LINES[0])]);
  });
});

describe('kubectl logs --timestamps', () => {
  test('the stamp and its space are removed from every line, stack traces included', () => {
    const text = LINES.map((l) => `${T} ${l}`).join('\n') + '\n';
    const { format, records } = decode(text, { chunk: 7 });
    assert.equal(format, 'kubectl');
    assert.deepEqual(texts(records), LINES.map(show));
  });

  test('a line without a stamp (a log concatenated after it) is kept whole', () => {
    const { records } = decode(`${T} ${LINES[0]}\n${LINES[1]}\n2024-05-06T07:08:09+02:00 ${LINES[4]}\n`);
    assert.deepEqual(texts(records), [LINES[0], LINES[1], LINES[4]].map(show));
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

  test('an unterminated last line is skipped as truncated, not consumed, and not counted as a line read', () => {
    const complete = LINES.slice(0, 2).join('\n') + '\n';
    const { records } = decode(complete + LINES[2].slice(0, 10));
    assert.deepEqual(skips(records), ['truncated']);
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

  test('escapes, unicode, CRLF and fluent-bit style `message` fields', () => {
    const rows = [
      JSON.stringify({ log: 'quote " tab \t uid=jürgen 山田\r\n', stream: 'stdout' }),
      JSON.stringify({ message: 'from fluent-bit\n' }),
      '{"log":"\\u0041\\u00e9\\n","stream":"stdout"}',
    ];
    assert.deepEqual(texts(decode(rows.join('\n') + '\n').records), ['quote " tab \t uid=jürgen 山田', 'from fluent-bit', 'Aé']);
  });

  test('lines that are not docker records are counted as malformed and the rest is read', () => {
    const rows = [
      JSON.stringify({ log: 'first\n', stream: 'stdout' }),
      '{"log": "cut in the mid',
      '[1, 2, 3]',
      '{"stream":"stdout"}',
      '"just a string"',
      '',
      JSON.stringify({ log: 'last\n', stream: 'stdout' }),
    ];
    const { records } = decode(rows.join('\n') + '\n');
    assert.deepEqual(outcomes(records), ['first', 'malformed', 'malformed', 'malformed', 'malformed', 'last']);
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

  test('P records are joined until the F record', () => {
    const long = accessLine({ msg: 'g'.repeat(100) });
    const { records } = decode(cri([LINES[0], long, LINES[1]], 'stdout', 30));
    assert.deepEqual(texts(records), [LINES[0], long, LINES[1]].map(show));
  });

  test('stderr and stdout are joined separately', () => {
    const rows = [`${T} stdout P abc`, `${T} stderr F an error`, `${T} stdout F def`];
    assert.deepEqual(texts(decode(rows.join('\n') + '\n').records), ['an error', 'abcdef']);
  });

  test('an empty F record is an empty line; malformed CRI lines are counted and the rest is read', () => {
    const rows = [`${T} stdout F first`, `${T} stdout F`, `${T} stdout F `, `${T} nowhere F x`, `${T}`, `${T} stdout F last`];
    const { records } = decode(rows.join('\n') + '\n');
    assert.deepEqual(outcomes(records), ['first', '', '', 'malformed', 'malformed', 'last']);
  });

  test('a 5 MB line in 16 KiB P records is one oversized skip, and the next line is intact', () => {
    const huge = 'h'.repeat(5 * 1024 * 1024);
    const { records } = decode(cri([LINES[0], huge, LINES[1]]), { chunk: 1 << 20 });
    assert.deepEqual(outcomes(records), [LINES[0], 'oversized', LINES[1]].map(show));
  });
});
