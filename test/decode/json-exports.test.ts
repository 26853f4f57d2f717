import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { accessLine, expiredLine, header, idpWarning } from '../helpers/lines.js';
import { assertRestartable, decode, texts } from './exports-decode.js';

// Logs exported from a log platform come as JSON: Loki's `logcli --output=jsonl`, Elasticsearch
// and OpenSearch `_search` responses, scroll dumps and NDJSON hits, and log4j2's own JSON
// layouts. The decoder recognises each by its content and hands on the log4j lines inside, each
// with the offset a restarted reader resumes from (just past the JSON value that held it) and
// the physical line that value ended on.

const L = [
  accessLine({ time: '2026-03-03 10:00:00,001', dn: 'uid=jürgen,o=Tremolo', url: 'https://k8sou.example.com/api?a=1&b=<2>' }),
  expiredLine({ time: '2026-03-03 10:00:01,002' }),
  idpWarning('Session does not exist from refresh_token', { time: '2026-03-03 10:00:02,003', thread: 'XNIO-1 task-9' }),
  accessLine({ time: '2026-03-03 10:00:03,004', event: 'AuFail', dn: 'cn=none', msg: 'k8sIdp', ip: '5.255.255.5' }),
];

function hit(line: string, i: number, source: Record<string, unknown> = { message: line }): Record<string, unknown> {
  return { _index: 'filebeat-8.12.2', _id: `id${i}`, _score: null, _source: { '@timestamp': '2026-03-03T10:00:00.000Z', log: { offset: i }, ...source }, sort: [i] };
}

/** `hits` may hold values that are not hits (a test of what is skipped). */
function response(hits: unknown[], scrollId?: string): Record<string, unknown> {
  const body = { took: 4, timed_out: false, _shards: { total: 1, successful: 1, skipped: 0, failed: 0 }, hits: { total: { value: hits.length, relation: 'eq' }, max_score: null, hits } };
  return scrollId === undefined ? body : { _scroll_id: scrollId, ...body };
}

const HITS = L.map((l, i) => hit(l, i));
const COMPACT = JSON.stringify(response(HITS)) + '\n';
const PRETTY = JSON.stringify(response(HITS), null, 2) + '\n';
const SCROLL = [response(HITS.slice(0, 3), 'c2Nyb2xs'), response(HITS.slice(3), 'c2Nyb2xs'), response([], 'c2Nyb2xs')].map((p) => JSON.stringify(p, null, 2)).join('\n') + '\n';
const NDJSON_HITS = HITS.map((h) => JSON.stringify({ ...h, _type: '_doc' })).join('\n') + '\n';

