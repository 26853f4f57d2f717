import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import { az, scratch } from '../detect/helpers.js';
import { SAMPLE_LOGS, ok, ouwatch } from '../helpers/cli.js';

const s = scratch();
after(() => s.done());
const db = s.path('explain.db');
const ERIK = 'uid=erik.lund,ou=users,o=Tremolo';
const MM = 'uid=mmosley,ou=shadow,o=Tremolo';

function snapshot() {
  const d = new Database(db, { readonly: true });
  try {
    const all = (sql: string) => d.prepare(sql).all();
    return [all('SELECT * FROM alerts ORDER BY id'), all('SELECT * FROM detector_state ORDER BY scope, key'), all('SELECT * FROM users ORDER BY dn'), all('SELECT * FROM user_ips ORDER BY user_id, ip'), all('SELECT * FROM checkpoints')];
  } finally {
    d.close();
  }
}

before(() => {
  ok(['replay', ...SAMPLE_LOGS, '--db', db, '-q']);
});

/**
 * erik, known from the office and (since 19:30: new-source-ip learns a new network at once)
 * his home line, at 21:00 from another network of his home ISP: low risk.
 */
const ELSEWHERE = '90.224.1.78';
/** A network of an ISP erik has never used (Bahnhof, Sweden): new. */
const BAHNHOF = '46.59.10.20';

