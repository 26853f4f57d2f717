import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { ok } from '../helpers/cli.js';
import { spawnDaemon, type DaemonProcess } from '../helpers/daemon.js';
import { accessLine } from '../helpers/lines.js';
import { tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

/**
 * store.retention is measured in log time. A replay of four months applies it as a daemon that
 * read the same lines live would have: before each hour of log time (and before its first
 * event), what is older than `events` is forgotten, so a network last used more than 90 days
 * ago is new again when it comes back.
 */

const DAY = 86_400_000;
const MINUTE = 60_000;
const T0 = Date.UTC(2025, 0, 6, 8, 0, 0);
const stamp = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '').replace('.', ',');
const BACK = 'uid=back,ou=users,o=Tremolo';
const GONE = 'uid=gone,ou=users,o=Tremolo';
const OLD_NET = '81.2.69.142';
const HOME = '86.1.1.1';

const children: DaemonProcess[] = [];
after(() => {
  for (const d of children) d.child.kill('SIGKILL');
});

/**
 * Day 0: `back` signs in 12 times over two hours from one British network (learnt), `gone`
 * once, never to come back. Days 5 to 100: `back` from another British network (an ISP of
 * its own). Day 120: `back` from the first network again, last used 120 days before.
 */
function days(from: number, to: number): string[] {
  const lines: string[] = [];
  const at = (ms: number, dn: string, ip: string) => lines.push(accessLine({ time: stamp(ms), event: 'AuSuccess', app: 'k8sIdp', dn, ip }));
  if (from <= 0 && to >= 0) {
    at(T0, GONE, OLD_NET);
    for (let i = 0; i < 12; i++) at(T0 + i * 10 * MINUTE + 1000, BACK, OLD_NET);
  }
  for (const d of [5, 20, 40, 60, 80, 100]) if (d >= from && d <= to) for (let i = 0; i < 2; i++) at(T0 + d * DAY + i * MINUTE, BACK, HOME);
  if (from <= 120 && to >= 120) at(T0 + 120 * DAY, BACK, OLD_NET);
  return lines;
}
const text = (lines: string[]) => lines.join('\n') + '\n';

function outcome(db: string): { users: string[]; alerts: string[]; ips: string[] } {
  const c = new Database(db, { readonly: true, fileMustExist: true });
  try {
    const col = (sql: string) => c.prepare(sql).pluck().all() as string[];
    return {
      users: col(`SELECT dn || ' ' || first_seen || ' ' || last_seen || ' ' || counts FROM users ORDER BY dn`),
      alerts: col(`SELECT rule || ' ' || dn || ' ' || ip || ' ' || time FROM alerts ORDER BY time, rule`),
      ips: col(`SELECT u.dn || ' ' || a.ip FROM user_ips a JOIN users u ON u.id = a.user_id ORDER BY u.dn, a.ip`),
    };
  } finally {
    c.close();
  }
}

