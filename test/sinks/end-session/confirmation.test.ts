import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CONFIRM_WITHIN_MS, confirmationState, confirmationText, type ActionRecord } from '../../../src/core/actions.js';
import type { LogoutWrite } from '../../../src/core/history.js';
import { MAX_LOGOUT_LINE, MAX_LOGOUTS_PER_COMMIT } from '../../../src/components/history/history.js';
import { SqlitePipelineStore } from '../../../src/store/sqlite/pipeline-store.js';
import { makeAlert } from '../../helpers/alerts.js';
import { runCli } from '../../helpers/cli.js';
import { alertsOnly, harness } from '../../helpers/delivery.js';
import { KubeApiStandIn, writeKubeconfig } from '../../helpers/kube-api-standin-sessions.js';
import { logoutLine, logStamp } from '../../helpers/lines.js';
import { replayResponding } from '../../helpers/respond.js';
import { tempDir } from '../../helpers/tmp.js';

// OpenUnison logs `Logging out user '<dn>'` (SessionManagerImpl) when it processes an EndSession.
// Read after an end-session action, that line is the proof the sessions ended; without it, the
// EndSession may have done nothing (openunison.enable_end_session off, OpenUnison < 1.0.43).

const MM = 'uid=mmosley,ou=shadow,o=Tremolo';
const api = new KubeApiStandIn();
const dir = tempDir();
let kubeconfig = '';
let n = 0;

before(async () => {
  kubeconfig = writeKubeconfig(dir, { prod: await api.start() }, 'prod');
});
after(() => api.stop());

const logout = (dn: string, ts: number, lineNo = 7): LogoutWrite => ({ dn, ts, source: `openunison.log:${lineNo}`, line: logoutLine(dn) });

/** Commits `logouts` as the pipeline does (history's writes of one commit) and returns every action as stored. */
function commitLogouts(h: ReturnType<typeof harness>, logouts: LogoutWrite[]): ActionRecord[] {
  const batch = alertsOnly([]);
  batch.history.logouts = logouts;
  new SqlitePipelineStore(h.db).commitNow(batch, []);
  return h.delivery.actions.list();
}

describe('a logout line confirms an end-session action carried out shortly before it', () => {
  test('apply: the action is done, then the user is logged out 3 s later; the line, its time and place are kept', async () => {
    const h = harness(dir, { respond: { mode: 'apply', kubeconfig } }, { dbName: `c${++n}.db` });
    h.raise(makeAlert());
    await h.delivery.worker.drain(5_000);
    const [done] = h.delivery.actions.list();
    assert.equal(done.status, 'done');
    assert.equal(done.confirmed, null);
    assert.equal(confirmationState(done, Date.parse(done.time) + 1_000), 'waiting');

    const at = Date.parse(done.time) + 3_000;
    const [confirmed] = commitLogouts(h, [logout('uid=someone,o=Tremolo', at), logout(MM, at, 9)]);
    assert.deepEqual(confirmed.confirmed, { time: new Date(at).toISOString(), source: 'openunison.log:9', line: logoutLine(MM) });
    assert.equal(confirmationState(confirmed, at + CONFIRM_WITHIN_MS * 10), 'confirmed', 'confirmed stays confirmed');
    assert.match(confirmationText(confirmed, at)!, /^OpenUnison logged the user out at .* \(openunison\.log:9\)$/);

    // A second logout later keeps the first as the confirmation.
    const [again] = commitLogouts(h, [logout(MM, at + 60_000, 11)]);
    assert.equal(again.confirmed!.source, 'openunison.log:9');
    await h.close();
  });

  test('the window: a logout more than a minute before the action, or more than 15 min after it, confirms nothing', async () => {
    const h = harness(dir, { respond: { mode: 'apply', kubeconfig } }, { dbName: `c${++n}.db` });
    h.raise(makeAlert());
    await h.delivery.worker.drain(5_000);
    const created = Date.parse(h.delivery.actions.list()[0].time);
    let [a] = commitLogouts(h, [logout(MM, created - 61_000), logout(MM, created + CONFIRM_WITHIN_MS + 1)]);
    assert.equal(a.confirmed, null);
    // Past the window with nothing read: said plainly, with what to check.
    assert.equal(confirmationState(a, created + CONFIRM_WITHIN_MS + 1), 'unconfirmed');
    assert.match(confirmationText(a, created + CONFIRM_WITHIN_MS + 1)!, /openunison\.enable_end_session, OpenUnison 1\.0\.43 or later/);
    // The edges are in: a minute before (the two clocks may differ), 15 min after.
    [a] = commitLogouts(h, [logout(MM, created - 60_000)]);
    assert.equal(a.confirmed!.time, new Date(created - 60_000).toISOString());
    await h.close();
  });

  test('dry-run and held actions are never confirmed: nothing was sent to OpenUnison', async () => {
    const h = harness(dir, { respond: { mode: 'dry-run' } }, { dbName: `c${++n}.db` });
    h.raise(makeAlert());
    const [planned] = commitLogouts(h, [logout(MM, Date.now())]);
    assert.equal(planned.status, 'planned');
    assert.equal(planned.confirmed, null);
    assert.equal(confirmationState(planned, Date.now() + CONFIRM_WITHIN_MS * 2), null, 'a dry run waits for no logout');
    await h.close();

    const held = harness(dir, { respond: { mode: 'apply', kubeconfig, guards: { neverEnd: { dns: [MM] } } } }, { dbName: `c${++n}.db` });
    held.raise(makeAlert());
    const [kept] = commitLogouts(held, [logout(MM, Date.now())]);
    assert.equal(kept.status, 'held');
    assert.equal(kept.confirmed, null);
    await held.close();
  });
});