describe('recognition by content', () => {
  const rows: Array<[string, string]> = [
    ['docker', JSON.stringify({ log: L[0] + '\n', stream: 'stdout', time: '2026-03-03T10:00:00.001Z' })],
    ['docker', JSON.stringify({ message: L[0] })],
    ['loki', JSON.stringify({ labels: { pod: 'openunison-orchestra-0' }, line: L[0], timestamp: '2026-03-03T10:00:00.001000123Z' })],
    ['loki', JSON.stringify({ line: L[0], timestamp: '2026-03-03T10:00:00.001Z' })],
    ['elasticsearch', COMPACT],
    ['elasticsearch', PRETTY],
    ['elasticsearch', SCROLL],
    ['elasticsearch', NDJSON_HITS],
    ['log4j2-json', JSON.stringify({ instant: { epochSecond: 1772532000, nanoOfSecond: 1000000 }, thread: 't', level: 'INFO', loggerName: 'com.tremolosecurity.log.AccessLog', message: 'm' })],
    ['log4j2-json', '[\n' + JSON.stringify({ timeMillis: 1772532000001, thread: 't', level: 'INFO', loggerName: 'a.B', message: 'm' }, null, 2) + '\n]\n'],
    ['ecs-json', JSON.stringify({ '@timestamp': '2026-03-03T10:00:00.001Z', 'log.level': 'INFO', message: 'm', 'process.thread.name': 't', 'log.logger': 'a.B' })],
    ['plain', L[0]],
  ];
  for (const [format, input] of rows) {
    test(`${format}: ${input.replace(/\s+/g, ' ').slice(0, 60)}`, () => {
      assert.equal(decode(input + '\n').format, format);
      assert.equal(decode(input + '\n', { chunk: 1 }).format, format, 'delivered one byte at a time');
    });
  }

  test('a pretty-printed response is recognised on its first key, whatever its size', () => {
    const d = decode('\n  ' + PRETTY, { chunk: 5 });
    assert.equal(d.format, 'elasticsearch');
    assert.deepEqual(texts(d), L);
  });

  test('a plain log resumed before a line that starts with `]` or `,` (a JSON body in a message) is still a plain log', () => {
    const log = [header() + 'Unexpected response: {', '  "items": [', '  ],', '  "kind": "List"', '}', L[1], L[2]].join('\n') + '\n';
    const at = Buffer.byteLength(log.split('\n').slice(0, 2).join('\n') + '\n');
    const d = decode(Buffer.from(log).subarray(at), { start: at, startLine: 2 });
    assert.equal(d.format, 'plain');
    assert.deepEqual(texts(d), ['  ],', '  "kind": "List"', '}', L[1], L[2]]);
  });

  // OpenUnison prints JSON under some messages; a plain log cut there by rotation starts with it.
  // No export, layout or NDJSON has a line that starts a log4j event: one in the bytes at hand,
  // or right after the first value once it is read, makes the input a plain log.
  test('a plain log that starts with JSON a message printed is a plain log, whatever the keys: every line is read, the events after the JSON too', () => {
    for (const json of [
      ['{"result":"ok","preview":false}'],
      ['{"level":"debug","thread":"main"}'],
      ['{', '  "took": 3,', '  "hits": []', '}'],
      ['{"events": [{"message": "x"}]}'],
      ['[{"instant": 1}]'],
    ]) {
      const lines = [...json, ...L];
      const input = lines.join('\n') + '\n';
      // Whole, a byte at a time, and as a live file shows it (the JSON first, on its own).
      for (const chunk of [undefined, 1, Buffer.byteLength(json.join('\n') + '\n')]) {
        const d = decode(input, { chunk });
        assert.equal(d.format, 'plain', `${json[0]}, chunk ${chunk}`);
        assert.deepEqual(texts(d), lines, `${json[0]}, chunk ${chunk}`);
      }
      // Resumed at the JSON (a checkpoint just before it): the same.
      const log = [L[0], ...lines].join('\n') + '\n';
      const at = Buffer.byteLength(L[0]) + 1;
      const resumed = decode(Buffer.from(log).subarray(at), { start: at, startLine: 1 });
      assert.equal(resumed.format, 'plain', `resumed: ${json[0]}`);
      assert.deepEqual(texts(resumed), lines, `resumed: ${json[0]}`);
    }
  });

  test('a log4j line that starts with a bracket is not a JSON array', () => {
    assert.deepEqual(texts(decode(L.join('\n') + '\n')), L);
  });
});

