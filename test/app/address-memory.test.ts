import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { loadConfig } from '../../src/app/config.js';
import { replayFiles } from '../../src/app/replay.js';
import { createRuntime, type PipelineLimits } from '../../src/app/runtime.js';
import { silentLog } from '../../src/core/log.js';
import { MONTH_USERS, writeAddressMonth } from '../helpers/address-month.js';
import { tempDir } from '../helpers/tmp.js';
import { ALICE, BOB, H, MIN, SE, SE_HOME, T0, az, azFail, expired } from '../detect/helpers.js';

// A held user keeps in memory only the addresses of its last days (DEFAULT_ADDRESSES_KEPT_FOR);
// older ones are read back from the store before a batch that names them. Replayed with a
// window of two days and with none, a month of users who come back to addresses nine days
// old (test/helpers/address-month.ts) must give the same alerts and the same stored history:
// memory is not allowed to change a verdict.

const DAY = 86_400_000;
/** Every address held all the time. */
const WHOLE: PipelineLimits = { addressesKeptFor: Number.POSITIVE_INFINITY, maxAddressesHeld: Number.POSITIVE_INFINITY };

interface Outcome {
  alerts: string[];
  history: string[];
  letGo: number;
  readBack: number;
}

async function replay(logs: string[], db: string, limits: PipelineLimits, commitEvery = 2_000): Promise<Outcome> {
  const config = loadConfig();
  config.store.path = db;
  // Commits a few times a day of this log, as a busy one commits (they are where memory is trimmed).
  config.store.commitEvery = commitEvery;
  const runtime = await createRuntime(config, { command: 'replay', log: silentLog, limits });
  let memory: { letGo: number; readBack: number };
  try {
    await replayFiles(logs, runtime, { fromStart: true });
    memory = runtime.history.addressMemory;
  } finally {
    await runtime.close();
  }
  const c = new Database(db, { readonly: true, fileMustExist: true });
  try {
    const alerts = c.prepare('SELECT rule, severity, risk, time, dn, ip, country, reason, evidence FROM alerts ORDER BY time, rule, dn, ip').all().map((r) => JSON.stringify(r));
    const history = [
      ...c.prepare('SELECT u.dn, a.ip, a.net, a.country, a.first_seen, a.last_seen, a.count, a.first_success, a.last_success, a.success_count, a.learnt, a.quarantined_by FROM user_ips a JOIN users u ON u.id = a.user_id ORDER BY u.dn, a.ip').all(),
      ...c.prepare('SELECT dn, first_seen, last_seen, counts, success_count, first_success, last_success, last_geo FROM users ORDER BY dn').all(),
      ...c.prepare('SELECT u.dn, c.* FROM user_countries c JOIN users u ON u.id = c.user_id ORDER BY u.dn, c.country').all(),
    ].map((r) => JSON.stringify({ ...(r as object), user_id: undefined }));
    return { alerts, history, ...memory };
  } finally {
    c.close();
  }
}

test('addresses let go from memory and read back give the same alerts and the same stored history', async () => {
  const dir = tempDir('address-memory');
  const log = join(dir, 'month.log');
  const { thieves } = writeAddressMonth(log);
  const whole = await replay([log], join(dir, 'whole.db'), WHOLE);
  const trimmed = await replay([log], join(dir, 'trimmed.db'), { addressesKeptFor: 2 * DAY });

  assert.equal(whole.letGo, 0);
  assert.ok(trimmed.letGo > MONTH_USERS * 5, `addresses were let go (${trimmed.letGo})`);
  assert.ok(trimmed.readBack >= MONTH_USERS * 5, `and read back when the users came back to them (${trimmed.readBack})`);
  assert.ok(whole.alerts.length > MONTH_USERS, `the month raises alerts to compare (${whole.alerts.length})`);
  assert.deepEqual(trimmed.alerts, whole.alerts);
  assert.deepEqual(trimmed.history, whole.history);

  const replays = whole.alerts.filter((a) => (JSON.parse(a) as { rule: string }).rule === 'refresh-token-replay');
  assert.equal(replays.length, thieves, 'the thieves are caught; the office network, learnt nine days before, vouches for its user');
});

