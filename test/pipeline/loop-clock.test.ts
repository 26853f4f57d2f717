import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LoopClock } from '../../src/pipeline/loop-clock.js';

/** A clock whose time the test moves; `beats(n)` runs n heartbeats 10 ms apart. */
function fakeClock(): { clock: LoopClock; advance(ms: number): void; beats(n: number): void; now(): number } {
  let t = 1_000;
  const clock = new LoopClock(() => t);
  return {
    clock,
    advance: (ms) => {
      t += ms;
    },
    beats(n) {
      for (let i = 0; i < n; i++) {
        t += 10;
        clock.beat();
      }
    },
    now: () => t,
  };
}

test('while the loop beats on time, its free time is the wall time', () => {
  const c = fakeClock();
  const from = c.now();
  c.beats(50);
  assert.equal(c.clock.since(from), 500);
});

test('a stall (the process stopped, a long synchronous task) is not free time, once the next beat has seen it or while it is overdue', () => {
  const c = fakeClock();
  c.clock.start();
  try {
    const from = c.now();
    c.beats(10); // 100 ms free
    c.advance(3_000); // stopped for 3 s: the next beat is late
    // Before the heartbeat runs (the merge's timer fired first after the stall): overdue.
    assert.equal(c.clock.since(from), 110);
    c.advance(10);
    c.clock.beat();
    assert.equal(c.clock.since(from), 110);
    c.beats(20);
    assert.equal(c.clock.since(from), 310);
    // From a moment inside the stall: only the 200 ms of beats after it.
    assert.equal(c.clock.since(from + 2_000), 200);
  } finally {
    c.clock.stop();
  }
});

test('a moment inside a stall counts only the stall after it; jitter under the threshold is free time', () => {
  const c = fakeClock();
  const start = c.now();
  c.beats(1);
  c.advance(1_000); // the beat due at start+20 comes at start+1020: stalled in between
  c.beats(1);
  assert.equal(c.clock.since(start + 10), 10);
  assert.equal(c.clock.since(start + 500), 0);
  const later = c.now();
  c.advance(12); // a beat 12 ms late: jitter
  c.beats(1);
  assert.equal(c.clock.since(later), 22);
});

test('stalls older than a minute are forgotten (a bounded list)', () => {
  const c = fakeClock();
  for (let i = 0; i < 100; i++) {
    c.advance(1_000);
    c.beats(1);
  }
  const from = c.now() - 30_000;
  // 30 s back: thirty stalls of 1 s each ended since, each after 10 ms of free time.
  assert.ok(Math.abs(c.clock.since(from) - 300) <= 10, String(c.clock.since(from)));
});