describe('Elasticsearch and OpenSearch', () => {
  test('a _search response, compact or pretty: every hit, in order, as the line in _source.message', () => {
    for (const input of [COMPACT, PRETTY]) {
      for (const chunk of [1, 7, 64, undefined]) assert.deepEqual(texts(decode(input, { chunk })), L, `chunk ${chunk}`);
    }
  });

  test('a record resumes just past the last byte of its hit, on that byte’s line', () => {
    const bytes = Buffer.from(PRETTY);
    const d = decode(bytes);
    for (const o of d.out) {
      assert.equal(bytes[o.resume - 1], 0x7d, 'a closing brace');
      assert.equal(o.lineNo, bytes.subarray(0, o.resume).toString().split('\n').length);
    }
    assert.equal(new Set(d.out.map((o) => o.resume)).size, L.length);
  });

  test('a scroll dump (pages one after the other, the last one empty) and NDJSON hits (elasticdump)', () => {
    assert.deepEqual(texts(decode(SCROLL)), L);
    assert.deepEqual(texts(decode(SCROLL, { chunk: 3 })), L);
    assert.deepEqual(texts(decode(NDJSON_HITS)), L);
  });

  test('a restart at any record’s resume offset reads exactly the records after it (inside a response too)', () => {
    assertRestartable(COMPACT);
    assertRestartable(PRETTY);
    assertRestartable(SCROLL);
    assertRestartable(NDJSON_HITS);
  });

  test('the raw line may be in event.original, message, a log string (fluent-bit: with its newline) or line', () => {
    const hits = [
      hit(L[0], 0, { 'event.original': L[0], message: 'parsed message only' }),
      hit(L[1], 1, { log: L[1] + '\n', stream: 'stdout' }),
      hit(L[2], 2, { line: L[2] }),
      hit(L[3], 3, { message: L[3] + '\r\n' }),
    ];
    assert.deepEqual(texts(decode(JSON.stringify(response(hits)))), L);
    const fields = L.map((l, i) => ({ _index: 'logs', _id: `f${i}`, fields: { message: [l], '@timestamp': ['2026-03-03T10:00:00.000Z'] } }));
    assert.deepEqual(texts(decode(JSON.stringify(response(fields)))), L, 'a search for fields instead of _source');
  });

  test('a multi-line message (a stack trace joined by the shipper) is several lines, as in the log', () => {
    const trace = [header({ level: 'ERROR', logger: 'OpenIDConnectAuthMech' }) + 'Could not retrieve token', 'java.io.IOException: Bad Request', '\tat com.tremolosecurity.proxy.auth.OpenIDConnectAuthMech.doGet(OpenIDConnectAuthMech.java:271)'];
    const d = decode(JSON.stringify(response([hit('', 0, { message: trace.join('\n') }), HITS[1]])));
    assert.deepEqual(texts(d), [...trace, L[1]]);
    assert.deepEqual(d.out.slice(0, 3).map((o) => o.resume), Array(3).fill(d.out[0].resume), 'one value, one position');
  });

  test('a hit without a log line is skipped as malformed; the hits after it are read', () => {
    const d = decode(JSON.stringify(response([HITS[0], { _index: 'x', _source: { '@timestamp': 'now' } }, 42, HITS[1]])));
    assert.deepEqual(texts(d), [L[0], '<malformed>', '<malformed>', L[1]]);
  });

  test('a hit over the line limit is passed over without being held, as oversized; the rest is read from a parser put back in place', () => {
    const big = hit(accessLine({ msg: 'm'.repeat(20_000) }), 9);
    for (const hits of [[HITS[0], big, HITS[1], HITS[2]], [big, HITS[0]]]) {
      const input = JSON.stringify(response(hits), null, 1) + '\n' + JSON.stringify(response([HITS[3]])) + '\n';
      const expected = hits.map((h) => (h === big ? '<oversized>' : L[HITS.indexOf(h)])).concat(L[3]);
      for (const chunk of [1000, 4096, 7]) assert.deepEqual(texts(decode(input, { max: 4096, chunk })), expected, `chunk ${chunk}`);
      assertRestartable(input, { max: 4096 });
    }
  });

  test('broken JSON is skipped up to the next line that starts a value (malformed)', () => {
    const lines = NDJSON_HITS.split('\n');
    lines[1] = lines[1].slice(0, 40) + '}} garbage';
    const d = decode(lines.join('\n'));
    assert.deepEqual(texts(d), [L[0], '<malformed>', L[2], L[3]]);
    assert.equal(d.out[1].resume, Buffer.byteLength(lines[0] + '\n' + lines[1]), 'resumes at the newline before the next value');
    assertRestartable(lines.join('\n'));
  });

  // Eight hits, broken in the seventh: the first kilobyte, where the input's shape is recognised, is intact.
  const EIGHT = [...L, ...L].map((l, i) => hit(l, i));
  const EXPECTED = [...L, L[0], L[1], '<malformed>', L[3]];

  test('a hit broken inside a response, compact or pretty: reading goes on at the next hit', () => {
    for (const input of [JSON.stringify(response(EIGHT)) + '\n', JSON.stringify(response(EIGHT), null, 2) + '\n']) {
      // A stray brace inside the seventh hit's _source (a byte flipped in a download).
      const at = input.indexOf('"message"', input.indexOf('"id6"'));
      const broken = input.slice(0, at) + '}}' + input.slice(at);
      // Chunks smaller than a hit: the next hit is found across them.
      for (const chunk of [97, 500, 4096, undefined]) assert.deepEqual(texts(decode(broken, { chunk })), EXPECTED, `chunk ${chunk}`);
      assertRestartable(broken);
    }
  });

  test('the first hit of a response broken: reading goes on at the second, compact or pretty', () => {
    // Before any record was read: the parser has to know it is inside the hits array already.
    // The first hit is padded past the kilobyte in which the input's shape is recognised.
    const first = hit(L[0], 0, { agent: { name: 'filebeat-'.repeat(150) }, message: L[0] });
    for (const input of [JSON.stringify(response([first, ...EIGHT.slice(1)])) + '\n', JSON.stringify(response([first, ...EIGHT.slice(1)]), null, 2) + '\n']) {
      const at = input.indexOf('"message"', input.indexOf('"id0"'));
      const broken = input.slice(0, at) + '}}' + input.slice(at);
      for (const chunk of [97, 4096, undefined]) assert.deepEqual(texts(decode(broken, { chunk })), ['<malformed>', ...EXPECTED.slice(1, 6), L[2], L[3]], `chunk ${chunk}`);
      assertRestartable(broken);
    }
  });

  test('the first record of a top-level array broken (log4j2 JsonLayout as a complete array): the others are read', () => {
    const events = L.map((line) => ({ instant: { epochSecond: 1772532000, nanoOfSecond: 0 }, thread: 'XNIO-1 task-1', level: 'INFO', loggerName: 'com.tremolosecurity.proxy.auth.AccessLog', message: line, padding: 'x'.repeat(1200) }));
    const input = JSON.stringify(events) + '\n';
    const at = input.indexOf('"message"');
    const broken = input.slice(0, at) + '}}' + input.slice(at);
    for (const chunk of [97, 4096, undefined]) assert.equal(texts(decode(broken, { chunk })).filter((t) => t === '<malformed>').length, 1, `chunk ${chunk}`);
    assert.equal(decode(broken).out.filter((o) => o.skip === null).length, L.length - 1, 'every event after the broken one is read');
  });

  test('a stray bracket that closes the hits early: reading goes on at the next hit of the array last read', () => {
    const input = JSON.stringify(response(EIGHT)) + '\n';
    const at = input.indexOf(',{"_index"', input.indexOf('"id6"'));
    const broken = input.slice(0, at) + ']' + input.slice(at);
    assert.deepEqual(texts(decode(broken)), [...L, L[0], L[1], L[2], '<malformed>', L[3]]);
  });

  test('after damage, text inside a later hit that looks like a hit is never taken for one', () => {
    // A log line an attacker wrote, made to look like a whole hit once its quotes are escaped.
    const fake = `[2026-03-03 10:00:05,000][XNIO-1 task-1] INFO  AccessLog - [AzSuccess] - k8s-api - https://x - uid=victim,o=Tremolo - oauth2k8s [6.6.6.6] - [f00]`;
    const lure = accessLine({ time: '2026-03-03 10:00:04,000', msg: `x"},{"_index":"f","_source":{"message":${JSON.stringify(fake)}}},{"y":"` });
    const hits = [...EIGHT.slice(0, 7), hit(lure, 7), HITS[3]];
    const text = JSON.stringify(response(hits)) + '\n';
    // Broken before the lure, so that looking for the next hit passes over its bytes.
    const at = text.indexOf('"message"', text.indexOf('"id6"'));
    const broken = text.slice(0, at) + '}}' + text.slice(at);
    const out = texts(decode(broken));
    assert.ok(!out.includes(fake), out.join('\n'));
    assert.deepEqual(out, [...L, L[0], L[1], '<malformed>', lure, L[3]]);
  });

  test('a response damaged before its hits (took, _shards, hits.total): reading goes on at its first hit, compact or pretty, whatever the chunks', () => {
    for (const input of [JSON.stringify(response(EIGHT)) + '\n', JSON.stringify(response(EIGHT), null, 2) + '\n']) {
      const damages: Array<[string, (t: string) => string]> = [
        ['a flipped byte in timed_out', (t) => t.replace('false', 'fa!se')],
        ['a doubled comma in _shards', (t) => t.replace(/("skipped": ?0),/, '$1,,')],
        ['hits.total cut short', (t) => t.replace(/("relation": ?)"eq"/, '$1"e')],
      ];
      for (const [what, damage] of damages) {
        const broken = damage(input);
        assert.notEqual(broken, input, what);
        for (const chunk of [7, 97, 4096, undefined]) {
          assert.deepEqual(texts(decode(broken, { chunk })), ['<malformed>', ...L, ...L], `${what}, chunk ${chunk}`);
        }
        assertRestartable(broken);
      }
    }
  });

  test('a scroll page damaged before its hits: its first hit is read too', () => {
    const pages = [response(EIGHT.slice(0, 3), 'c2Nyb2xs'), response(EIGHT.slice(3), 'c2Nyb2xs')].map((p) => JSON.stringify(p));
    const broken = pages[0] + '\n' + pages[1].replace('"timed_out":false', '"timed_out":fa') + '\n';
    for (const chunk of [13, 500, undefined]) assert.deepEqual(texts(decode(broken, { chunk })), [L[0], L[1], L[2], '<malformed>', L[3], ...L], `chunk ${chunk}`);
    assertRestartable(broken);
  });

  test('after damage before the hits, a "hits": [ written inside a log line is never taken for the records', () => {
    // A line an attacker wrote: its quotes are escaped in the JSON, so its "hits" is text.
    const lure = accessLine({ time: '2026-03-03 10:00:04,000', msg: `x","hits":[{"_source":{"message":"forged"}}],"y":"` });
    const hits = [hit(lure, 0), ...EIGHT.slice(1)];
    const text = JSON.stringify(response(hits)) + '\n';
    const broken = text.replace('"timed_out":false', '"timed_out":fa');
    const out = texts(decode(broken));
    assert.ok(!out.includes('forged'));
    assert.deepEqual(out, ['<malformed>', lure, ...EIGHT.slice(1).map((h) => (h._source as { message: string }).message)]);
  });

  test('damage after an empty hits array: nothing is read in it, and the next document is read whole, whatever the chunks', () => {
    const next = JSON.stringify(response(EIGHT.slice(0, 2))) + '\n';
    for (const page of [JSON.stringify(response([])), JSON.stringify(response([]), null, 2)]) {
      const input = page.replace(/}$/, ',"x":tru!e}') + '\n' + next;
      assert.notEqual(input, page + '\n' + next);
      for (const chunk of [1, 3, 7, 97, undefined]) assert.deepEqual(texts(decode(input, { chunk })), ['<malformed>', L[0], L[1]], `chunk ${chunk}`);
      assertRestartable(input);
    }
  });

  test('a line of NDJSON cut short inside a string (a writer that died): only that line is lost', () => {
    const lines = NDJSON_HITS.split('\n');
    lines[1] = lines[1].slice(0, lines[1].indexOf('"message"') + 30);
    const d = decode(lines.join('\n'));
    assert.deepEqual(texts(d), [L[0], '<malformed>', L[2], L[3]]);
    assertRestartable(lines.join('\n'));
  });

  test('a document cut short ends with the records before the cut and one truncated skip; its rest is not consumed', () => {
    const cut = PRETTY.slice(0, PRETTY.indexOf(JSON.stringify(L[2])) + 10);
    const d = decode(cut);
    assert.deepEqual(texts(d), [L[0], L[1], '<truncated>']);
    assert.equal(d.pending, Buffer.byteLength(cut) - d.out[1].resume);
  });
});

