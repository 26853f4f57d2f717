import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { loadConfig } from '../../src/app/config.js';
import { replayFiles } from '../../src/app/replay.js';
import { createRuntime, type PipelineLimits } from '../../src/app/runtime.js';
import { silentLog } from '../../src/core/log.js';
import { MONTH_READ_AHEAD, MONTH_USERS, writeAddressMonth } from '../helpers/address-month.js';
import { tempDir } from '../helpers/tmp.js';
import { CROWD, writeAddressSpray, writeCrowdSpray, writeThiefSpray } from '../helpers/address-spray.js';

// A held user keeps in memory only the addresses of its last days (DEFAULT_ADDRESSES_KEPT_FOR);
// older ones are read back from the store before a batch that names them. Replayed with a
// window of two days and with none, a month of users who come back to addresses nine days
// old (test/helpers/address-month.ts) must give the same alerts and the same stored history:
// memory is not allowed to change a verdict.

const DAY = 86_400_000;
/** Every address held all the time. */
const WHOLE: PipelineLimits = { addressesKeptFor: Number.POSITIVE_INFINITY, maxAddressesHeld: Number.POSITIVE_INFINITY, maxUnlearntHeldInAll: Number.POSITIVE_INFINITY };

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

/** A spray and what comes back after it, replayed as one log twice: holding every address, and within `limits`. */
interface Sprayed {
  dir: string;
  /** The spray's log and the log of what comes back, for runs that replay them apart. */
  spray: string;
  back: string;
  whole: Outcome;
  limited: Outcome;
}

async function replaySpray(name: string, write: (spray: string, back: string) => void, limits: PipelineLimits): Promise<Sprayed> {
  const dir = tempDir(`address-memory-${name}`);
  const [spray, back, both] = [join(dir, `${name}.log`), join(dir, 'back.log'), join(dir, 'both.log')];
  write(spray, back);
  writeFileSync(both, readFileSync(spray, 'utf8') + readFileSync(back, 'utf8'));
  const whole = await replay([both], join(dir, 'whole.db'), WHOLE, 200);
  const limited = await replay([both], join(dir, 'limited.db'), limits, 200);
  assert.equal(whole.letGo, 0);
  return { dir, spray, back, whole, limited };
}

test('addresses let go from memory and read back give the same alerts and the same stored history', async () => {
  const dir = tempDir('address-memory');
  const log = join(dir, 'month.log');
  const { thieves } = writeAddressMonth(log);
  const whole = await replay([log], join(dir, 'whole.db'), WHOLE);
  const trimmed = await replay([log], join(dir, 'trimmed.db'), { addressesKeptFor: 2 * DAY, readAhead: MONTH_READ_AHEAD });

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
  const { dir, spray, back, whole, limited: capped } = await replaySpray('spray', writeAddressSpray, { maxAddressesHeld: 64 });
  assert.ok(capped.letGo > 2_500, `the spray's addresses were let go (${capped.letGo})`);
  assert.ok(capped.readBack >= 3, `and read back when named again (${capped.readBack})`);
  const rules = whole.alerts.map((a) => (JSON.parse(a) as { rule: string }).rule);
  assert.ok(rules.includes('refresh-token-replay') && rules.includes('authz-failure-burst'), `alerts to compare: ${[...new Set(rules)].join(', ')}`);
  const replayAlert = whole.alerts.map((a) => JSON.parse(a) as { rule: string; reason: string }).find((a) => a.rule === 'refresh-token-replay');
  assert.match(replayAlert?.reason ?? '', /learnt: 89\.160\.20\.112, 81\.224\.10\.5\)/);
  assert.deepEqual(capped.alerts, whole.alerts);
  assert.deepEqual(capped.history, whole.history);

  // Started again after the spray, a run loads the sprayed users with their addresses that
  // succeeded and only the most recent others (a million stored denials are not read whole),
  // and reads the rest back when named: the same as one uninterrupted run.
  const db = join(dir, 'restarted.db');
  await replay([spray], db, { maxAddressesHeld: 64 }, 200);
  const restarted = await replay([back], db, { maxAddressesHeld: 64 }, 200);
  assert.equal(restarted.letGo, 0, 'nothing to let go in the second run: the users came loaded without the spray');
  assert.ok(restarted.readBack >= 3, `the returning addresses were read back (${restarted.readBack})`);
  const uninterrupted = await replay([spray, back], join(dir, 'uninterrupted.db'), WHOLE, 200);
  assert.deepEqual(restarted.alerts, uninterrupted.alerts);
  assert.deepEqual(restarted.history, uninterrupted.history);
});