describe('replay applies store.retention in log time, as the daemon does', () => {
  test('four months in one replay: a user gone for 90 days is forgotten, a network unused for 90 days is new again', () => {
    const dir = tempDir();
    const log = join(dir, 'openunison.log');
    const db = join(dir, 'ouwatch.db');
    writeFileSync(log, text(days(0, 120)));
    const run = ok(['replay', log, '--db', db]);
    const o = outcome(db);
    assert.deepEqual(o.users, [`${BACK} ${T0 + 1000} ${T0 + 120 * DAY} {"AuSuccess":25}`], `${GONE}, last seen on day 0, is forgotten by day 120 (store.retention.events: 90d by default); ${BACK}'s own history since day 0 stays whole`);
    const returned = o.alerts.filter((a) => a.includes(` ${OLD_NET} `));
    assert.deepEqual(returned, [`new-source-ip ${BACK} ${OLD_NET} ${T0 + 120 * DAY}`], 'the first network, unused for 120 days, is new again');
    assert.deepEqual(o.ips, [`${BACK} ${OLD_NET}`, `${BACK} ${HOME}`], 'and learnt again');
    assert.match(run.stderr, /retention: [\d,]+ rows older than store\.retention deleted in [\d,]+ passes \(.*users 1\b.*\)/, 'the summary says what retention deleted');
  });

  test('with store.retention.events: null, history is kept forever and the return is not news', () => {
    const dir = tempDir();
    const log = join(dir, 'openunison.log');
    const db = join(dir, 'ouwatch.db');
    const config = join(dir, 'ouwatch.yaml');
    writeFileSync(log, text(days(0, 120)));
    writeFileSync(config, 'store:\n  retention: { events: null, alerts: null, incidents: null }\n');
    const run = ok(['replay', log, '--db', db, '--config', config]);
    const o = outcome(db);
    assert.deepEqual(o.users.map((u) => u.split(' ')[0]), [BACK, GONE].sort());
    assert.deepEqual(o.alerts.filter((a) => a.includes(` ${OLD_NET} `)), []);
    assert.doesNotMatch(run.stderr, /retention:/);
  });

  test("colleagues' addresses forgotten are no longer the organisation's: a network five of them used four months ago is new for the next user", () => {
    const dir = tempDir();
    const log = join(dir, 'openunison.log');
    const db = join(dir, 'ouwatch.db');
    const lines: string[] = [];
    const at = (ms: number, dn: string, ip: string) => lines.push(accessLine({ time: stamp(ms), event: 'AuSuccess', app: 'k8sIdp', dn, ip }));
    // Day 0: five colleagues learn addresses in one ISP's network (the organisation's, by
    // detect.organisation.minUsers), and `back` its own network of another ISP.
    for (let i = 0; i < 12; i++) {
      for (let c = 1; c <= 5; c++) at(T0 + i * 10 * MINUTE + c * 1000, `uid=colleague${c},ou=users,o=Tremolo`, `86.1.1.${c}`);
      at(T0 + i * 10 * MINUTE + 9000, BACK, OLD_NET);
    }
    for (const d of [20, 40, 60, 80, 100]) at(T0 + d * DAY, BACK, OLD_NET);
    // Day 120: `back` from that ISP's network, which nobody has used for 120 days.
    at(T0 + 120 * DAY, BACK, '86.1.1.50');
    writeFileSync(log, text(lines));
    ok(['replay', log, '--db', db, '-q']);
    const o = outcome(db);
    assert.deepEqual(o.alerts.filter((a) => a.includes(' 86.1.1.50 ')), [`new-source-ip ${BACK} 86.1.1.50 ${T0 + 120 * DAY}`], 'the network is new for the user and no longer the colleagues\' (it was low risk, and quiet, while memory still counted them)');
  });

  test('the same months replayed in two runs, or read by a daemon from a backlog, end as one replay does', { timeout: 60_000 }, async () => {
    const dir = tempDir();
    const whole = join(dir, 'whole.log');
    writeFileSync(whole, text(days(0, 120)));
    const oneRun = join(dir, 'one.db');
    ok(['replay', whole, '--db', oneRun, '-q']);
    const expected = outcome(oneRun);

    // Split on day 50: the second run's first pass comes before its first event, as the
    // uninterrupted run's pass at that hour did.
    const first = join(dir, 'first.log');
    const second = join(dir, 'second.log');
    writeFileSync(first, text(days(0, 50)));
    writeFileSync(second, text(days(51, 120)));
    const twoRuns = join(dir, 'two.db');
    ok(['replay', first, '--db', twoRuns, '-q']);
    ok(['replay', second, '--db', twoRuns, '-q']);
    assert.deepEqual(outcome(twoRuns), expected);

    const live = join(dir, 'live.db');
    const d = spawnDaemon(['--file', whole, '--db', live, '--listen', '127.0.0.1:0']);
    children.push(d);
    await waitFor('the daemon to read the backlog', () => d.logs.some((l) => /retention: deleted/.test(String(l.msg))) && outcome(live).alerts.length === expected.alerts.length, 30_000);
    d.child.kill('SIGTERM');
    assert.equal((await d.exited).code, 0);
    assert.deepEqual(outcome(live), expected);
  });
});