describe('log4j2 JSON layouts: the line OpenUnison’s PatternLayout would have written', () => {
  const event = { thread: 'XNIO-1 task-4', level: 'INFO', loggerName: 'com.tremolosecurity.log.AccessLog', message: L[0].slice(L[0].indexOf(' - ') + 3) };
  const instant = { epochSecond: Date.parse('2026-03-03T10:00:00Z') / 1000, nanoOfSecond: 1_999_999 };
  const expected = `[2026-03-03 10:00:00,001][XNIO-1 task-4] INFO  AccessLog - ${event.message}`;

  test('JsonLayout (instant, or timeMillis before log4j 2.11), pretty-printed with CRLF, or as a complete array', () => {
    const a = JSON.stringify({ instant, ...event, endOfBatch: false }, null, 2).replaceAll('\n', '\r\n').replaceAll('": ', '" : ');
    const b = JSON.stringify({ timeMillis: instant.epochSecond * 1000 + 1, ...event });
    assert.deepEqual(texts(decode(a + '\r\n' + b + '\r\n')), [expected, expected]);
    assert.deepEqual(texts(decode(`[${a}, ${b}]`)), [expected, expected]);
    assertRestartable(`[${a}, ${b}, ${a}]\n`);
    assertRestartable(a + '\r\n' + b + '\r\n' + a + '\r\n');
  });

  test('JsonTemplateLayout with the ECS template (flattened keys), and ECS documents with nested fields', () => {
    const flat = { '@timestamp': '2026-03-03T10:00:00.001Z', 'log.level': 'INFO', message: event.message, 'process.thread.name': event.thread, 'log.logger': event.loggerName };
    const nested = { '@timestamp': '2026-03-03T10:00:00.001999999Z', log: { level: 'INFO', logger: event.loggerName }, message: event.message, process: { thread: { name: event.thread } } };
    assert.deepEqual(texts(decode([flat, nested].map((e) => JSON.stringify(e)).join('\n'))), [expected, expected]);
    const inHit = JSON.stringify(response([{ _index: 'logs', _source: nested }]));
    assert.deepEqual(texts(decode(inHit)), [expected]);
  });

  test('the level is padded to five, the logger is its simple name, the thread may be missing', () => {
    const lines = ['WARN', 'ERROR', 'DEBUG'].map((level) => JSON.stringify({ timeMillis: 1772532000001, level, loggerName: 'com.tremolosecurity.idp.providers.OpenIDConnectIdP$Inner', message: 'x' }));
    assert.deepEqual(texts(decode(lines.join('\n'))), ['WARN ', 'ERROR', 'DEBUG'].map((l) => `[2026-03-03 10:00:00,001][] ${l} OpenIDConnectIdP$Inner - x`));
  });

  test('the time is written in --tz, as the JVM wrote it, across both daylight saving changes', () => {
    const at = (iso: string) => JSON.stringify({ '@timestamp': iso, 'log.level': 'INFO', 'log.logger': 'a.B', message: 'm' });
    const input = ['2026-03-29T00:59:59.999Z', '2026-03-29T01:00:00.000Z', '2026-10-25T00:30:00.000Z', '2026-10-25T01:30:00.000Z', '2026-07-01T12:00:00+02:00'].map(at).join('\n');
    const times = texts(decode(input, { tz: 'Europe/Stockholm' })).map((t) => t.slice(1, 24));
    assert.deepEqual(times, ['2026-03-29 01:59:59,999', '2026-03-29 03:00:00,000', '2026-10-25 02:30:00,000', '2026-10-25 02:30:00,000', '2026-07-01 12:00:00,000']);
  });

  test('a stack trace follows its event as continuation lines (ECS error.stack_trace, JsonLayout thrown)', () => {
    const ecs = { '@timestamp': '2026-03-03T10:00:00.001Z', 'log.level': 'ERROR', message: 'Could not retrieve token', 'process.thread.name': 't', 'log.logger': 'a.OpenIDConnectAuthMech', 'error.stack_trace': 'java.io.IOException: Bad Request\n\tat a.B.c(B.java:1)\n' };
    const json = { ...event, instant, level: 'ERROR', message: 'Could not retrieve token', thrown: { name: 'java.io.IOException', message: 'Bad Request', extendedStackTrace: [{ class: 'a.B', method: 'c', file: 'B.java', line: 1 }] } };
    const head = (h: string) => `[2026-03-03 10:00:00,001][${h}] ERROR `;
    assert.deepEqual(texts(decode(JSON.stringify(ecs) + '\n' + JSON.stringify(json))), [
      head('t') + 'OpenIDConnectAuthMech - Could not retrieve token',
      'java.io.IOException: Bad Request',
      '\tat a.B.c(B.java:1)',
      head('XNIO-1 task-4') + 'AccessLog - Could not retrieve token',
      'java.io.IOException: Bad Request',
      '\tat a.B.c(B.java:1)',
    ]);
  });
});

describe('Loki (logcli query --output=jsonl)', () => {
  test('the line is read from `line`, with Go’s \\u0026 \\u003c \\u003e escapes, as complete lines', () => {
    const go = (v: unknown) => JSON.stringify(v).replace(/[<>&]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    const input = L.map((line, i) => go({ labels: { pod: `openunison-orchestra-${i % 2}`, stream: 'stdout' }, line, timestamp: `2026-03-03T10:00:0${i}.00${i}000123Z` })).join('\n') + '\n';
    assert.ok(input.includes('\\u0026b=\\u003c2\\u003e'));
    const d = decode(input);
    assert.equal(d.format, 'loki');
    assert.deepEqual(texts(d), L);
    assert.deepEqual(d.out.map((o) => o.lineNo), [1, 2, 3, 4]);
  });
});
