import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ExportRecords } from '../../src/components/decode/export-record.js';
import { WallClock } from '../../src/components/decode/wall-clock.js';

// A JSON event's time is read and written back as log4j's local time. Both sides keep what
// they computed last (the minute parsed, the second written), because records come in time
// order; what they answer must not depend on that: these compare them, over sequences that
// go back and forth, with the plain computation.

/** A small seeded generator: the same sequence at every run. */
function random(seed: number): (n: number) => number {
  let x = seed;
  return (n) => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x % n;
  };
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');

/** What the time of `@timestamp` must be: Date.parse of the whole instant, at millisecond precision. */
function expectedMillis(s: string): number | null {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:[.,](\d+))?(Z|[+-]\d{2}:?\d{2})$/.exec(s);
  if (m === null) return null;
  const zone = m[3] === 'Z' ? 'Z' : m[3].length === 5 ? `${m[3].slice(0, 3)}:${m[3].slice(3)}` : m[3];
  const ms = Date.parse(`${m[1]}.${(m[2] ?? '').padEnd(3, '0').slice(0, 3)}${zone}`);
  return Number.isNaN(ms) ? null : ms;
}

function utcText(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)} ${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)},${pad(d.getUTCMilliseconds(), 3)}`;
}

describe('times of JSON events', () => {
  test('an ECS @timestamp is the instant Date.parse reads, invalid fields and 24:00 included, in any order', () => {
    const records = new ExportRecords(new WallClock('UTC'));
    const r = random(11);
    let minute = '';
    for (let i = 0; i < 20_000; i++) {
      // Runs of ten in one minute (a new minute every tenth), each with any seconds and zone.
      if (i % 10 === 0) minute = `${pad([1969, 1970, 2024, 2026][r(4)], 4)}-${pad(r(14), 2)}-${pad(r(33), 2)}T${pad(r(26), 2)}:${pad(r(62), 2)}`;
      const instant = `${minute}:${pad(r(62), 2)}${['', '.5', '.123', ',1234567'][r(4)]}${['Z', '+01:00', '-0530', '+25:00'][r(4)]}`;
      const ms = expectedMillis(instant);
      const lines = records.linesOf({ '@timestamp': instant, 'log.level': 'INFO', 'log.logger': 'com.tremolosecurity.log.AccessLog', message: 'm' });
      assert.deepEqual(lines, ms === null ? null : [`[${utcText(ms)}][] INFO  AccessLog - m`], instant);
    }
  });

  test('the log4j time of an instant is the same whichever instants came before it (UTC, before 1970, and across DST changes)', () => {
    for (const zone of ['UTC', 'Europe/Berlin', 'America/St_Johns', 'Australia/Lord_Howe']) {
      const kept = new WallClock(zone);
      const r = random(7);
      let ms = zone === 'UTC' ? -5_000 : Date.UTC(2026, 2, 29, 0, 0, 0) - 5_000;
      for (let i = 0; i < 5_000; i++) {
        ms += r(3) === 0 ? r(2_000) - 500 : r(200_000);
        assert.equal(kept.format(ms), new WallClock(zone).format(ms), `${zone} at ${ms}`);
      }
    }
  });
});
