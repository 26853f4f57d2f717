import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EVENT_TYPES } from '../../src/core/events.js';
import { countsJson } from '../../src/components/history/writes.js';

test("a user's counts written from history's own state are the JSON the copies' counts give: the types above zero, in order", () => {
  const copy = (counts: number[]) => {
    const o: Record<string, number> = {};
    counts.forEach((n, i) => {
      if (n > 0) o[EVENT_TYPES[i]] = n;
    });
    return JSON.stringify(o);
  };
  const none = EVENT_TYPES.map(() => 0);
  const cases = [none, EVENT_TYPES.map((_, i) => i + 1), EVENT_TYPES.map((_, i) => (i % 3 === 0 ? 0 : 1_000_000 * i)), none.map((n, i) => (i === EVENT_TYPES.length - 1 ? 7 : n))];
  for (const counts of cases) {
    assert.equal(countsJson(counts), copy(counts));
    assert.deepEqual(JSON.parse(countsJson(counts)), JSON.parse(copy(counts)));
  }
  assert.equal(countsJson(none), '{}');
});
