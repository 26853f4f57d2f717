import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EVENT_CODE, LINE_KINDS, kindName } from '../../src/core/events.js';
import { OpenUnisonScanner } from '../../src/components/parse/scanner.js';
import { STACK_TRACE, accessLine, expiredLine, header } from '../helpers/lines.js';
import { kindOf, parseText } from './scan.js';

// What is not an event: other classes, MyVD's SRCH/RESULT lines (which share the AccessLog
// name), stack traces, unknown event words, malformed or cut lines, binary garbage. The scanner
// must say which, never throw, and never invent an event.

describe('normal log lines that are not events (other)', () => {
  const rows = [
    ['a real OpenIDConnectAuthMech error (OpenUnison\'s layout, docs/openunison.md)', '[2022-01-25 20:20:18,901][XNIO-1 task-7] ERROR OpenIDConnectAuthMech - Could not retrieve token : 400 / Bad Request'],
    ['MyVD SRCH', header() + "SRCH op=88 con=87 base='o=Tremolo' filter='(uid=mmosley)' attrs='[uid, mail]'"],
    ['MyVD RESULT', header() + 'RESULT op=88 con=87 result=0 time=4'],
    ['MyVD BIND', header() + "BIND op=1 con=87 dn='cn=admin,o=Tremolo' method=simple"],
    ['ConfigSys', header({ logger: 'ConfigSys', level: 'DEBUG' }) + 'Checking for updates to jobs'],
    ['ProxySys', header({ logger: 'ProxySys' }) + 'Request to https://kubernetes.default.svc/api took 12ms'],
    ['a class whose message mentions an event word', header({ logger: 'K8sSessionStore' }) + '[AzSuccess] - not from AccessLog'],
    ['an AccessLog line with an empty message', header().trimEnd()],
    ['an AccessLog line without the separator', '[2022-12-24 00:34:56,424][XNIO-1 task-1] INFO  AccessLog'],
  ] as const;
  for (const [what, line] of rows) test(what, () => assert.equal(kindOf(line), 'other'));
});

describe('stack traces and other continuation lines', () => {
  for (const line of [...STACK_TRACE, '', '   ', 'Multi-line message, second line', '{"kind":"Status","code":401}', '  at [2022-12-24] something']) {
    test(`${JSON.stringify(line)} is a continuation`, () => assert.equal(kindOf(line), 'continuation'));
  }
});

describe('unknown event words', () => {
  for (const word of ['AzLog', 'Foo', 'azsuccess', 'AUSUCCESS', 'LoggedOut']) {
    test(`[${word}] is counted as an unknown word`, () => assert.equal(kindOf(accessLine({ event: word })), 'unknown-word'));
  }
  test('a bracketed text that is not a word is not an unknown word', () => {
    assert.equal(kindOf(header() + '[ok, 12 entries] - loaded'), 'other');
  });
});

describe('malformed lines', () => {
  const rows = [
    ['a header only', '[2022-12-24 00:34:56,424][XNIO-1 task-1]'],
    ['a time only', '[2022-12-24 00:34:56,424]'],
    ['a date that does not exist', accessLine({ time: '2022-02-30 00:34:56,424' })],
    ['an hour 24', accessLine({ time: '2022-02-03 24:00:00,000' })],
    ['milliseconds after a colon', accessLine({ time: '2022-02-03 10:00:00:000' })],
    ['a zone designator cut short', accessLine({ time: '2022-02-03T10:00:00.000+01:' })],
    ['a short time stamp', '[2022-2-3 10:00:00,000][main] INFO  AccessLog - [AzSuccess] - a - b - c - d [1.2.3.4] - [null]'],
    ['an access line without its address and session', header() + '[AzSuccess] - k8s - https://x/y - uid=a,o=T - msg'],
    ['an access line with too few fields', header() + '[AzSuccess] - https://x/y [1.2.3.4] - [null]'],
    ['an expired-token line with too few fields', header({ logger: 'OpenIDConnectIdP' }) + '[ExpiredRefreshTokenUsed] - https://x/token [1.2.3.4] - [null]'],
  ] as const;
  for (const [what, line] of rows) test(what, () => assert.equal(kindOf(line), 'malformed'));
});

