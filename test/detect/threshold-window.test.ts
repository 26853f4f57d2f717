import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Window, windowCodec, windowShape } from '../../src/components/detect/detectors/threshold-window.js';

// A threshold rule's window per key stays bounded whatever the rate of its events: the newest
// event times one by one (at least the threshold), older ones counted per bucket of log time,
// and each distinct or spread value with the time it was last seen.

const MIN = 60_000;
const shape = windowShape(6, 5 * MIN);
const codec = windowCodec(5 * MIN, shape);

/** `count` events `gap` ms apart from `t0`, each slid into the window first, as the detector does. */
function fill(w: Window, t0: number, count: number, gap: number, value: (i: number) => string | null, spread: (i: number) => string | null = () => null): void {
  for (let i = 0; i < count; i++) {
    const ts = t0 + i * gap;
    w.slide(ts - 5 * MIN);
    w.add(ts, value(i), spread(i));
  }
}

const entries = (m: Map<string, number> | null): Array<[string, number]> => [...(m ?? [])];

test('15,000 events of one value in 5 minutes: the window keeps 256 times and 64 buckets at most, counts them all, and stores in a few KB', () => {
  const w = new Window(shape);
  fill(w, 0, 15_000, 20, () => 'https://k8sou.example.com/api/v1/namespaces/kube-system/secrets');
  assert.equal(w.size, 15_000);
  assert.equal(w.distinctValues, 1);
  assert.ok(w.times.length - w.head <= 256, `${w.times.length - w.head} times`);
  assert.ok(w.older.length <= 65, `${w.older.length} buckets`);
  const stored = codec.encode(w);
  assert.ok(stored.length < 5_000, `${stored.length} bytes stored`);

  // Another 15,000 later: the first ones leave; the count is exact within one bucket (5 min / 64).
  fill(w, 15_000 * 20, 15_000, 20, () => 'https://k8sou.example.com/api/v1/namespaces/kube-system/secrets');
  const inWindow = 5 * MIN / 20 + 1;
  assert.ok(w.size >= inWindow && w.size <= inWindow + Math.ceil((5 * MIN) / 64 / 20), `${w.size} events counted, ${inWindow} in the window`);
  assert.equal(w.firstTime <= 30_000 * 20 - 20 - 5 * MIN, true);
});

test('a value counts while its last event is in the window, to the millisecond; the newest threshold events are exact', () => {
  const w = new Window(shape);
  w.add(1_000, 'a', null);
  w.add(2_000, 'b', null);
  w.add(3_000, 'a', null);
  w.slide(2_000);
  assert.deepEqual(entries(w.latest).map(([v]) => v), ['b', 'a']);
  w.slide(2_001);
  assert.deepEqual(entries(w.latest).map(([v]) => v), ['a'], 'b left at 2,001 ms; a, seen again at 3,000 ms, stays');
  assert.equal(w.size, 1);
  w.slide(3_001);
  assert.equal(w.empty, true);
  assert.equal(w.distinctValues, 0);
});

test('stored and read back, a window decides as before; a row stored before windows were bounded (a value per event) is read into one', () => {
  const w = new Window(shape);
  fill(w, 0, 1_000, 100, (i) => `u${i % 5}`, (i) => `10.0.0.${i % 3}`);
  w.evidence = [{ source: 'app.log:1', line: 'first' }];
  w.lastIp = '10.0.0.2';
  const back = codec.decode(codec.encode(w))!;
  assert.deepEqual(
    [back.size, entries(back.latest), entries(back.spreadLatest), back.firstTime, back.lastTime, back.evidence, back.lastIp],
    [w.size, entries(w.latest), entries(w.spreadLatest), w.firstTime, w.lastTime, w.evidence, w.lastIp],
  );

  const old = JSON.stringify([[1_000, 2_000, 3_000], ['a', '', 'b'], [['app.log:7', 'a line']], '10.0.0.1', null, null, 'uid=x', 'sha', ['10.0.0.1', '10.0.0.2', '10.0.0.1']]);
  const read = codec.decode(old)!;
  assert.deepEqual([read.size, entries(read.latest), entries(read.spreadLatest), read.evidence, read.lastDn], [3, [['a', 1_000], ['b', 3_000]], [['10.0.0.2', 2_000], ['10.0.0.1', 3_000]], [{ source: 'app.log:7', line: 'a line' }], 'uid=x']);
  assert.equal(codec.decode('{"not":"a window"}'), null);
  assert.equal(codec.decode('[1,2,3]'), null);
});

test('a window that counts no values (most rules) holds no map of them, and is stored and read back the same way', () => {
  const w = new Window(shape);
  fill(w, 0, 10, 1_000, () => null);
  assert.equal(w.size, 10);
  // An empty Map costs about 180 bytes, twice per window: tens of thousands of windows when many people fail now and then.
  assert.equal(w.latest, null);
  assert.equal(w.spreadLatest, null);
  const stored = JSON.parse(codec.encode(w)) as unknown[];
  assert.deepEqual([stored[1], stored[8]], [[], []], 'no values: empty lists, as an empty map was stored');
  const back = codec.decode(codec.encode(w))!;
  assert.deepEqual([back.latest, back.spreadLatest, back.size, back.distinctValues, back.spreadValues], [null, null, 10, 0, 0]);
  // A value arriving later makes the map then.
  back.add(20_000, 'a', '10.0.0.1');
  assert.deepEqual([entries(back.latest), entries(back.spreadLatest)], [[['a', 20_000]], [['10.0.0.1', 20_000]]]);
});

test('an event older than the newest (a line logged out of order, or lines read again) is kept in time order: the first and last times stay true, and a value keeps its latest time', () => {
  const w = new Window(shape);
  for (const [ts, v] of [[10 * MIN, 'a'], [12 * MIN, 'b'], [11 * MIN, 'a'], [9 * MIN, 'c']] as const) {
    w.slide(ts - 5 * MIN);
    w.add(ts, v, null);
  }
  assert.deepEqual(w.times.slice(w.head), [9 * MIN, 10 * MIN, 11 * MIN, 12 * MIN]);
  assert.equal(w.firstTime, 9 * MIN);
  assert.equal(w.lastTime, 12 * MIN);
  assert.equal(w.size, 4);
  // 'a' was last seen at 11 min (the line read later is older than none of it): not moved back.
  assert.equal(w.latest?.get('a'), 11 * MIN);
  // Sliding past 10 min drops the first two events and 'c' (last seen at 9 min).
  w.slide(10 * MIN + 1);
  assert.deepEqual(w.times.slice(w.head), [11 * MIN, 12 * MIN]);
  assert.deepEqual(new Set(w.latest?.keys()), new Set(['a', 'b']));
});
