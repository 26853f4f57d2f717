import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../../src/app/config.js';
import { replayFiles } from '../../src/app/replay.js';
import { createRuntime } from '../../src/app/runtime.js';
import { silentLog } from '../../src/core/log.js';
import { accessLine } from '../helpers/lines.js';
import { dumpDetection, dumpHistory } from '../helpers/store.js';
import { tempDir } from '../helpers/tmp.js';

// Retention runs between two commits at log-time boundaries (app/retention-schedule.ts): the
// ingest loop commits before the first event of a run and before the first event at or past
// each multiple of the interval, whatever the commits by lines, users and alerts do, and
// where it commits does not change what it stores.

const T0 = Date.UTC(2025, 2, 3, 7, 40, 0);
const stamp = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '').replace('.', ',');

/** 07:40 to 11:00 of sign-ins, one every 50 s from 20 users, with a quiet gap from 09:10 to 10:35. */
function times(): number[] {
  const out: number[] = [];
  for (let t = T0; t < T0 + 200 * 60_000; t += 50_000) if (t < Date.UTC(2025, 2, 3, 9, 10) || t >= Date.UTC(2025, 2, 3, 10, 35)) out.push(t);
  return out;
}

async function replay(dir: string, name: string, retention: boolean): Promise<Array<number | null>> {
  const config = loadConfig();
  config.store.path = join(dir, `${name}.db`);
  if (!retention) config.store.retention = { ...config.store.retention, events: null, alerts: null, incidents: null };
  const ticks: Array<number | null> = [];
  const runtime = await createRuntime(config, { command: 'replay', log: silentLog, onCommit: (r) => void ticks.push(r.logTimeTick) });
  try {
    await replayFiles([join(dir, 'openunison.log')], runtime, {});
  } finally {
    await runtime.close();
  }
  return ticks;
}

test('a commit comes before the first event of a run and before the first event of each hour of log time; the commits before the end are those', async () => {
  const dir = tempDir('ouwatch-ticks-');
  const ts = times();
  writeFileSync(join(dir, 'openunison.log'), ts.map((t, i) => accessLine({ time: stamp(t), dn: `uid=u${i % 20},o=Tremolo`, ip: `10.0.${i % 20}.1` })).join('\n') + '\n');
  const ticks = await replay(dir, 'ticks', true);
  const firstAtOrAfter = (b: number) => ts.find((t) => t >= b)!;
  // 07:40 (the first event), 08:00, 09:00, then 10:35 (the first after the gap: 10:00 had
  // none); the log ends before 11:00.
  const expected = [T0, firstAtOrAfter(Date.UTC(2025, 2, 3, 8)), firstAtOrAfter(Date.UTC(2025, 2, 3, 9)), firstAtOrAfter(Date.UTC(2025, 2, 3, 10))];
  assert.equal(expected[3], Date.UTC(2025, 2, 3, 10, 35));
  assert.deepEqual(ticks, [...expected, null], 'one commit per boundary, then the one at the end');

  const none = await replay(dir, 'none', false);
  assert.deepEqual(none, [null], 'with nothing to retain, one commit at the end');
  assert.deepEqual({ ...dumpHistory(join(dir, 'ticks.db')), ...dumpDetection(join(dir, 'ticks.db')) }, { ...dumpHistory(join(dir, 'none.db')), ...dumpDetection(join(dir, 'none.db')) });
});