describe('end to end: replay reads the logout line and the store confirms the action', () => {
  const NOW = Date.parse('2026-03-04T00:00:00Z');
  const attack = fileURLToPath(new URL('../../../fixtures/rules/refresh-token-replay/replayed-from-new-address.log', import.meta.url));

  const replay = (db: string, files: string[]) => replayResponding(db, files, { manifestDir: join(dir, 'manifests'), now: NOW });

  test('a commit keeps at most 1,000 logout lines, and a long line as its first 4,096 characters (its DN whole)', async () => {
    const at = (t: number, thread = 'XNIO-1 task-4') => ({ time: logStamp(t), thread });
    // Past the cap: 1,000 other users logged out first, in the same commit as mmosley.
    const capped = join(dir, 'capped.db');
    await replay(capped, [attack]);
    const crowd = join(dir, 'crowd.log');
    const others = Array.from({ length: MAX_LOGOUTS_PER_COMMIT }, (_, i) => logoutLine(`uid=user${i},ou=shadow,o=Tremolo`, at(NOW + 10_000)));
    writeFileSync(crowd, [...others, logoutLine(MM, at(NOW + 20_000))].join('\n') + '\n');
    await replay(capped, [crowd]);
    const [dropped] = JSON.parse(`[${(await runCli(['actions', '--db', capped, '--json'])).stdout.trim()}]`) as ActionRecord[];
    assert.equal(dropped.confirmed, null);

    const long = join(dir, 'long.db');
    await replay(long, [attack]);
    const file = join(dir, 'long.log');
    writeFileSync(file, logoutLine(MM, at(NOW + 20_000, 'x'.repeat(5_000))) + '\n');
    await replay(long, [file]);
    const [kept] = JSON.parse(`[${(await runCli(['actions', '--db', long, '--json'])).stdout.trim()}]`) as ActionRecord[];
    assert.equal(kept.confirmed!.line.length, MAX_LOGOUT_LINE + 1);
    assert.ok(kept.confirmed!.line.endsWith('x…'));
  });

  test("an action written as a manifest at NOW, then OpenUnison's log: mmosley's logout 40 s later confirms it; `actions show` says so", async () => {
    const db = join(dir, 'e2e.db');
    await replay(db, [attack]);
    const later = join(dir, 'later.log');
    writeFileSync(later, [logoutLine('uid=other,ou=shadow,o=Tremolo', { time: logStamp(NOW + 20_000) }), logoutLine(MM, { time: logStamp(NOW + 40_000) })].join('\n') + '\n');
    await replay(db, [later]);

    const list = await runCli(['actions', '--db', db, '--json']);
    assert.equal(list.code, 0, list.stderr);
    const actions = list.stdout.trim().split('\n').map((l) => JSON.parse(l) as ActionRecord);
    assert.deepEqual(
      actions.map((a) => [a.mode, a.status, a.dn, a.confirmed]),
      // Queued: a replay records the action and leaves it to the outbox (`ouwatch outbox`, or a daemon) to write.
      [['manifest', 'queued', MM, { time: '2026-03-04T00:00:40.000Z', source: `${later}:2`, line: logoutLine(MM, { time: logStamp(NOW + 40_000) }) }]],
    );
    const shown = await runCli(['actions', 'show', String(actions[0].id), '--db', db]);
    assert.match(shown.stdout, /\n {2}logout {5}OpenUnison logged the user out at 2026-03-04T00:00:40\.000Z \(.*later\.log:2\)\n/);
    assert.match((await runCli(['actions', '--db', db])).stdout, /\(logged out 2026-03-04T00:00:40\.000Z\)/);
    // The alert that asked for it says so under its responses.
    const alert = await runCli(['alerts', 'show', actions[0].alertId!, '--db', db]);
    assert.match(alert.stdout, /\n {2}responses \(1\)\n.*\n {6}OpenUnison logged the user out at 2026-03-04T00:00:40\.000Z \(.*later\.log:2\)\n/);
    // And the user's history, with the confirmation in --json.
    const user = await runCli(['user', MM, '--db', db]);
    assert.match(user.stdout, /\n {2}responses \(1\)\n.*\n {6}OpenUnison logged the user out at 2026-03-04T00:00:40\.000Z \(.*later\.log:2\)\n/);
    const json = JSON.parse((await runCli(['user', MM, '--db', db, '--json'])).stdout) as { actions: ActionRecord[] };
    assert.equal(json.actions[0].confirmed?.time, '2026-03-04T00:00:40.000Z');
  });
});
