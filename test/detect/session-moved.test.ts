import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { ALICE, MIN, RU, SE, SE_HOME, SE_POOL, T0, az, azFail, detect, keys, rulesDir, scratch } from './helpers.js';

const s = scratch();
after(() => s.done());
let n = 0;
const run = (lines: string[]) => detect(s.path(`m${n++}.db`), rulesDir(s.path(`r${n}`), ['session-moved']), lines);
const S = { session: 'f' + 'c3'.repeat(20) };

test('one session used from two networks in different ASNs within ten minutes fires, high, with both lines as evidence', async () => {
  const lines = [az(T0, ALICE, SE, S), azFail(T0 + 3 * MIN, ALICE, RU, S)];
  const { alerts } = await run(lines);
  assert.deepEqual(keys(alerts), [`session-moved ${ALICE} ${RU}`]);
  const a = alerts[0];
  assert.deepEqual([a.severity, a.risk, a.country], ['high', 60, 'RU']);
  assert.match(a.reason, /^Session fc3c3\w+ of uid=alice,ou=users,o=Tremolo was used from 5\.255\.255\.5 \(RU\) \(5\.255\.255\.0\/24\) 3 min after a use from 89\.160\.20\.112 \(SE\) \(89\.160\.20\.0\/24\)/);
  assert.deepEqual(a.evidence.map((e) => e.line), lines);
});

test('a move inside one ASN (another pool of the same ISP), one more than ten minutes later, and another session stay quiet', async () => {
  const other = { session: 'f' + 'd4'.repeat(20) };
  const lines = [az(T0, ALICE, SE, S), az(T0 + MIN, ALICE, SE_POOL, S), az(T0 + 12 * MIN, ALICE, SE_HOME, S), az(T0 + 13 * MIN, ALICE, RU, other)];
  const { alerts } = await run(lines);
  assert.deepEqual(alerts, []);
});

test('a use older than the window is forgotten: the move is measured from the use after it, whenever commits happen', async () => {
  // Seen from the office, then again 11 minutes later (the first use has expired), then abroad.
  const lines = [az(T0, ALICE, SE, S), az(T0 + 11 * MIN, ALICE, SE, S), az(T0 + 13 * MIN, ALICE, RU, S)];
  const once = await run(lines);
  assert.deepEqual(keys(once.alerts), [`session-moved ${ALICE} ${RU}`]);
  assert.deepEqual(once.alerts[0].evidence.map((e) => e.line), [lines[1], lines[2]]);
  assert.match(once.alerts[0].reason, / 2 min after a use from 89\.160\.20\.112/);
});
