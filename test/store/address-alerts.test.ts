import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { showAlert } from '../../src/app/review/alerts.js';
import { showIncident } from '../../src/app/review/incidents.js';
import { CN, H, MIN, MM, NONE, RU, SE, SEC, T0, TOKEN_URL, auFail, az, azFail, expired, history, idpWarn } from '../detect/helpers.js';
import { startPostgres } from '../helpers/postgres.js';
import { replayedReviewStore } from '../helpers/store.js';
import { tempDir } from '../helpers/tmp.js';

// OpenUnison logs `cn=none` where it knows no session: a copied refresh token that fails, or
// password tries, name only the address. A user's incident shows the alerts without a user
// from the addresses its alerts name, within a day of it, on SQLite and on PostgreSQL alike.

const pg = await startPostgres();

const stale = (t: number, ip: string, thread: string) => [idpWarn(t, thread), azFail(t + 4, NONE, ip, { thread, url: TOKEN_URL, session: 'null' })];
const AT = T0 + 3 * H;

test("a user's incident lists the alerts without a user from its addresses within a day of it, and no others", async () => {
  const dir = tempDir();
  const log = join(dir, 'openunison.log');
  writeFileSync(
    log,
    [
      // mmosley at the office for two hours, then his refresh token replayed from Moscow (an incident at once).
      ...history(MM, SE, 12, 10 * MIN),
      az(AT, MM, RU, { url: TOKEN_URL, app: 'k8sIdp' }),
      expired(AT + 2, MM, RU),
      // The copy fails to refresh 10 minutes later (cn=none: keyed on the address): shown.
      ...stale(AT + 10 * MIN, RU, 'XNIO-1 task-7'),
      // Password tries from an address none of his alerts names: not shown.
      ...Array.from({ length: 10 }, (_, k) => auFail(AT + 20 * MIN + k * SEC, CN)),
      // The same address three days later, past the day around the incident: not shown.
      ...stale(AT + 72 * H, RU, 'XNIO-1 task-8'),
    ].join('\n') + '\n',
  );
  const shown: string[] = [];
  for (const db of [join(dir, 'ouwatch.db'), pg.url(await pg.createDatabase('address_alerts'))]) {
    const store = await replayedReviewStore(log, db);
    try {
      const withoutUser = (await store.alerts.list({ withoutDn: true }, { offset: 0, limit: null, sort: 'time' })).items;
      assert.deepEqual(
        withoutUser.map((a) => `${a.rule} ${a.ip} ${a.time}`).sort(),
        [
          `auth-failure-burst ${CN} ${new Date(AT + 20 * MIN + 9 * SEC).toISOString()}`,
          `stale-refresh-token ${RU} ${new Date(AT + 10 * MIN + 4).toISOString()}`,
          `stale-refresh-token ${RU} ${new Date(AT + 72 * H + 4).toISOString()}`,
        ].sort(),
        `${db}: the alerts without a user`,
      );
      const incidents = (await store.incidents.list({}, { offset: 0, limit: null, sort: 'time' })).items;
      const his = incidents.find((i) => i.dn === MM)!;
      const detail = await showIncident(store, his.id);
      assert.ok(detail.alerts.some((a) => a.rule === 'refresh-token-replay'), `${db}: the replay is his incident's`);
      assert.deepEqual(
        detail.addressAlerts.map((a) => `${a.rule} ${a.ip} ${a.time} ${a.dn}`),
        [`stale-refresh-token ${RU} ${new Date(AT + 10 * MIN + 4).toISOString()} null`],
        `${db}: only the copy's failure within the day`,
      );
      // And the other way round: the copy's failure names his incident; the same address three days later, and his own alerts, none.
      assert.deepEqual((await showAlert(store, detail.addressAlerts[0].id)).userIncidentIds, [his.id], `${db}: the copy's failure`);
      const late = withoutUser.find((a) => a.rule === 'stale-refresh-token' && a.time === new Date(AT + 72 * H + 4).toISOString())!;
      assert.deepEqual((await showAlert(store, late.id)).userIncidentIds, [], `${db}: three days later`);
      assert.deepEqual((await showAlert(store, detail.alerts[0].id)).userIncidentIds, [], `${db}: an alert of his`);
      // A network's incident lists nothing more: all its alerts are without a user already.
      for (const other of incidents.filter((i) => i.dn === null)) assert.deepEqual((await showIncident(store, other.id)).addressAlerts, []);
      shown.push(JSON.stringify(detail.addressAlerts));
    } finally {
      store.close();
    }
  }
  assert.equal(shown[1], shown[0], 'both stores show the same');
});
