import assert from 'node:assert/strict';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { ok, ouwatch } from '../helpers/cli.js';
import { spawnDaemon, type DaemonProcess } from '../helpers/daemon.js';
import { accessLine } from '../helpers/lines.js';
import { tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';
import { SqliteRetention } from '../../src/store/sqlite/retention.js';

const children: DaemonProcess[] = [];
after(() => {
  for (const d of children) d.child.kill('SIGKILL');
});

const DAY = 86_400_000;
const OLD = Date.UTC(2025, 0, 1, 8, 0, 0);
const NEW = OLD + 200 * DAY;
const stamp = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '').replace('.', ',');

/** Day 0: a user who never comes back, one who does, three failure bursts. Day 200: both active users. */
function history(): string {
  const lines: string[] = [];
  let t = OLD;
  const at = () => stamp((t += 1000));
  for (let i = 0; i < 3; i++) lines.push(accessLine({ time: at(), dn: 'uid=gone,o=Tremolo', ip: '81.2.69.142', session: 'f1'.padEnd(41, '0') }));
  for (let i = 0; i < 3; i++) lines.push(accessLine({ time: at(), dn: 'uid=back,o=Tremolo', ip: '81.2.69.142', session: 'f2'.padEnd(41, '0') }));
  // Three networks: each burst (risk 60) opens an incident of its own.
  for (const ip of ['175.16.199.1', '81.2.69.1', '5.255.255.1']) {
    for (let i = 0; i < 12; i++) lines.push(accessLine({ time: at(), event: 'AuFail', app: 'k8sIdp', dn: 'cn=none', ip, session: 'null' }).replace(/\[null\]$/, '[null]'));
  }
  t = NEW;
  for (let i = 0; i < 3; i++) lines.push(accessLine({ time: at(), dn: 'uid=back,o=Tremolo', ip: '89.160.20.112', session: 'f3'.padEnd(41, '0') }));
  for (let i = 0; i < 3; i++) lines.push(accessLine({ time: at(), dn: 'uid=new,o=Tremolo', ip: '89.160.20.112', session: 'f4'.padEnd(41, '0') }));
  return lines.join('\n') + '\n';
}

function rows(db: string, sql: string): Array<Record<string, unknown>> {
  const c = new Database(db, { readonly: true, fileMustExist: true });
  try {
    return c.prepare(sql).all() as Array<Record<string, unknown>>;
  } finally {
    c.close();
  }
}
const column = (db: string, sql: string) => rows(db, sql).map((r) => Object.values(r)[0]);

/** history() as a log file, a database path beside it, and a configuration with this `store.retention`. */
function historyFiles(retention: string): { log: string; db: string; config: string } {
  const dir = tempDir();
  const log = join(dir, 'openunison.log');
  const config = join(dir, 'ouwatch.yaml');
  writeFileSync(log, history());
  writeFileSync(config, `store:\n  retention: ${retention}\n`);
  return { log, db: join(dir, 'ouwatch.db'), config };
}

/** A daemon following history() with a pass due every second. */
function daemonOnHistory(): { d: DaemonProcess; log: string; db: string; config: string } {
  const files = historyFiles('{ events: 90d, every: 1s }');
  const d = spawnDaemon(['--file', files.log, '--db', files.db, '--config', files.config, '--listen', '127.0.0.1:0']);
  children.push(d);
  return { d, ...files };
}

