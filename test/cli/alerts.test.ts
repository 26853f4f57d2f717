import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { filterOf } from '../../src/cli/alerts.js';
import { UsageError } from '../../src/cli/common.js';
import { AlertStore } from '../../src/store/sqlite/alerts.js';
import { openDatabase } from '../../src/store/sqlite/database.js';
import { az, history, scratch } from '../detect/helpers.js';
import { SAMPLE_LOGS, lines, ndjson, ok, ouwatch } from '../helpers/cli.js';

const s = scratch();
after(() => s.done());
const db = s.path('alerts.db');
interface A {
  id: string;
  rule: string;
  severity: string;
  dn: string | null;
  ip: string | null;
  status: string;
  count: number;
  lastTime: string;
  history?: Array<{ status: string; by: string; comment: string | null }>;
}
let all: A[] = [];
const list = (...args: string[]) => ndjson<A>(ok(['alerts', 'list', '--db', db, '--json', ...args]).stdout);
const MM = 'uid=mmosley,ou=shadow,o=Tremolo';

before(() => {
  ok(['replay', ...SAMPLE_LOGS, '--db', db, '-q']);
  all = list();
});

test('alerts lists the open alerts, newest first, as the DESIGN.md shape plus count and last time', () => {
  assert.equal(all.length, 12);
  const times = all.map((a) => (a as unknown as { time: string }).time);
  assert.deepEqual(times, [...times].sort().reverse());
  assert.deepEqual(Object.keys(all[0]), ['id', 'rule', 'severity', 'time', 'dn', 'dnSha1', 'ip', 'country', 'reason', 'evidence', 'status', 'response', 'count', 'lastTime']);
  // `alerts` alone is `alerts list`.
  const table = ok(['alerts', '--db', db]);
  assert.equal(lines(table.stdout).length, 1 + 2 * 12);
  assert.match(table.stderr, /^12 alerts; details: ouwatch alerts show ID --db /);
});

test('filters: rule, severity (list or LEVEL+), DN (exact or wildcard), address (exact or CIDR), since, limit', () => {
  // The flag parsing and the query the command runs, in-process (one child process per case is slow).
  const d = openDatabase(db, { readonly: true });
  try {
    const store = new AlertStore(d);
    const q = (flags: Record<string, string>) => store.list(filterOf({ db, status: 'open,acknowledged', ...flags }, Date.parse('2026-03-05T00:00:00Z')));
    const ids = (xs: Array<{ id: string }>) => xs.map((a) => a.id).sort();
    const where = (f: (a: A) => boolean) => ids(all.filter(f));
    assert.deepEqual(ids(q({ rule: 'impossible-travel' })), where((a) => a.rule === 'impossible-travel'));
    assert.equal(q({ rule: 'impossible-travel,new-country' }).length, 3);
    assert.deepEqual(ids(q({ severity: 'high+' })), where((a) => a.severity === 'high' || a.severity === 'critical'));
    assert.equal(q({ severity: 'high+' }).length, 5);
    assert.equal(q({ severity: 'medium' }).length, 7);
    assert.equal(q({ severity: 'low,critical' }).length, 1);
    assert.deepEqual(ids(q({ dn: MM })), where((a) => a.dn === MM));
    assert.equal(q({ dn: MM }).length, 7);
    assert.deepEqual(ids(q({ dn: 'uid=mm*' })), where((a) => a.dn === MM));
    assert.equal(q({ dn: 'uid=mm%' }).length, 0, 'SQL wildcards are literal');
    assert.equal(store.list({ dn: 'uid=mm*' }).length, 0, "the store's dn filter is exact: a '*' in a DN is a character");
    assert.equal(q({ ip: '5.255.255.5' }).length, 7);
    assert.deepEqual(ids(q({ ip: '89.160.20.0/24' })), where((a) => a.ip?.startsWith('89.160.20.') ?? false));
    assert.equal(q({ ip: '89.160.20.0/24' }).length, 2);
    assert.deepEqual(q({ since: '2026-03-03T15:00' }).map((a) => a.rule).sort(), ['new-source-ip', 'refresh-token-grace-burst']);
    assert.equal(q({ since: '24h' }).length, 0, 'relative to now');
    assert.equal(q({ since: '2d' }).length, 12);
    assert.equal(q({ limit: '2' }).length, 2);
    const refused: Array<[Record<string, string>, RegExp]> = [
      [{ severity: 'urgent' }, /^--severity expects low, medium, high, critical, got 'urgent'/],
      [{ status: 'done' }, /^--status expects open, acknowledged, closed or all, got 'done'/],
      [{ ip: '10.0.0.0/40' }, /^--ip expects an address or a CIDR block/],
      [{ since: 'yesterday' }, /^--since expects an ISO date\/time/],
      [{ limit: '0' }, /^--limit expects a positive whole number/],
    ];
    for (const [flags, message] of refused) assert.throws(() => q(flags), (e: unknown) => e instanceof UsageError && message.test(e.message));
  } finally {
    d.close();
  }
  // And once through the command line.
  assert.deepEqual(list('--rule', 'new-country', '--severity', 'high+').map((a) => a.rule), ['new-country']);
});