test('a thief succeeding from thousands of addresses while its alerts stay open: those not learnt are let go beyond the cap; verdicts and stored history stay the same', async () => {
  const { dir, spray: thief, back, whole, limited: capped } = await replaySpray('thief', writeThiefSpray, { maxAddressesHeld: 64 });
  assert.ok(capped.letGo > 2_500, `the thief's addresses were let go (${capped.letGo})`);
  assert.ok(capped.readBack >= 3, `and read back when named again (${capped.readBack})`);
  const rules = new Set(whole.alerts.map((a) => (JSON.parse(a) as { rule: string }).rule));
  assert.ok(rules.has('new-country') && rules.has('impossible-travel'), `alerts to compare: ${[...rules].join(', ')}`);
  assert.deepEqual(capped.alerts, whole.alerts);
  assert.deepEqual(capped.history, whole.history);
  const quarantined = whole.history.filter((r) => (JSON.parse(r) as { quarantined_by?: string | null }).quarantined_by);
  assert.ok(quarantined.length > 2_500, `the thief's addresses are stored unlearnt, kept by their alerts (${quarantined.length})`);

  // Started again after the thief, a run loads Alice with her own addresses and only the most
  // recent of the thief's, and reads the rest back when named: the same as one uninterrupted run.
  const db = join(dir, 'restarted.db');
  await replay([thief], db, { maxAddressesHeld: 64 }, 200);
  const restarted = await replay([back], db, { maxAddressesHeld: 64 }, 200);
  // Loaded with every address that succeeded, as before, she would let go of nearly 3,000 at once.
  assert.ok(restarted.letGo < 100, `alice came loaded without the thief's old addresses (${restarted.letGo} let go in the second run)`);
  assert.ok(restarted.readBack >= 3, `the returning addresses were read back (${restarted.readBack})`);
  const uninterrupted = await replay([thief, back], join(dir, 'uninterrupted.db'), WHOLE, 200);
  assert.deepEqual(restarted.alerts, uninterrupted.alerts);
  assert.deepEqual(restarted.history, uninterrupted.history);
});

test('a storm at every account in turn, each under its own cap: over the budget of addresses not their own, the users holding most let go of them; verdicts and stored history stay the same', async () => {
  const { whole, limited: budget } = await replaySpray('crowd', writeCrowdSpray, { maxUnlearntHeldInAll: 200 });
  assert.ok(budget.letGo > 1_500, `the storm's addresses were let go (${budget.letGo})`);
  assert.ok(budget.readBack >= 3, `and read back when named again (${budget.readBack}; ${budget.letGo} let go)`);
  const rules = new Set(whole.alerts.map((a) => (JSON.parse(a) as { rule: string }).rule));
  assert.ok(rules.has('new-source-ip') && rules.has('new-country') && rules.has('impossible-travel'), `alerts to compare: ${[...rules].join(', ')}`);
  assert.ok(new Set(whole.alerts.map((a) => (JSON.parse(a) as { dn: string }).dn)).size >= CROWD, 'every account raised alerts');
  assert.deepEqual(budget.alerts, whole.alerts);
  assert.deepEqual(budget.history, whole.history);
});
