import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import type { UserHistory } from '../../src/core/history.js';
import { dnSha1 } from '../../src/core/identity.js';
import { runCli } from '../helpers/cli.js';
import { SAMPLE_LOGS } from '../helpers/cli.js';
import { accessLine, expiredLine, log4jTime } from '../helpers/lines.js';
import { tempDir } from '../helpers/tmp.js';

// `ouwatch user DN [--db PATH] [--json]`: a user's history (addresses with country, first/last
// seen, counts, sessions). The DN is taken exactly as logged, whatever it contains.

const dir = tempDir();
const db = join(dir, 'users.db');
const DN = 'cn=Smith\\, John - Ops,ou=användare,o=Tremolo';
const T0 = Date.UTC(2024, 4, 6, 7, 0, 0);
const S = 'f' + 'a'.repeat(40);

before(async () => {
  const log = join(dir, 'users.log');
  writeFileSync(
    log,
    [
      accessLine({ time: log4jTime(T0), event: 'AuSuccess', dn: DN, msg: '20 / oauth2k8s', ip: '8.8.8.8', session: S }),
      accessLine({ time: log4jTime(T0 + 60_000), dn: DN, ip: '8.8.8.8', session: S }),
      expiredLine({ time: log4jTime(T0 + 120_000), dn: DN, ip: '81.2.69.142', session: S }),
      accessLine({ time: log4jTime(T0 + 180_000), dn: 'uid=mmosley,ou=shadow,o=Tremolo', ip: '10.0.0.8', session: 'null' }),
    ].join('\n') + '\n',
  );
  const r = await runCli(['replay', log, '--db', db]);
  assert.equal(r.code, 0, r.stderr);
});

