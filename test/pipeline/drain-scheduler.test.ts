import assert from 'node:assert/strict';
import { setImmediate as tick } from 'node:timers/promises';
import { test } from 'node:test';
import { DrainScheduler } from '../../src/pipeline/drain-scheduler.js';

/** A drain that takes a few turns of the event loop and records when it ran. */
function recordingDrain(log: string[], busy: { asks: number }, scheduler: () => DrainScheduler) {
  let n = 0;
  return async () => {
    const id = ++n;
    log.push(`drain ${id} start`);
    await tick();
    // A busy log: each drain is asked for again while it runs (a batch arrives).
    if (busy.asks-- > 0) scheduler().schedule();
    await tick();
    log.push(`drain ${id} end`);
  };
}

test('exclusive work runs after the drain in progress, before the drains asked meanwhile, with none beside it', async () => {
  const log: string[] = [];
  const busy = { asks: 0 };
  const s: DrainScheduler = new DrainScheduler(recordingDrain(log, busy, () => s));
  s.schedule();
  const done = s.exclusive(async () => {
    log.push('work start');
    // A batch arrives while the work awaits its store: its drain waits.
    s.schedule();
    await tick();
    await tick();
    log.push('work end');
  });
  await done;
  while (s.running !== null) await s.running;
  assert.deepEqual(log, ['drain 1 start', 'drain 1 end', 'work start', 'work end', 'drain 2 start', 'drain 2 end']);
});

test('on a loop that is never idle (every drain asks for another) exclusive work still gets its turn', async () => {
  const log: string[] = [];
  const busy = { asks: 1_000 };
  const s: DrainScheduler = new DrainScheduler(recordingDrain(log, busy, () => s));
  s.schedule();
  await s.exclusive(async () => {
    log.push('work');
  });
  assert.deepEqual(log.slice(0, 3), ['drain 1 start', 'drain 1 end', 'work']);
  busy.asks = 0;
  while (s.running !== null) await s.running;
});

test('a failure of exclusive work reaches its caller, and drains asked meanwhile still run', async () => {
  const log: string[] = [];
  const s: DrainScheduler = new DrainScheduler(recordingDrain(log, { asks: 0 }, () => s));
  await assert.rejects(
    s.exclusive(async () => {
      s.schedule();
      throw new Error('store unreachable');
    }),
    /store unreachable/,
  );
  while (s.running !== null) await s.running;
  assert.deepEqual(log, ['drain 1 start', 'drain 1 end']);
});
