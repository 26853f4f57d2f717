import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseTimeSpec } from '../../src/core/time-spec.js';

const NOW = Date.parse('2026-03-05T12:00:00Z');

test('ISO 8601 dates and times; no zone means UTC', () => {
  assert.equal(parseTimeSpec('2026-03-02', NOW), Date.parse('2026-03-02T00:00:00Z'));
  assert.equal(parseTimeSpec('2026-03-02T10:00', NOW), Date.parse('2026-03-02T10:00:00Z'));
  assert.equal(parseTimeSpec('2026-03-02T10:00:05.250Z', NOW), Date.parse('2026-03-02T10:00:05.250Z'));
  assert.equal(parseTimeSpec('2026-03-02T10:00+01:00', NOW), Date.parse('2026-03-02T09:00:00Z'));
  assert.equal(parseTimeSpec('2026-03-02 10:00', NOW), Date.parse('2026-03-02T10:00:00Z'));
});

test('durations count back from now', () => {
  assert.equal(parseTimeSpec('90m', NOW), NOW - 90 * 60_000);
  assert.equal(parseTimeSpec('24h', NOW), NOW - 86_400_000);
  assert.equal(parseTimeSpec('7d', NOW), NOW - 7 * 86_400_000);
  assert.equal(parseTimeSpec('2w', NOW), NOW - 14 * 86_400_000);
});

test("anything else is refused, however Date.parse would read it", () => {
  // Date.parse("' or 1=1") is 2001-01-01 in V8: the old --since took it.
  assert.ok(!Number.isNaN(Date.parse("' or 1=1")));
  for (const bad of ["' or 1=1", 'yesterday', '1', '2026', '2026-02-30', '2026-13-01', '24 h', 'March 2, 2026', '10:00', '-1d', '']) {
    assert.equal(parseTimeSpec(bad, NOW), null, bad);
  }
});
