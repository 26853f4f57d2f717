import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { listAlerts } from '../../src/app/review/alerts.js';
import { ReviewError } from '../../src/app/errors.js';
import { flagName, type ListQuery } from '../../src/app/review/query.js';
import { openSqliteReviewStore } from '../../src/store/sqlite/review-store.js';
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

test('alerts lists the open alerts, newest first, as the alert contract plus count, last time and evidence lines', () => {
  assert.equal(all.length, 10);
  const times = all.map((a) => (a as unknown as { time: string }).time);
  assert.deepEqual(times, [...times].sort().reverse());
  assert.deepEqual(Object.keys(all[0]), ['id', 'rule', 'severity', 'time', 'dn', 'dnSha1', 'ip', 'country', 'reason', 'evidence', 'status', 'response', 'count', 'lastTime', 'evidenceTotal']);
  // `alerts` alone is `alerts list`: counts per severity and rule first, then the table.
  const table = ok(['alerts', '--db', db]);
  const out = lines(table.stdout);
  assert.equal(out.length, 1 + 1 + 2 * 10);
  assert.equal(out[0], '10 alerts: 1 critical, 2 high, 7 medium; by rule: new-source-ip 2, refresh-token-grace-burst 2, auth-failure-burst 1, authz-failure-burst 1, impossible-travel 1, new-country 1, refresh-token-replay 1, stale-refresh-token 1');
  assert.equal(table.stderr, '');
});

test('a page at a time: --limit (default 50) with an N-more footer, --offset for the next page, --limit all', () => {
  const table = lines(ok(['alerts', '--db', db, '--limit', '3']).stdout);
  assert.equal(table.length, 1 + 1 + 2 * 3 + 1);
  assert.equal(table.at(-1), '3 of 10 alerts shown (1-3); 7 more: --offset 3 for the next page, --limit all for every one');
  const json = ouwatch(['alerts', '--db', db, '--json', '--limit', '3', '--offset', '9']);
  assert.deepEqual(ndjson<A>(json.stdout).map((a) => a.id), all.slice(9).map((a) => a.id));
  assert.equal(json.stderr, '', 'the last page: nothing more');
  const first = ouwatch(['alerts', '--db', db, '--json', '--limit', '4']);
  assert.equal(ndjson(first.stdout).length, 4);
  assert.match(first.stderr, /^4 of 10 alerts shown \(1-4\); 6 more/, 'NDJSON on stdout, the footer on stderr');
  assert.equal(list('--limit', 'all').length, 10);
});

test('--csv: a header row, RFC 4180 quoting, and no cell a spreadsheet would run as a formula', () => {
  const csv = ok(['alerts', '--db', db, '--csv', '--rule', 'refresh-token-replay']).stdout.split('\r\n');
  assert.equal(csv[0], 'id,rule,severity,status,time,lastTime,count,dn,dnSha1,ip,country,reason,evidenceLines,response');
  assert.match(csv[1], /^[0-9a-f]{16},refresh-token-replay,critical,open,2026-03-03T11:40:00\.002Z,.*,"uid=mmosley,ou=shadow,o=Tremolo",5204c08a/);
  assert.equal(csv[2], '');
});