test('a batch that waits in the merge keeps the addresses it was prepared against, however long the older log takes', async () => {
  // A later log, its events those of the month's first three days moved to 1 April: parsed and
  // prepared as soon as the replay starts, it waits in the merge while the month goes by and
  // its users' early addresses pass the two-day window. They must still be there when it is
  // processed (no batch was read back for them: they were held when it was prepared).
  const dir = tempDir('address-memory-waiting');
  const month = join(dir, 'month.log');
  writeAddressMonth(month);
  const early = readFileSync(month, 'utf8')
    .split('\n')
    .filter((l) => /^\[2026-03-0[234] /.test(l) && !l.includes('ProvisioningEngineImpl'))
    .map((l) => l.replace(/^\[2026-03-0[234] /, '[2026-04-01 '))
    .sort();
  const later = join(dir, 'later.log');
  writeFileSync(later, early.join('\n') + '\n');
  const whole = await replay([month, later], join(dir, 'whole.db'), WHOLE);
  const trimmed = await replay([month, later], join(dir, 'trimmed.db'), { addressesKeptFor: 2 * DAY });
  assert.ok(early.length >= MONTH_USERS * 5, `${early.length} lines in the later log`);
  assert.ok(trimmed.letGo > MONTH_USERS * 5, `addresses were let go (${trimmed.letGo})`);
  assert.deepEqual(trimmed.alerts, whole.alerts);
  assert.deepEqual(trimmed.history, whole.history);
});

test('a user sprayed from thousands of addresses lets go of those that never succeeded; verdicts and stored history stay the same', async () => {
  // Alice and Bob work from the office; from 09:00 a botnet is denied 1,500 times at each from
  // as many addresses (a few of them twice, far apart), while they go on working. Then three
  // of the spray's early addresses come back: a denial, an expired refresh token used from one
  // (refresh-token-replay must judge it as never succeeding there), a success from another.
  const dir = tempDir('address-memory-spray');
  const log = join(dir, 'spray.log');
  const lines: string[] = [];
  // Alice also works from home (learnt, listed in a replay alert's reason).
  lines.push(az(T0 - MIN, ALICE, SE_HOME));
  for (const dn of [ALICE, BOB]) lines.push(az(T0, dn, SE), az(T0 + MIN, dn, SE));
  const sprayed = (i: number) => `${[23, 45, 81, 91][i % 4]}.${(i * 7) % 251}.${(i * 13) % 253}.${1 + (i % 250)}`;
  let t = T0 + H;
  for (let i = 0; i < 3_000; i++) {
    t += 1_000;
    lines.push(azFail(t, i % 2 === 0 ? ALICE : BOB, sprayed(i)));
    if (i % 100 === 0) lines.push(az(t + 1, i % 200 === 0 ? ALICE : BOB, SE));
    if (i % 500 === 499) lines.push(azFail(t + 2, ALICE, sprayed(i - 480)));
  }
  lines.push(azFail(t + H, ALICE, sprayed(4)), expired(t + H + 1, ALICE, sprayed(2)), az(t + H + 2, BOB, sprayed(7)));
  writeFileSync(log, lines.join('\n') + '\n');

  const whole = await replay([log], join(dir, 'whole.db'), WHOLE, 200);
  const capped = await replay([log], join(dir, 'capped.db'), { maxAddressesHeld: 64 }, 200);
  assert.equal(whole.letGo, 0);
  assert.ok(capped.letGo > 2_500, `the spray's addresses were let go (${capped.letGo})`);
  assert.ok(capped.readBack >= 3, `and read back when named again (${capped.readBack})`);
  const rules = whole.alerts.map((a) => (JSON.parse(a) as { rule: string }).rule);
  assert.ok(rules.includes('refresh-token-replay') && rules.includes('authz-failure-burst'), `alerts to compare: ${[...new Set(rules)].join(', ')}`);
  const replayAlert = whole.alerts.map((a) => JSON.parse(a) as { rule: string; reason: string }).find((a) => a.rule === 'refresh-token-replay');
  assert.match(replayAlert?.reason ?? '', /learnt: 89\.160\.20\.112, 81\.224\.10\.5\)/);
  assert.deepEqual(capped.alerts, whole.alerts);
  assert.deepEqual(capped.history, whole.history);
});
