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
// ingest loop commits before the first event of a run, and before the first event at or past
// a multiple of the interval once history may have aged out there, whatever the commits by
// lines, users and alerts do; where it commits does not change what it stores.

const T0 = Date.UTC(2025, 2, 3, 7, 40, 0);
const stamp = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '').replace('.', ',');

/** 07:40 to 11:00 of sign-ins, one every 50 s from 20 users, with a quiet gap from 09:10 to 10:35. */
function times(): number[] {
  const out: number[] = [];
  for (let t = T0; t < T0 + 200 * 60_000; t += 50_000) if (t < Date.UTC(2025, 2, 3, 9, 10) || t >= Date.UTC(2025, 2, 3, 10, 35)) out.push(t);
  return out;
}

async function replay(dir: string, name: string, events: string | null): Promise<Array<number | null>> {
  const config = loadConfig();
  config.store.path = join(dir, `${name}.db`);
  config.store.retention = events === null ? { ...config.store.retention, events: null, alerts: null, incidents: null } : { ...config.store.retention, events };
  const ticks: Array<number | null> = [];
  const runtime = await createRuntime(config, { command: 'replay', log: silentLog, onCommit: (r) => void ticks.push(r.logTimeTick) });
  try {
    await replayFiles([join(dir, 'openunison.log')], runtime, {});
  } finally {
    await runtime.close();
  }
  return ticks;
}

test('a commit comes before the first event of a run, then before the first event of each hour once history may be old enough to go', async () => {
  const dir = tempDir('ouwatch-ticks-');
  const ts = times();
  writeFileSync(join(dir, 'openunison.log'), ts.map((t, i) => accessLine({ time: stamp(t), dn: `uid=u${i % 20},o=Tremolo`, ip: `10.0.${i % 20}.1` })).join('\n') + '\n');
  const firstAtOrAfter = (h: number, m = 0) => ts.find((t) => t >= Date.UTC(2025, 2, 3, h, m))!;

  // Kept for 90 days, nothing of three hours is old enough: the first pass only.
  const young = await replay(dir, 'young', '90d');
  assert.deepEqual(young, [T0, null], 'one commit before the first event, one at the end');

  // Kept for an hour: from 09:00 on, the 07:00 bucket may go. The boundary at 08:00 is
  // passed by; 10:00 had no event (the gap), the first after it, 10:35, gets the commit.
  const hour = await replay(dir, 'hour', '1h');
  assert.equal(firstAtOrAfter(10), Date.UTC(2025, 2, 3, 10, 35));
  assert.deepEqual(hour, [T0, firstAtOrAfter(9), firstAtOrAfter(10), null]);

  const none = await replay(dir, 'none', null);
  assert.deepEqual(none, [null], 'with nothing to retain, one commit at the end');
  assert.deepEqual({ ...dumpHistory(join(dir, 'young.db')), ...dumpDetection(join(dir, 'young.db')) }, { ...dumpHistory(join(dir, 'none.db')), ...dumpDetection(join(dir, 'none.db')) });
});
