import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { accessLine, expiredLine, log4jTime, logoutLine } from '../helpers/lines.js';
import { replayInto } from '../helpers/store.js';
import { tempDir } from '../helpers/tmp.js';

// user_activity: a user's events per log-time hour and address (the console's timeline).
// Each commit adds its counts to the rows already stored.

const dir = tempDir();
const MM = 'uid=mmosley,ou=shadow,o=Tremolo';
const H = Date.UTC(2024, 4, 6, 7, 0, 0);
const at = (min: number) => log4jTime(H + min * 60_000);

function rows(db: string) {
  const d = new Database(db, { readonly: true });
  try {
    return d.prepare('SELECT u.dn, a.hour, a.ip, a.country, a.events, a.failures FROM user_activity a JOIN users u ON u.id = a.user_id ORDER BY u.dn, a.hour, a.ip').all();
  } finally {
    d.close();
  }
}

test('events are counted per user, log-time hour and address, failures apart; cn=none is no user', async () => {
  const log = join(dir, 'a.log');
  writeFileSync(
    log,
    [
      accessLine({ time: at(1), dn: MM, ip: '81.2.69.142' }),
      accessLine({ time: at(2), dn: MM, ip: '81.2.69.142', event: 'AzFail', msg: 'NONE' }),
      accessLine({ time: at(3), dn: MM, ip: '10.0.0.8' }),
      expiredLine({ time: at(59), dn: MM, ip: '81.2.69.142' }),
      accessLine({ time: at(61), dn: MM, ip: '81.2.69.142' }),
      logoutLine(MM, { time: at(62) }),
      accessLine({ time: at(63), dn: 'cn=none', ip: '81.2.69.142', event: 'AuFail' }),
    ].join('\n') + '\n',
  );
  const db = join(dir, 'a.db');
  await replayInto(db, [log]);
  assert.deepEqual(rows(db), [
    { dn: MM, hour: H, ip: '10.0.0.8', country: null, events: 1, failures: 0 },
    { dn: MM, hour: H, ip: '81.2.69.142', country: 'GB', events: 3, failures: 1 },
    { dn: MM, hour: H + 3_600_000, ip: '', country: null, events: 1, failures: 0 },
    { dn: MM, hour: H + 3_600_000, ip: '81.2.69.142', country: 'GB', events: 1, failures: 0 },
  ]);

  // A later run (another input) adds to the hour it shares with the first.
  const more = join(dir, 'b.log');
  writeFileSync(more, [accessLine({ time: at(70), dn: MM, ip: '81.2.69.142', event: 'AzFail', msg: 'NONE' }), accessLine({ time: at(71), dn: MM, ip: '81.2.69.142' })].join('\n') + '\n');
  await replayInto(db, [more]);
  assert.deepEqual(rows(db).at(-1), { dn: MM, hour: H + 3_600_000, ip: '81.2.69.142', country: 'GB', events: 3, failures: 1 });
});