test('show prints one alert with its evidence and history; an id prefix is enough', () => {
  const a = all.find((x) => x.rule === 'refresh-token-replay')!;
  const text = ok(['alerts', 'show', a.id.slice(0, 6), '--db', db]).stdout;
  assert.match(text, new RegExp(`^${a.id} {2}critical {2}refresh-token-replay {2}\\[open\\]\n`));
  assert.match(text, /reason {6}An expired refresh token of uid=mmosley/);
  assert.match(text, /dn sha1 {5}5204c08a79c11dbdc2fdda1e07bc866fb4f22888/);
  assert.match(text, /evidence \(1\)\n {4}.*openunison-orchestra-[01]\.log:\d+\n {6}\[2026-03-03 11:40:00,002\]/);
  assert.match(text, /history\n {4}\S+ {2}open {9}by ouwatch: raised by rule refresh-token-replay/);
  const json = JSON.parse(ok(['alerts', 'show', a.id, '--db', db, '--json']).stdout) as A;
  assert.equal(json.id, a.id);
  assert.deepEqual(json.history!.map((h) => h.status), ['open']);
});

test('ack and close record who, when and why; closed alerts leave the default list', () => {
  const a = all.find((x) => x.rule === 'new-source-ip' && x.dn?.startsWith('uid=erik'))!;
  const acked = ok(['alerts', 'ack', a.id, '--db', db, '--by', 'alice', '--comment', 'asking erik'], { env: { USER: 'ignored' } });
  assert.equal(acked.stdout, `alert ${a.id} (new-source-ip) acknowledged by alice: asking erik\n`);
  assert.deepEqual(list('--status', 'acknowledged').map((x) => x.id), [a.id]);
  const closed = JSON.parse(ok(['alerts', 'close', a.id, '--db', db, '--comment', 'working from home', '--json'], { env: { USER: 'bob' } }).stdout) as A;
  assert.equal(closed.status, 'closed');
  assert.deepEqual(closed.history!.map((h) => [h.status, h.by, h.comment]), [
    ['open', 'ouwatch', 'raised by rule new-source-ip'],
    ['acknowledged', 'alice', 'asking erik'],
    ['closed', 'bob', 'working from home'],
  ]);
  assert.equal(list().length, 11);
  assert.equal(list('--status', 'all').length, 12);
  assert.deepEqual(list('--status', 'closed').map((x) => x.id), [a.id]);
});

test('mistakes get one line and exit 2', () => {
  const cases: Array<[string[], RegExp]> = [
    [['alerts', 'show', 'ffffffff', '--db', db], /^ouwatch: no alert ffffffff/],
    [['alerts', 'list', '--db', db, '--severity', 'urgent'], /^ouwatch: --severity expects low, medium, high, critical, got 'urgent'/],
    [['alerts', 'list', '--db', s.path('none.db')], /^ouwatch: no database at /],
  ];
  for (const [args, message] of cases) {
    const r = ouwatch(args);
    assert.equal(r.status, 2, args.join(' '));
    assert.match(r.stderr, message);
    assert.equal(lines(r.stderr).length, 1);
  }
  const closed = list('--status', 'closed')[0];
  const r = ouwatch(['alerts', 'ack', closed.id, '--db', db]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /is closed; reopen it first/);
  ok(['alerts', 'reopen', closed.id, '--db', db, '--by', 'carol']);
  assert.equal(list().length, 12);
});

test('DNs are data: control characters are shown escaped in tables, kept exact in JSON', () => {
  const evil = 'uid=eve\x1b[31m\u00e9"\';,o=Tremolo';
  const log = s.path('evil.log');
  writeFileSync(log, [...history(evil, '89.160.20.112'), az(Date.parse('2026-03-02T12:00:00Z'), evil, '81.224.10.99')].join('\n') + '\n');
  const evilDb = s.path('evil.db');
  const table = ok(['replay', log, '--db', evilDb]).stdout;
  assert.ok(!table.includes('\x1b'), 'a raw escape reached the terminal');
  assert.ok(table.includes('uid=eve\\x1b[31mé"\';,o=Tremolo'));
  const [a] = ndjson<A>(ok(['alerts', '--db', evilDb, '--json']).stdout);
  assert.equal(a.dn, evil);
  assert.equal(ndjson<A>(ok(['alerts', '--db', evilDb, '--json', '--dn', evil]).stdout).length, 1);
});

test('after alerts close, the next repeat is a new alert: the closed one counts no more', () => {
  const own = s.path('close-repeat.db');
  const erik = 'uid=erik.lund,ou=users,o=Tremolo';
  const home = '81.224.10.77';
  const evening = Date.parse('2026-03-02T19:30:00Z');
  const log = s.path('close-repeat.log');
  writeFileSync(log, [...history(erik, '89.160.20.112'), az(evening, erik, home), az(evening + 60_000, erik, home)].join('\n') + '\n');
  ok(['replay', log, '--db', own, '-q']);
  const [open] = ndjson<A>(ok(['alerts', 'list', '--db', own, '--json', '--dn', erik]).stdout);
  assert.deepEqual([open.rule, open.ip, open.count], ['new-source-ip', home, 2]);
  ok(['alerts', 'close', open.id, '--db', own, '--comment', 'not him: his laptop was stolen']);
  // Later that evening, one more request from the same home line.
  const more = s.path('close-repeat-more.log');
  writeFileSync(more, az(evening + 2 * 3_600_000, erik, home) + '\n');
  const raised = ndjson<A>(ok(['replay', more, '--db', own, '--json', '-q']).stdout);
  assert.deepEqual(raised.map((a) => [a.rule, a.dn, a.ip, a.status]), [['new-source-ip', erik, home, 'open']]);
  assert.notEqual(raised[0].id, open.id);
  const closed = ndjson<A>(ok(['alerts', 'list', '--db', own, '--json', '--status', 'closed']).stdout);
  assert.deepEqual(closed.map((a) => [a.id, a.count]), [[open.id, 2]]);
});