describe('retention (store.retention): what is old goes, what is open stays', () => {
  test('ouwatch prune: history by log time, closed alerts and incidents, finished actions and delivered notifications; never an open alert or incident', () => {
    const { log, db, config } = historyFiles('{ events: 90d, alerts: 90d, incidents: 90d }');
    ok(['replay', log, '--db', db, '-q']);
    const bursts = rows(db, `SELECT id, ip FROM alerts WHERE rule = 'auth-failure-burst' ORDER BY time`) as Array<{ id: string; ip: string }>;
    assert.deepEqual(bursts.map((b) => b.ip), ['175.16.199.1', '81.2.69.1', '5.255.255.1']);
    const [closedAlone, open, closedInOpenIncident] = bursts.map((b) => b.id);
    const incidentOf = (alert: string) => String(column(db, `SELECT incident_id FROM incident_alerts WHERE alert_id = '${alert}'`)[0]);
    ok(['alerts', 'close', closedAlone, '--db', db, '--comment', 'scanner']);
    ok(['alerts', 'close', closedInOpenIncident, '--db', db]);

    // What a daemon recorded a year ago: a finished and a queued action, a breaker opening, a
    // delivered notification; the incident of the first burst closed by an analyst.
    const c = new Database(db);
    const yearAgo = Date.now() - 365 * DAY;
    const action = (status: string, kind = 'end-session') =>
      c.prepare(`INSERT INTO actions (action, alert_id, by_kind, by, created_at, updated_at, mode, status) VALUES (?, NULL, 'rule', 'r', ?, ?, 'dry-run', ?)`).run(kind, yearAgo, yearAgo, status);
    action('done');
    action('queued');
    action('done', 'breaker-open');
    c.prepare(`INSERT INTO outbox (kind, target, payload, status, created_at, next_attempt_at, expires_at, finished_at) VALUES ('webhook', 'siem', '{}', 'delivered', ?, ?, ?, ?)`).run(yearAgo, yearAgo, yearAgo, yearAgo);
    const closedIncident = incidentOf(closedAlone);
    c.prepare(`UPDATE incidents SET status = 'closed' WHERE id = ?`).run(closedIncident);
    c.prepare(`INSERT INTO incident_status_changes (incident_id, status, by, at, comment) VALUES (?, 'closed', 'alice', ?, NULL)`).run(closedIncident, yearAgo);
    c.close();
    const openIncidents = [incidentOf(open), incidentOf(closedInOpenIncident)].sort();
    assert.equal(new Set([closedIncident, ...openIncidents]).size, 3);
    const newestLine = NEW + 6000;
    assert.equal(column(db, `SELECT COUNT(*) FROM detector_state WHERE expires < ${newestLine}`)[0], 0, 'each commit drops the detector state that expired (in log time)');
    assert.ok(column(db, `SELECT last_geo FROM users WHERE dn = 'uid=gone,o=Tremolo'`)[0] !== null, 'impossible-travel keeps the last location of every user');

    const dry = ouwatch(['prune', '--db', db, '--config', config, '--dry-run', '--json']);
    assert.equal(dry.status, 0, dry.stderr);
    const planned = JSON.parse(dry.stdout) as { dryRun: boolean; newestLogTime: string; deleted: Record<string, number> };
    assert.equal(planned.dryRun, true);
    assert.equal(column(db, 'SELECT COUNT(*) FROM users')[0], 3, 'a dry run deletes nothing');

    const done = ouwatch(['prune', '--db', db, '--config', config, '--json']);
    assert.equal(done.status, 0, done.stderr);
    const report = JSON.parse(done.stdout) as typeof planned;
    assert.deepEqual(report.deleted, planned.deleted, 'the dry run counted exactly what goes');
    assert.equal(report.newestLogTime, new Date(NEW + 6000).toISOString(), 'ages are measured back from the newest log time, not the clock');
    assert.deepEqual(
      report.deleted,
      { detector_state: 0, session_ips: 2, sessions: 2, user_ips: 2, user_countries: 2, users: 1, user_activity: 2, incidents: 1, alerts: 1, outbox: 1, actions: 1 },
    );

    assert.deepEqual(column(db, 'SELECT dn FROM users ORDER BY dn'), ['uid=back,o=Tremolo', 'uid=new,o=Tremolo']);
    assert.deepEqual(column(db, `SELECT ip FROM user_ips WHERE user_id = (SELECT id FROM users WHERE dn = 'uid=back,o=Tremolo')`), ['89.160.20.112'], 'an address not seen for 90 days is forgotten: it would count as new again');
    assert.deepEqual(column(db, `SELECT country FROM user_countries WHERE user_id = (SELECT id FROM users WHERE dn = 'uid=back,o=Tremolo')`), ['SE'], 'and so is a country');
    assert.deepEqual(column(db, 'SELECT id FROM alerts WHERE rule = \'auth-failure-burst\' ORDER BY time'), [open, closedInOpenIncident], 'the open alert and the one an open incident holds stay');
    assert.equal(column(db, `SELECT COUNT(*) FROM alert_status_changes WHERE alert_id = '${closedAlone}'`)[0], 0, 'with its status changes');
    assert.deepEqual(column(db, 'SELECT id FROM incidents ORDER BY id'), openIncidents);
    assert.equal(column(db, `SELECT COUNT(*) FROM incident_alerts WHERE incident_id = '${closedIncident}'`)[0], 0, 'with its links');
    assert.deepEqual(column(db, 'SELECT action || \':\' || status FROM actions ORDER BY id'), ['end-session:queued', 'breaker-open:done']);
    assert.equal(column(db, `SELECT COUNT(*) FROM detector_state WHERE expires < ${NEW}`)[0], 0, 'no expired detector state');
    const gone = ouwatch(['user', 'uid=gone,o=Tremolo', '--db', db]);
    assert.equal(gone.status, 2);
    assert.match(gone.stderr, /no history for DN/);
  });

  test('the daemon applies it every store.retention.every, between two commits', { timeout: 60_000 }, async () => {
    const { d, db, config } = daemonOnHistory();
    const line = await d.waitForLog('the retention pass', (r) => typeof r.msg === 'string' && r.msg.startsWith('retention: deleted') && /users 1/.test(r.msg), 30_000);
    assert.match(line.msg, /ages measured back from the newest log time, 2025-07-20T08:00:06\.000Z/);
    await waitFor('uid=gone forgotten', () => !column(db, 'SELECT dn FROM users').includes('uid=gone,o=Tremolo'));
    const refused = ouwatch(['prune', '--db', db, '--config', config]);
    assert.equal(refused.status, 2, 'one writer: the daemon prunes, prune is refused');
    assert.match(refused.stderr, /is being written by 'ouwatch run'/);
    d.child.kill('SIGTERM');
    assert.equal((await d.exited).code, 0);
  });

  test('a pass leaves the history of the users it keeps whole: a user active across it goes on counting from their stored history', { timeout: 60_000 }, async () => {
    const { d, log, db } = daemonOnHistory();
    await d.waitForLog('the retention pass', (r) => typeof r.msg === 'string' && r.msg.startsWith('retention: deleted') && /users 1/.test(r.msg), 30_000);
    // uid=back comes again after the pass, from the address it used on day 200.
    let t = NEW + 60_000;
    const more = Array.from({ length: 4 }, () => accessLine({ time: stamp((t += 1000)), dn: 'uid=back,o=Tremolo', ip: '89.160.20.112', session: 'f3'.padEnd(41, '0') }));
    appendFileSync(log, more.join('\n') + '\n');
    const back = `SELECT first_seen, counts FROM users WHERE dn = 'uid=back,o=Tremolo'`;
    await waitFor('the new lines committed', () => rows(db, back)[0]?.counts !== undefined && JSON.parse(String(rows(db, back)[0].counts)).AzSuccess >= 10, 20_000).catch(() => undefined);
    d.child.kill('SIGTERM');
    assert.equal((await d.exited).code, 0);
    // Before, the pass emptied the users held: uid=back came back as a new user and its stored
    // row was overwritten (first seen after the pass, 4 events).
    assert.deepEqual(rows(db, back), [{ first_seen: OLD + 4000, counts: '{"AzSuccess":10}' }], 'first seen on day 0, 3 + 3 + 4 events');
  });

  test('a pass deletes in chunks and lets the event loop run between them: a timer fires during it, and an aborted signal stops it at the next chunk, the rest left for the next pass', () => {
    const { log, db } = historyFiles('{ events: 90d }');
    ok(['replay', log, '--db', db, '-q', '--config', join(log, '..', 'ouwatch.yaml')]);
    // 12,000 sessions of uid=gone's, last used on day 0: three chunks of deletes (5,000 each).
    const w = new Database(db);
    try {
      const add = w.prepare('INSERT INTO session_ips (user_id, session_id, ip, first_seen, last_seen, count) VALUES ((SELECT id FROM users WHERE dn = ?), ?, ?, ?, ?, 1)');
      w.transaction(() => {
        for (let i = 0; i < 12_000; i++) add.run('uid=gone,o=Tremolo', `s${i}`, '81.2.69.142', OLD, OLD);
      })();
    } finally {
      w.close();
    }
    const c = new Database(db);
    const policy = { events: 90 * DAY, alerts: null, incidents: null };
    return (async () => {
      try {
        const retention = new SqliteRetention(c);
        const stop = new AbortController();
        // Runs between the first chunk and the second, or never if the pass held the loop.
        setImmediate(() => stop.abort());
        const first = await retention.apply(policy, Date.now(), { newest: NEW, signal: stop.signal });
        assert.equal(first.stopped, true);
        assert.equal(first.deleted.session_ips, 5_000);
        assert.equal(first.deleted.users, undefined, 'no later step started');
        const second = await retention.apply(policy, Date.now(), { newest: NEW });
        assert.equal(second.stopped, undefined);
        assert.equal(second.deleted.session_ips, 7_002, 'the rest, with the day-0 sessions of uid=gone and uid=back');
        assert.equal(second.deleted.users, 1);
      } finally {
        c.close();
      }
    })();
  });
});