describe('ouwatch user', () => {
  test('--json prints one object: the history of exactly that DN', async () => {
    const r = await runCli(['user', DN, '--db', db, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trimEnd().split('\n').length, 1);
    const { alerts, addressAlerts, actions, incidents, ...h } = JSON.parse(r.stdout) as UserHistory & { alerts: unknown[]; addressAlerts: unknown[]; actions: unknown[]; incidents: Array<{ rules: string[] }> };
    assert.deepEqual(addressAlerts, []);
    // The expired refresh token came from an address that had no success for the user: a
    // replay, which opens an incident at once (page). Its session moved once, from the US to
    // the UK: one move is the owner's, not a stolen cookie.
    assert.deepEqual(incidents.map((i) => i.rules), [['refresh-token-replay']]);
    assert.deepEqual(
      (alerts as Array<{ rule: string; ip: string; status: string }>).map((a) => [a.rule, a.ip, a.status]),
      [['refresh-token-replay', '81.2.69.142', 'open']],
    );
    assert.deepEqual((actions as Array<{ action: string; status: string; guard: string }>).map((x) => [x.action, x.status, x.guard]), [['end-session', 'held', 'stale']]);
    assert.deepEqual(h, {
      dn: DN,
      dnSha1: dnSha1(DN),
      firstSeen: new Date(T0).toISOString(),
      lastSeen: new Date(T0 + 120_000).toISOString(),
      counts: { AuSuccess: 1, AzSuccess: 1, ExpiredRefreshTokenUsed: 1 },
      ips: [
        { ip: '81.2.69.142', country: 'GB', firstSeen: new Date(T0 + 120_000).toISOString(), lastSeen: new Date(T0 + 120_000).toISOString(), count: 1 },
        { ip: '8.8.8.8', country: 'US', firstSeen: new Date(T0).toISOString(), lastSeen: new Date(T0 + 60_000).toISOString(), count: 2 },
      ],
      countries: [
        { country: 'GB', firstSeen: new Date(T0 + 120_000).toISOString(), lastSeen: new Date(T0 + 120_000).toISOString(), count: 1 },
        { country: 'US', firstSeen: new Date(T0).toISOString(), lastSeen: new Date(T0 + 60_000).toISOString(), count: 2 },
      ],
      sessions: [{ sessionId: S, firstSeen: new Date(T0).toISOString(), lastSeen: new Date(T0 + 120_000).toISOString(), count: 3, ips: ['8.8.8.8', '81.2.69.142'] }],
    });
  });

  test('the readable form names the DN, its label hash, the addresses with country, and the sessions', async () => {
    const r = await runCli(['user', DN, '--db', db]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.startsWith(DN + '\n'));
    assert.match(r.stdout, new RegExp(`tremolo\\.io/user-dn=${dnSha1(DN)}`));
    assert.match(r.stdout, /8\.8\.8\.8 +US +2024-05-06T07:00:00\.000Z/);
    assert.match(r.stdout, /81\.2\.69\.142 +GB/);
    assert.match(r.stdout, new RegExp(`${S} .* 3 events +from 8\\.8\\.8\\.8, 81\\.2\\.69\\.142`));
    assert.doesNotMatch(r.stdout, /\x1b\[/, 'no colour when stdout is not a terminal');
  });

  test('a DN that is not exactly as logged has no history; similar DNs are suggested (exit 2)', async () => {
    const r = await runCli(['user', 'cn=smith\\, john - ops', '--db', db]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^ouwatch: no history for DN "cn=smith\\\\, john - ops" in .*; similar: "cn=Smith\\\\, John - Ops,ou=användare,o=Tremolo"\n$/);
  });

  test('a private-address user has addresses without a country', async () => {
    const r = await runCli(['user', 'uid=mmosley,ou=shadow,o=Tremolo', '--db', db, '--json']);
    const h = JSON.parse(r.stdout) as UserHistory;
    assert.deepEqual(h.ips.map((i) => [i.ip, i.country]), [['10.0.0.8', null]]);
    assert.deepEqual(h.countries, []);
    assert.deepEqual(h.sessions, []);
  });

  test("a user's alerts (any status, newest first) and the responses to them come with the history", async () => {
    const sampleDb = join(dir, 'sample.db');
    assert.equal((await runCli(['replay', ...SAMPLE_LOGS, '--db', sampleDb, '-q'])).code, 0);
    const mm = 'uid=mmosley,ou=shadow,o=Tremolo';
    const r = await runCli(['user', mm, '--db', sampleDb, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const v = JSON.parse(r.stdout) as {
      alerts: Array<{ rule: string; time: string; status: string; ip: string }>;
      addressAlerts: Array<{ rule: string; time: string; ip: string }>;
      actions: Array<{ action: string; status: string; guard: string; by: string }>;
    };
    // The copy's failed refresh at 11:55 carries cn=none: keyed on its address, shown with him.
    assert.deepEqual(v.addressAlerts.map((a) => [a.rule, a.time, a.ip]), [['stale-refresh-token', '2026-03-03T11:55:00.004Z', '5.255.255.5']]);
    assert.deepEqual(v.alerts.map((a) => a.rule).sort(), ['authz-failure-burst', 'impossible-travel', 'new-country', 'new-source-ip', 'refresh-token-grace-burst', 'refresh-token-replay']);
    assert.deepEqual(v.alerts.map((a) => a.time), v.alerts.map((a) => a.time).sort().reverse(), 'newest first');
    assert.deepEqual(v.actions.map((x) => [x.action, x.status, x.guard, x.by]), [['end-session', 'held', 'stale', 'refresh-token-replay']]);
    const text = await runCli(['user', mm, '--db', sampleDb]);
    assert.match(text.stdout, /\n {2}alerts \(6\)\n {4}2026-03-03T11:46:06\.000Z {2}medium {4}authz-failure-burst +open +[0-9a-f]{16} {2}from 5\.255\.255\.5 \(RU\)\n/);
    assert.match(text.stdout, /\n {2}alerts without a user from these addresses, within a day \(1\)\n {4}2026-03-03T11:55:00\.004Z {2}medium {4}stale-refresh-token +open +[0-9a-f]{16} {2}from 5\.255\.255\.5 \(RU\)\n/);
    // erik's alert (his home line) has none beside it.
    const erik = JSON.parse((await runCli(['user', 'uid=erik.lund,ou=users,o=Tremolo', '--db', sampleDb, '--json'])).stdout) as { addressAlerts: unknown[] };
    assert.deepEqual(erik.addressAlerts, []);
    assert.match(text.stdout, /\n {2}responses \(1\)\n {4}\S+ {2}end-session dry-run held by stale {2}by refresh-token-replay {2}alert [0-9a-f]{16} {2}\(ouwatch actions show 1\)\n/);
  });
});