test('explain a line: how it parses, the user history it meets, and why each rule fires or stays quiet, with numbers', () => {
  const line = az(Date.parse('2026-03-03T21:00:00Z'), ERIK, ELSEWHERE);
  const out = ok(['explain', line, '--db', db]).stdout;
  assert.match(out, /^line {6}\[2026-03-03 21:00:00,000\]/);
  assert.match(out, /\nparsed {4}AzSuccess at 2026-03-03T21:00:00\.000Z \(INFO AccessLog, thread 'XNIO-1 task-1'\)\n/);
  // With how precisely the offline data places it: what impossible-travel allows for inside one country.
  assert.match(out, /\n {2}address {3}90\.224\.1\.78 \(90\.224\.1\.0\/24, SE within 200 km, AS3301 Telia Company AB\)\n/);
  assert.match(out, /\nhistory {3}in .*explain\.db before this line: \d+ successful events from 2026-03-03T\S+ to 2026-03-03T20:\S+, 2 addresses, countries SE\n {12}90\.224\.1\.78: never seen for this user\n/);
  // A new pool of his own ISP in his own country: low risk, learnt without an alert (quietWhenLow).
  assert.match(out, /\n {2}quiet {5}new-source-ip \(medium, risk 25\)\n {12}90\.224\.1\.0\/24 \(of 90\.224\.1\.78\) is new for this user but inside a known asn and country: low risk, learnt without an alert\n/);
  assert.match(out, /\n {2}quiet {5}new-country \(high, risk 40\)\n {12}SE \(of 90\.224\.1\.78\) is known for this user\n/);
  assert.match(out, /\n {2}quiet {5}impossible-travel \(high, risk 50\)\n {12}previous geolocated success 51 min 41 s earlier from 81\.224\.10\.77 \(SE\): 248 km between the places' centres, at least 0 km given their accuracy \(300 km together\), 0 km\/h \(fires over 500 km and 900 km\/h\)\n/);
  assert.match(out, /\n {2}quiet {5}session-moved \(high, risk 60\)\n {12}first use of this session seen\n/);
  assert.match(out, /\n {2}off {7}ip-not-allowed \(high, risk 40\)\n {12}params\.allow is empty/);
  // stale-refresh-token watches successes too (to know the addresses in use).
  assert.match(out, /\n {2}quiet {5}stale-refresh-token \(medium, risk 20\)\n {12}a success from an address its user has not learnt \(new to them, or held back by an alert\): remembered, but not as anyone's own\n/);
  // refresh-token-replay watches successes too (a refresh at /token is a token's rotation).
  assert.match(out, /\n {2}quiet {5}refresh-token-replay \(critical, risk 100\)\n {12}a success, not a refresh at \/token\n/);
  assert.match(out, /\n {2}not reached \(they look at other events\): auth-failure-burst, auth-failure-distributed-spray, auth-failure-spray, auth-success-after-failures, authz-failure-burst, authz-probing, invalid-client-secret, refresh-token-grace-burst\n$/);
});

test('explain shows an address kept from being learnt by its open alert, and counts the finding on that alert', () => {
  // Moscow, mmosley's thief: held by the open new-country alert its first success raised.
  const line = az(Date.parse('2026-03-03T21:00:00Z'), MM, '5.255.255.5');
  const out = ok(['explain', line, '--db', db]).stdout;
  const d = new Database(db, { readonly: true });
  const country = d.prepare("SELECT id, count FROM alerts WHERE rule = 'new-country' AND dn = ?").get(MM) as { id: string; count: number };
  d.close();
  assert.match(out, new RegExp(`\\n {12}5\\.255\\.255\\.5: seen since 2026-03-03T11:40:00\\.000Z, \\d+ events, ${country.count} successful, not learnt \\(alert ${country.id} is not closed as benign\\)\\n`));
  assert.match(out, new RegExp(`\\n {2}repeat {4}new-country \\(high, risk 40\\)\\n.*\\n {12}counted on open alert ${country.id} \\(occurrence ${country.count + 1}\\)\\n`));
});

test("explain shows erik's home line learnt at once: new-source-ip does not quarantine, its next success is quiet", () => {
  const line = az(Date.parse('2026-03-03T21:00:00Z'), ERIK, '81.224.10.77');
  const out = ok(['explain', line, '--db', db]).stdout;
  assert.match(out, /\n {12}81\.224\.10\.77: seen since 2026-03-03T19:30:00\.000Z, \d+ events, \d+ successful, learnt as theirs\n/);
  assert.match(out, /\n {2}quiet {5}new-source-ip \(medium, risk 25\)\n {12}81\.224\.10\.0\/24 \(of 81\.224\.10\.77\) is known for this user\n/);
});

const expectedOutcomes: Record<string, string> = {
  'refresh-token-replay': 'quiet',
  'refresh-token-grace-burst': 'not-reached',
  'stale-refresh-token': 'quiet',
  'invalid-client-secret': 'not-reached',
  'auth-success-after-failures': 'not-reached',
  'new-source-ip': 'quiet',
  'new-country': 'quiet',
  'impossible-travel': 'quiet',
  'session-moved': 'quiet',
  'auth-failure-burst': 'not-reached',
  'auth-failure-distributed-spray': 'not-reached',
  'auth-failure-spray': 'not-reached',
  'authz-failure-burst': 'not-reached',
  'authz-probing': 'not-reached',
  'ip-not-allowed': 'off',
};

test('explain a line that fires: the alert it would raise, and how far its risk takes the user towards an incident', () => {
  const out = ok(['explain', az(Date.parse('2026-03-03T21:00:00Z'), ERIK, BAHNHOF), '--db', db]).stdout;
  assert.match(out, /\n {2}FIRES {5}new-source-ip \(medium, risk 25\)\n {12}uid=erik\.lund,ou=users,o=Tremolo succeeded \(AzSuccess\) from 46\.59\.10\.20 \(SE\) AS8473 Bahnhof AB, a network \(46\.59\.10\.0\/24\) never seen for this user in \d+ successful events since .*\(known: 81\.224\.10\.0\/24, 89\.160\.20\.0\/24\)\.\n {12}would raise alert [0-9a-f]{16}\n/);
  // His home line's alert (25) is in his risk window: with this one, 50 of the 60 an incident needs.
  assert.match(out, /\n {12}risk 25: 50 of the 60 that open an incident for uid=erik\.lund,ou=users,o=Tremolo within the window\n/);
});

test('explain --json gives the same verdicts as data, with severity and risk', () => {
  const line = az(Date.parse('2026-03-03T21:00:00Z'), ERIK, ELSEWHERE);
  const x = JSON.parse(ok(['explain', line, '--db', db, '--json']).stdout) as {
    event: { type: string; dn: string };
    verdicts: Array<{ rule: string; outcome: string; risk: number; alert: { id: string; severity: string; risk: number } | null }>;
  };
  assert.equal(x.event.dn, ERIK);
  assert.deepEqual(Object.fromEntries(x.verdicts.map((v) => [v.rule, v.outcome])), expectedOutcomes);
  assert.equal(x.verdicts.find((v) => v.rule === 'new-source-ip')!.alert, null);
  const other = JSON.parse(ok(['explain', az(Date.parse('2026-03-03T21:00:00Z'), ERIK, BAHNHOF), '--db', db, '--json']).stdout) as typeof x;
  const fires = other.verdicts.find((v) => v.rule === 'new-source-ip')!;
  assert.equal(fires.outcome, 'fires');
  assert.match(fires.alert!.id, /^[0-9a-f]{16}$/);
  assert.deepEqual([fires.alert!.severity, fires.alert!.risk], ['medium', 25]);
});

test('explain says when a finding would only count on an open alert', () => {
  const d = new Database(db, { readonly: true });
  const last = JSON.parse((d.prepare('SELECT last_geo FROM users WHERE dn = ?').get(MM) as { last_geo: string }).last_geo) as { ts: number };
  const open = d.prepare("SELECT id, count FROM alerts WHERE rule = 'impossible-travel' AND ip = '5.255.255.5'").get() as { id: string; count: number };
  d.close();
  // Another move from Stockholm to Moscow: the same trip as the open alert's (suppressed by its countries, not its address).
  const line = az(last.ts + 10 * 60_000, MM, '5.255.255.5');
  const out = ok(['explain', line, '--db', db]).stdout;
  assert.match(out, new RegExp(`\\n {2}repeat {4}impossible-travel \\(high, risk 50\\)\\n.*\\n {12}counted on open alert ${open.id} \\(occurrence ${open.count + 1}\\)\\n`));
  assert.match(out, /same \(rule, DN, trip:RU-SE\) as open alert/);
  assert.match(out, /same \(rule, DN, address\) as open alert/, 'new-country and new-source-ip are suppressed by the address');
});

test('explain --file --line reads the line from a log, and says when the db already includes it', () => {
  const out = ok(['explain', '--file', SAMPLE_LOGS[0], '--line', '4140', '--db', db]).stdout;
  assert.match(out, /^line {6}\[2026-03-03 11:40:00,002\]\[XNIO-1 task-23\] INFO {2}OpenIDConnectIdP - \[ExpiredRefreshTokenUsed\]/);
  assert.match(out, /\nsource {4}.*openunison-orchestra-0\.log:4140\n/);
  assert.match(out, /\nnote {6}.* has already processed this line \(checkpoint at line 7,983\): the state shown includes it\n/);
  // The db already holds the alert this very line raised: the finding would only count on it.
  assert.match(out, /\n {2}repeat {4}refresh-token-replay \(critical, risk 100\)\n {12}An expired refresh token of uid=mmosley,ou=shadow,o=Tremolo was used within the grace period from 5\.255\.255\.5 \(RU\)/);
  const noise = ok(['explain', '--file', SAMPLE_LOGS[0], '--line', '130', '--db', db]).stdout;
  assert.match(noise, /\nparsed {4}not an event \(other\): not a security event: another class, a MyVD SRCH\/RESULT line/);
});

test("explain names OpenUnison's line in a layout it does not read, rather than calling it a continuation", () => {
  const line = az(Date.parse('2026-03-03T21:00:00Z'), ERIK, '5.255.255.9');
  const custom = line.replace(/^\[([^\]]+)\]\[/, '$1 [');
  const out = ok(['explain', custom, '--db', db]).stdout;
  assert.match(out, /\nparsed {4}not an event \(continuation\): OpenUnison's \[AzSuccess\] line in a layout ouwatch does not read \(no "\[yyyy-MM-dd HH:mm:ss,SSS\]\[thread\]" header before its event word; a custom log4j2\.xml\? docs\/openunison\.md\)\n/);
});

test('explain writes nothing, and refuses what it cannot use with one line and exit 2', () => {
  const before = snapshot();
  ok(['explain', az(Date.parse('2026-03-03T21:00:00Z'), ERIK, '5.255.255.9'), '--db', db]);
  ok(['explain', '--file', SAMPLE_LOGS[1], '--line', '5000', '--db', db]);
  assert.deepEqual(snapshot(), before);
  const cases: Array<[string[], RegExp]> = [
    [['explain', '--db', db], /^ouwatch: explain needs a log line \(quoted\) or --file F --line N\n$/],
    [['explain', 'x', '--file', SAMPLE_LOGS[0], '--line', '3', '--db', db], /^ouwatch: give either a line or --file with --line, not both\n$/],
    [['explain', '--file', SAMPLE_LOGS[0], '--line', '99999', '--db', db], /has fewer than 99999 lines\n$/],
    [['explain', az(0, ERIK, '1.2.3.4'), '--db', s.path('missing.db')], /^ouwatch: no database at /],
  ];
  for (const [args, message] of cases) {
    const r = ouwatch(args);
    assert.equal(r.status, 2, args.join(' '));
    assert.match(r.stderr, message);
  }
});

test("explain says why session-moved stays quiet behind an ingress, and when the stored use is later than the line", () => {
  const fixture = new URL('../../fixtures/rules/session-moved/behind-ingress.log', import.meta.url).pathname;
  const first20 = s.path('ingress-20.log');
  writeFileSync(first20, readFileSync(fixture, 'utf8').split('\n').slice(0, 20).join('\n') + '\n');
  const ingressDb = s.path('ingress.db');
  ok(['replay', first20, '--db', ingressDb, '-q']);
  // Line 21: alice's session back on 10.42.0.0/24 after 10.42.1.0/24, both used by all three users.
  const back = ok(['explain', '--file', fixture, '--line', '21', '--db', ingressDb]).stdout;
  assert.match(
    back,
    /\n {2}quiet {5}session-moved \(high, risk 60\)\n {12}back on 10\.42\.0\.0\/24 after 10\.42\.1\.0\/24, but both are shared \(10\.42\.0\.0\/24, where 3 users have addresses of their own; 10\.42\.1\.0\/24, where 3 users have addresses of their own\): one client spread over an ingress or NAT pool, not two parties\n/,
  );
  // Line 7 after the whole file, already processed: the session's stored use of that network is later than the line.
  const wholeDb = s.path('ingress-whole.db');
  ok(['replay', fixture, '--db', wholeDb, '-q']);
  const old = ok(['explain', '--file', fixture, '--line', '7', '--db', wholeDb]).stdout;
  assert.match(old, /\n {2}quiet {5}session-moved \(high, risk 60\)\n {12}back on 10\.42\.0\.0\/24, but its stored use from there is 3 min 20 s after this line\n/);
});

test("explain says why stale-refresh-token keeps a refused refresh to itself: an expired session at a familiar place, or a wait for its owner's login", () => {
  const fixtures = new URL('../../fixtures/rules/stale-refresh-token/', import.meta.url).pathname;
  /** The fixture's lines before `line` replayed into a db of their own, then `line`, appended to the same log (its WARN is paired by log and thread), explained. */
  const explainAfter = (name: string, line: number) => {
    const all = readFileSync(`${fixtures}${name}.log`, 'utf8').split('\n');
    const log = s.path(`${name}.log`);
    writeFileSync(log, all.slice(0, line - 1).join('\n') + '\n');
    const partDb = s.path(`${name}.db`);
    ok(['replay', log, '--db', partDb, '-q']);
    appendFileSync(log, all[line - 1] + '\n');
    return ok(['explain', '--file', log, '--line', String(line), '--db', partDb]).stdout;
  };
  // Monday's AzFail from alice's home line, its WARN replayed: nobody there for three days, but the network is hers.
  assert.match(
    explainAfter('expired-session-after-the-weekend', 12),
    /\n {2}quiet {5}stale-refresh-token \(medium, risk 20\)\n {12}no refresh from 89\.160\.20\.112 in the 2 min before, from a familiar place \(89\.160\.20\.0\/24, where 1 user has learnt addresses\): an expired session OpenUnison has deleted, not a stale copy\n/,
  );
  // A stranger's: the pair waits for a login (quiet for now; raised when none comes).
  assert.match(
    explainAfter('reused-after-grace', 6),
    /\n {2}quiet {5}stale-refresh-token \(medium, risk 20\)\n {12}from a place none of the organisation's users has learnt: waits 10 min for a login from 5\.255\.255\.0\/24 or another network of AS13238 \(the owner logging in again after an expired session\), and is raised without one\n/,
  );
});