describe('lines cut short (a writer that died mid-line)', () => {
  const full = [
    ['an AccessLog line', accessLine({ dn: 'cn=Ops - Team,o=Tremolo', msg: 'admins - read', ip: '2001:db8::1' }), header().length + 2],
    ['an ExpiredRefreshTokenUsed line', expiredLine(), header({ logger: 'OpenIDConnectIdP' }).length + '[ExpiredRefreshTokenUsed] - '.length],
  ] as const;
  for (const [what, line, from] of full) {
    test(`no prefix of ${what} is an event, and every prefix past the event word is malformed`, () => {
      assert.equal(kindOf(line), 'event');
      const prefixes = Array.from({ length: line.length }, (_, n) => line.slice(0, n));
      // All prefixes read as one log (fast); line by line only to name the one that is wrong.
      const counts = (lines: string[]) => parseText(lines.join('\n') + '\n').counts;
      const explain = (lines: string[], ok: (k: string) => boolean) => {
        const bad = lines.find((l) => !ok(kindOf(l)));
        return bad === undefined ? 'no single prefix is wrong' : `prefix of ${bad.length} chars is ${kindOf(bad)}: ${bad}`;
      };
      const before = prefixes.slice(0, from);
      if (counts(before).event !== undefined) assert.fail(explain(before, (k) => k !== 'event'));
      const past = prefixes.slice(from);
      const got = counts(past);
      if (got.malformed !== past.length || Object.keys(got).length !== 1) assert.fail(explain(past, (k) => k === 'malformed'));
    });
  }
});

describe('binary garbage', () => {
  const rows: Array<[string, Buffer]> = [
    ['control characters', Buffer.from('\u0000\u0001\u0002garbage')],
    ['a zip header', Buffer.from('PK\u0003\u0004zip')],
    ['bytes that are not UTF-8 (Latin-1 text)', Buffer.from('café', 'latin1')],
    ['a lone continuation byte', Buffer.from([0x61, 0x80, 0x62])],
    ['terminal colour codes', Buffer.from('\u001b[31mred\u001b[0m')],
    ['DEL', Buffer.from('\u007f')],
  ];
  for (const [what, bytes] of rows) test(`${what} is binary`, () => assert.equal(kindOf(bytes), 'binary'));
  test('valid UTF-8 text is not binary, a replacement character included', () => {
    assert.equal(kindOf('caf\uFFFD and 山田 🚀'), 'continuation');
  });

  // Random bytes and mutated real lines, seeded so a failure can be replayed.
  let seed = 7;
  const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const base = [accessLine(), expiredLine(), header({ logger: 'SessionManagerImpl' }) + "Logging out user 'cn=x'", accessLine({ ip: '2001:db8::1', dn: 'cn=Ops - Team,o=T' })];
  const fuzz: Buffer[] = [];
  for (let i = 0; i < 20_000; i++) {
    if (i % 2 === 0) {
      const bytes = Buffer.from(Array.from({ length: Math.floor(rand() * 200) }, () => Math.floor(rand() * 256)));
      fuzz.push(rand() < 0.5 ? Buffer.concat([Buffer.from('[2024-05-06 07:08:09,123][t] INFO  AccessLog - ['), bytes]) : bytes);
    } else {
      const chars = [...base[i % base.length]];
      for (let m = 0; m < 3; m++) {
        const at = Math.floor(rand() * chars.length);
        if (rand() < 0.5) chars.splice(at, 1);
        else chars.splice(at, 0, ' -[]\u0000'[Math.floor(rand() * 5)]);
      }
      fuzz.push(Buffer.from(chars.join('')));
    }
  }

  test('the scanner never throws on random bytes and mutated real lines, and every field of an event lies in its line', () => {
    const scanner = new OpenUnisonScanner();
    for (const line of fuzz) {
      const code = scanner.scan(line, 0, line.length);
      if (code !== EVENT_CODE) {
        assert.ok((LINE_KINDS as readonly string[]).includes(kindName(code)), `unexpected code ${code}`);
        continue;
      }
      const f = scanner.fields;
      assert.ok(Number.isFinite(f.ts));
      for (const [at, end] of [[f.dnAt, f.dnEnd], [f.ipAt, f.ipEnd], [f.urlAt, f.urlEnd], [f.appAt, f.appEnd], [f.sessionAt, f.sessionEnd], [f.messageAt, f.messageEnd], [f.threadAt, f.threadEnd]]) {
        if (at < 0) continue;
        assert.ok(at >= 0 && at <= end && end <= line.length, `field [${at}, ${end}) outside a line of ${line.length} bytes`);
      }
    }
  });

  test('read as one log, every line is counted once and every event field is text of its line', () => {
    const text = Buffer.concat(fuzz.flatMap((l) => [l, Buffer.from('\n')]));
    const physical = text.toString('latin1').split('\n').length - 1;
    const { events, counts } = parseText(text);
    assert.equal(Object.values(counts).reduce((a, b) => a + b, 0), physical);
    assert.ok(events.length > 100, `only ${events.length} events survived the mutations`);
    for (const e of events) {
      const raw = e.raw();
      for (const field of [e.dn?.dn, e.address?.ip, e.url(), e.app(), e.sessionId, e.message(), e.thread()]) {
        if (field !== null && field !== undefined) assert.ok(raw.includes(field), `field ${JSON.stringify(field)} is not in the line`);
      }
      assert.ok(Number.isFinite(e.ts));
      assert.equal(e.address === null || e.address.valid, true, 'an event never carries an invalid address');
    }
  });
});