test('filters: rule, severity (list, LEVEL+, any case), DN (any case, * wildcard), address (exact or CIDR), since, until, limit', async () => {
  // The app service the command and the console's API both call, in-process (one child process per case is slow).
  const store = openSqliteReviewStore(db);
  try {
    const RULES = ['impossible-travel', 'new-country', 'new-source-ip', 'refresh-token-replay', 'auth-failure-burst', 'authz-failure-burst', 'refresh-token-grace-burst', 'stale-refresh-token'];
    const q = async (flags: ListQuery) => (await listAlerts(store, { status: 'open,acknowledged', limit: 'all', ...flags }, { now: Date.parse('2026-03-05T00:00:00Z'), name: flagName, knownRules: RULES })).items;
    const ids = (xs: Array<{ id: string }>) => xs.map((a) => a.id).sort();
    const where = (f: (a: A) => boolean) => ids(all.filter(f));
    assert.deepEqual(ids(await q({ rule: 'impossible-travel' })), where((a) => a.rule === 'impossible-travel'));
    assert.equal((await q({ rule: 'impossible-travel,new-country' })).length, 2);
    assert.deepEqual(ids(await q({ severity: 'high+' })), where((a) => a.severity === 'high' || a.severity === 'critical'));
    assert.equal((await q({ severity: 'high+' })).length, 3);
    assert.equal((await q({ severity: 'HIGH+' })).length, 3, 'severities in any case');
    assert.equal((await q({ severity: 'medium' })).length, 7);
    assert.equal((await q({ severity: 'low,critical' })).length, 1);
    assert.deepEqual(ids(await q({ dn: MM })), where((a) => a.dn === MM));
    assert.equal((await q({ dn: MM })).length, 6);
    assert.equal((await q({ dn: MM.toUpperCase() })).length, 6, 'a DN in any case (LDAP compares them so)');
    assert.deepEqual(ids(await q({ dn: 'uid=mm*' })), where((a) => a.dn === MM));
    assert.equal((await q({ dn: 'uid=mm%' })).length, 0, 'SQL wildcards are literal');
    assert.equal((await q({ ip: '5.255.255.5' })).length, 7);
    assert.deepEqual(ids(await q({ ip: '89.160.20.0/24' })), where((a) => a.ip?.startsWith('89.160.20.') ?? false));
    assert.equal((await q({ ip: '89.160.20.0/24' })).length, 1);
    assert.deepEqual((await q({ since: '2026-03-03T15:00' })).map((a) => a.rule).sort(), ['new-source-ip', 'refresh-token-grace-burst']);
    assert.deepEqual((await q({ until: '2026-03-03T09:30Z' })).map((a) => a.rule), ['auth-failure-burst']);
    assert.equal((await q({ since: '24h' })).length, 0, 'relative to now');
    assert.equal((await q({ since: '2d' })).length, 10);
    assert.equal((await q({ limit: '2' })).length, 2);
    const refused: Array<[ListQuery, RegExp]> = [
      [{ severity: 'urgent' }, /^--severity expects low, medium, high, critical \(comma-separated\) or LEVEL\+ \(that level and above\), got 'urgent'/],
      [{ status: 'done' }, /^--status expects open, acknowledged, closed \(comma-separated\) or all, got 'done'/],
      [{ rule: 'new-contry' }, /^--rule: unknown rule 'new-contry' \(known: impossible-travel, new-country/],
      [{ ip: '10.0.0.0/40' }, /^--ip expects an address or a CIDR block/],
      [{ since: 'yesterday' }, /^--since expects an ISO 8601 date\/time/],
      [{ since: "' or 1=1" }, /^--since expects an ISO 8601 date\/time .*, got '' or 1=1'/],
      [{ until: '2026-02-30' }, /^--until expects an ISO 8601 date\/time/],
      [{ since: '2026-03-04', until: '2026-03-03' }, /^--since is after --until/],
      [{ limit: '0' }, /^--limit expects a whole number of 1 or more \(or all\)/],
      [{ offset: '-1' }, /^--offset expects a whole number/],
    ];
    for (const [flags, message] of refused) await assert.rejects(q(flags), (e: unknown) => e instanceof ReviewError && message.test(e.message));
  } finally {
    store.close();
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

test('ack, close and reopen take several ids at once; close --benign is recorded as benign', () => {
  const [x, y] = all.filter((a) => a.rule === 'refresh-token-grace-burst');
  const out = ok(['alerts', 'ack', x.id.slice(0, 6), y.id, '--db', db, '--by', 'dora']).stdout;
  assert.equal(out, `alert ${x.id} (refresh-token-grace-burst) acknowledged by dora\nalert ${y.id} (refresh-token-grace-burst) acknowledged by dora\n`);
  const again = ok(['alerts', 'ack', x.id, '--db', db, '--by', 'dora']).stdout;
  assert.equal(again, `alert ${x.id} (refresh-token-grace-burst) was already acknowledged: unchanged\n`);
  const closed = ndjson<A & { closedBenign: boolean }>(ok(['alerts', 'close', x.id, y.id, '--benign', '--comment', 'tools on one kubeconfig', '--db', db, '--json']).stdout);
  assert.deepEqual(closed.map((a) => [a.status, a.closedBenign]), [['closed', true], ['closed', true]]);
  // One unknown id changes nothing.
  const r = ouwatch(['alerts', 'reopen', x.id, 'ffff0000', '--db', db]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^ouwatch: no alert ffff0000/);
  assert.equal(list('--status', 'closed').length, 2);
  ok(['alerts', 'reopen', x.id, y.id, '--db', db]);
  assert.equal(list().length, 10);
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
  assert.equal(list().length, 9);
  assert.equal(list('--status', 'all').length, 10);
  assert.deepEqual(list('--status', 'closed').map((x) => x.id), [a.id]);
});

test('mistakes get one line and exit 2', () => {
  const cases: Array<[string[], RegExp]> = [
    [['alerts', 'show', 'ffffffff', '--db', db], /^ouwatch: no alert ffffffff/],
    [['alerts', 'list', '--db', db, '--severity', 'urgent'], /^ouwatch: --severity expects low, medium, high, critical .*, got 'urgent'/],
    [['alerts', 'list', '--db', db, '--rule', 'new-contry'], /^ouwatch: --rule: unknown rule 'new-contry' \(known: /],
    [['alerts', 'list', '--db', db, '--since', "' or 1=1"], /^ouwatch: --since expects an ISO 8601 date\/time/],
    [['alerts', 'list', '--db', s.path('none.db')], /^ouwatch: no database at /],
    [['alerts', 'list', '--db', db, '--sevrity', 'high'], /^ouwatch: unknown option '--sevrity' \(did you mean --severity\?\); see 'ouwatch alerts list --help'\n$/],
    [['alerts', 'list', '--db', db, '--json', '--csv'], /^ouwatch: option '--csv' cannot be used with option '--json'/],
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
  assert.equal(list().length, 10);
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
  // Abroad: new-country keeps the address from being learnt while its alert is open, so the
  // second request counts on the open alerts (new-source-ip alone would learn it at once).
  const abroad = '216.160.83.56';
  const evening = Date.parse('2026-03-02T19:30:00Z');
  const log = s.path('close-repeat.log');
  writeFileSync(log, [...history(erik, '89.160.20.112'), az(evening, erik, abroad), az(evening + 60_000, erik, abroad)].join('\n') + '\n');
  ok(['replay', log, '--db', own, '-q']);
  const open = ndjson<A>(ok(['alerts', 'list', '--db', own, '--json', '--dn', erik]).stdout).sort((a, b) => a.rule.localeCompare(b.rule));
  assert.deepEqual(open.map((a) => [a.rule, a.ip, a.count]), [['new-country', abroad, 2], ['new-source-ip', abroad, 2]]);
  ok(['alerts', 'close', ...open.map((a) => a.id), '--db', own, '--comment', 'not him: his laptop was stolen']);
  // Later that evening, one more request from the same address: still unlearnt (closed, not as benign).
  const more = s.path('close-repeat-more.log');
  writeFileSync(more, az(evening + 2 * 3_600_000, erik, abroad) + '\n');
  const raised = ndjson<A>(ok(['replay', more, '--db', own, '--json', '-q']).stdout).sort((a, b) => a.rule.localeCompare(b.rule));
  assert.deepEqual(raised.map((a) => [a.rule, a.dn, a.ip, a.status]), [['new-country', erik, abroad, 'open'], ['new-source-ip', erik, abroad, 'open']]);
  assert.deepEqual(raised.filter((a) => open.some((o) => o.id === a.id)), []);
  const closed = ndjson<A>(ok(['alerts', 'list', '--db', own, '--json', '--status', 'closed']).stdout).sort((a, b) => a.rule.localeCompare(b.rule));
  assert.deepEqual(closed.map((a) => [a.id, a.count]), open.map((a) => [a.id, 2]));
});
