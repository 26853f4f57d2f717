import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ByteClock } from '../../src/components/parse/byte-clock.js';
import { LogClock } from '../../src/components/parse/time.js';
import { accessLine, log4jTime } from '../helpers/lines.js';
import { kindOf, parseEvent } from './scan.js';

// log4j writes `yyyy-MM-dd HH:mm:ss,SSS` in the JVM's local time with no zone; ouwatch turns it
// into ISO 8601 UTC with milliseconds, reading it in the zone given by --tz (default UTC).
// Local times that occur twice (autumn) resolve to the earlier instant and local times that
// never occur (spring gap) move forward by the gap, as java.time does. Times before 1970 or
// more than a day ahead of the wall clock are not history but broken lines.

/** The stamp as the scanner reads it, from bytes (a fresh clock: no cached second). */
function isoAt(stamp: string, zone = 'UTC'): string | null {
  const ms = new ByteClock(zone).epochAt(Buffer.from(`[${stamp}]`), 1);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

const epochOf = (clock: ByteClock, stamp: string) => clock.epochAt(Buffer.from(`[${stamp}]`), 1);

describe('UTC (the default)', () => {
  const rows = [
    ['2022-03-23 09:40:37,266', '2022-03-23T09:40:37.266Z'],
    ['2022-03-23 09:40:37,007', '2022-03-23T09:40:37.007Z'],
    ['2022-03-23 09:40:37,000', '2022-03-23T09:40:37.000Z'],
    ['2024-02-29 23:59:59,999', '2024-02-29T23:59:59.999Z'],
    ['1999-12-31 23:59:59,999', '1999-12-31T23:59:59.999Z'],
    ['2001-09-09 01:46:40,000', '2001-09-09T01:46:40.000Z'],
  ] as const;
  for (const [stamp, iso] of rows) test(`${stamp} -> ${iso}`, () => assert.equal(isoAt(stamp), iso));

  test('an event carries the ISO time, with milliseconds, in its JSON', () => {
    const e = parseEvent(accessLine({ time: '2022-12-24 00:34:56,004' }));
    assert.equal(e.time, '2022-12-24T00:34:56.004Z');
  });

  test('lines of the same second share the cached second but keep their own milliseconds', () => {
    const clock = new ByteClock();
    const a = epochOf(clock, '2024-01-01 10:00:00,001');
    const bad = epochOf(clock, '2024-01-01 10:00:00,0x1');
    const b = epochOf(clock, '2024-01-01 10:00:00,999');
    assert.equal(b - a, 998);
    assert.ok(Number.isNaN(bad));
    assert.equal(epochOf(clock, '2024-01-01 10:00:01,000') - a, 999, 'the next second');
    assert.ok(Number.isNaN(epochOf(clock, '2024-02-30 10:00:01,000')));
    assert.ok(Number.isNaN(epochOf(clock, '2024-02-30 10:00:01,000')), 'a cached second that is not a time stays not a time');
    assert.equal(epochOf(clock, '2024-01-01 10:00:00,999'), b, 'and the clock recovers');
  });
});

describe('--tz zones', () => {
  const rows = [
    ['Europe/Stockholm', '2024-01-15 12:00:00,123', '2024-01-15T11:00:00.123Z', 'winter, UTC+1'],
    ['Europe/Stockholm', '2024-07-15 12:00:00,123', '2024-07-15T10:00:00.123Z', 'summer, UTC+2'],
    ['America/New_York', '2024-01-15 12:00:00,000', '2024-01-15T17:00:00.000Z', 'winter, UTC-5'],
    ['America/New_York', '2024-07-15 12:00:00,000', '2024-07-15T16:00:00.000Z', 'summer, UTC-4'],
    ['Asia/Kolkata', '2024-01-01 00:00:00,000', '2023-12-31T18:30:00.000Z', 'UTC+5:30, across a year boundary'],
    ['Asia/Kathmandu', '2024-06-01 05:45:00,500', '2024-06-01T00:00:00.500Z', 'UTC+5:45'],
    ['Etc/UTC', '2024-06-01 05:45:00,500', '2024-06-01T05:45:00.500Z', 'an alias of UTC'],
    // Spring forward in Stockholm: 2024-03-31 02:00 CET becomes 03:00 CEST (01:00Z).
    ['Europe/Stockholm', '2024-03-31 01:59:59,999', '2024-03-31T00:59:59.999Z', 'just before the spring gap'],
    ['Europe/Stockholm', '2024-03-31 03:00:00,000', '2024-03-31T01:00:00.000Z', 'just after the spring gap'],
    ['Europe/Stockholm', '2024-03-31 02:30:00,000', '2024-03-31T01:30:00.000Z', 'inside the spring gap: moved forward by the gap (03:30 CEST)'],
    // Fall back in Stockholm: 2024-10-27 03:00 CEST becomes 02:00 CET (01:00Z); 02:xx happens twice.
    ['Europe/Stockholm', '2024-10-27 01:59:59,000', '2024-10-26T23:59:59.000Z', 'just before the repeated hour'],
    ['Europe/Stockholm', '2024-10-27 02:30:00,000', '2024-10-27T00:30:00.000Z', 'inside the repeated hour: the earlier instant (CEST)'],
    ['Europe/Stockholm', '2024-10-27 03:00:00,000', '2024-10-27T02:00:00.000Z', 'just after the repeated hour'],
    // The same rules west of UTC: New York.
    ['America/New_York', '2024-03-10 02:30:00,000', '2024-03-10T07:30:00.000Z', 'inside the spring gap: moved forward (03:30 EDT)'],
    ['America/New_York', '2024-11-03 01:30:00,000', '2024-11-03T05:30:00.000Z', 'inside the repeated hour: the earlier instant (EDT)'],
    ['America/New_York', '2024-11-03 02:00:00,000', '2024-11-03T07:00:00.000Z', 'after the repeated hour (EST)'],
    // Lord Howe Island moves by 30 minutes.
    ['Australia/Lord_Howe', '2024-04-07 01:45:00,000', '2024-04-06T14:45:00.000Z', 'a 30-minute repeated half hour: the earlier instant'],
  ] as const;
  for (const [zone, stamp, iso, what] of rows) {
    test(`${zone} ${stamp} (${what}) -> ${iso}`, () => assert.equal(isoAt(stamp, zone), iso));
  }

  test('--tz applies to the events of a log', () => {
    const e = parseEvent(accessLine({ time: '2024-07-15 12:00:00,123' }), 'f', 1, 'Europe/Stockholm');
    assert.equal(e.time, '2024-07-15T10:00:00.123Z');
  });

  test('an unknown zone is refused with a message naming it', () => {
    assert.throws(() => LogClock.validateZone('Mars/Olympus_Mons'), /unknown time zone 'Mars\/Olympus_Mons'/);
    assert.throws(() => LogClock.validateZone('UTC+25'), /unknown time zone/);
    LogClock.validateZone('Europe/Stockholm');
  });
});

describe('dates that do not exist are not events', () => {
  const bad = [
    '2023-02-29 00:00:00,000',
    '2024-04-31 00:00:00,000',
    '2024-13-01 00:00:00,000',
    '2024-00-10 00:00:00,000',
    '2024-01-00 00:00:00,000',
    '2024-01-01 24:00:00,000',
    '2024-01-01 23:60:00,000',
    '2024-01-01 23:59:60,000',
    '2024-01-01 23:59:59,99x',
    '2024-01-01 23:59:59;999',
    '2024-01-01_23:59:59,999',
    '2024-02-30T10:00:00.000Z',
  ];
  for (const stamp of bad) {
    test(`${stamp} is rejected`, () => {
      assert.equal(isoAt(stamp), null);
      assert.equal(isoAt(stamp, 'Europe/Stockholm'), null);
      assert.equal(kindOf(accessLine({ time: stamp })), 'malformed');
    });
  }
});

describe('ISO 8601 stamps, as a custom log4j2 layout writes them', () => {
  // OpenUnison's own layout writes the stamp above; an operator's log4j2.xml (the Helm chart's
  // debugConfigMap) may write `%d{ISO8601}` (a `T`), `.SSS`, or a zone designator (`%d{ISO8601_OFFSET_DATE_TIME_HHCMM}`,
  // `XXX`, `Z`). The separators change nothing; a designator is the line's own zone and wins over --tz.
  const rows = [
    ['2024-01-01T23:59:59,999', 'UTC', '2024-01-01T23:59:59.999Z', "log4j2's %d{ISO8601}"],
    ['2024-01-01 23:59:59.999', 'UTC', '2024-01-01T23:59:59.999Z', 'a dot before the milliseconds'],
    ['2024-07-15T12:00:00.123', 'Europe/Stockholm', '2024-07-15T10:00:00.123Z', 'no designator: the configured zone'],
    ['2024-01-01T23:59:59.999Z', 'UTC', '2024-01-01T23:59:59.999Z', 'Z'],
    ['2024-01-01T23:59:59.999Z', 'Europe/Stockholm', '2024-01-01T23:59:59.999Z', 'Z wins over --tz'],
    ['2024-01-01T23:59:59,999+01:00', 'UTC', '2024-01-01T22:59:59.999Z', '+hh:mm'],
    ['2024-01-01T23:59:59,999+0100', 'UTC', '2024-01-01T22:59:59.999Z', '+hhmm'],
    ['2024-01-01T23:59:59,999+01', 'UTC', '2024-01-01T22:59:59.999Z', '+hh'],
    ['2024-01-01 23:59:59,999-05:30', 'UTC', '2024-01-02T05:29:59.999Z', 'west of UTC, into the next day'],
    ['2024-07-15 12:00:00,123+02:00', 'America/New_York', '2024-07-15T10:00:00.123Z', 'an offset wins over --tz'],
    ['2024-03-31 02:30:00,000+01:00', 'Europe/Stockholm', '2024-03-31T01:30:00.000Z', 'a wall time inside a spring gap is exact with its offset'],
  ] as const;
  for (const [stamp, zone, iso, what] of rows) {
    test(`${stamp} in ${zone} (${what}) -> ${iso}`, () => {
      assert.equal(isoAt(stamp, zone), iso);
      // The whole line: the header's other fields are found after a longer stamp too.
      const e = parseEvent(accessLine({ time: stamp }), 'f', 1, zone);
      assert.equal(e.time, iso);
      assert.equal(e.thread, 'XNIO-1 task-4');
      assert.equal(e.dn, 'uid=mmosley,ou=shadow,o=Tremolo');
      assert.equal(e.ip, '81.2.69.142');
    });
  }

  const badZones = ['+19:00', '+01:60', '+1', '+01:0', '+0', ' Z', 'z', 'UTC', '+01:00Z'];
  for (const zone of badZones) {
    test(`a stamp ending in '${zone}' makes the line malformed`, () => {
      assert.equal(kindOf(accessLine({ time: `2024-01-01T10:00:00,000${zone}` })), 'malformed');
    });
  }

  test('stamps with and without a designator in one log do not share a cached second', () => {
    const clock = new ByteClock('Europe/Stockholm');
    const local = epochOf(clock, '2024-01-15 12:00:00,000');
    assert.equal(new Date(local).toISOString(), '2024-01-15T11:00:00.000Z');
    assert.equal(new Date(epochOf(clock, '2024-01-15 12:00:00,000Z')).toISOString(), '2024-01-15T12:00:00.000Z');
    assert.equal(new Date(epochOf(clock, '2024-01-15 12:00:00,000+02:00')).toISOString(), '2024-01-15T10:00:00.000Z');
    assert.equal(epochOf(clock, '2024-01-15 12:00:00,500'), local + 500);
  });

  test('the limits apply to the instant: before 1970 once its offset is taken off', () => {
    assert.equal(isoAt('1970-01-01 00:30:00,000+01:00'), null);
    assert.equal(isoAt('1970-01-01 00:30:00,000-01:00'), '1970-01-01T01:30:00.000Z');
    assert.equal(isoAt(`${log4jTime(Date.now() + 2 * 86_400_000)}Z`), null);
  });
});

describe('times that are not history: before 1970, or more than a day ahead of now', () => {
  // Times relative to now are made when the test runs, not when the file is loaded: a test
  // process loads its files first, and a minute may pass before this one runs.
  const bad: Array<[string, () => string]> = [
    ['the year 1 (0001-01-01)', () => '0001-01-01 00:00:00,000'],
    ['1969', () => '1969-12-31 23:59:59,999'],
    ['the year 9999', () => '9999-12-31 23:59:59,999'],
    ['past the 32-bit seconds (2038-01-19 03:14:08,001)', () => '2038-01-19 03:14:08,001'],
    ['two days from now', () => log4jTime(Date.now() + 2 * 86_400_000)],
    ['a day and a minute from now', () => log4jTime(Date.now() + 86_400_000 + 60_000)],
  ];
  for (const [what, at] of bad) {
    test(`${what} makes the line malformed`, () => {
      const stamp = at();
      assert.equal(isoAt(stamp), null, stamp);
      assert.equal(kindOf(accessLine({ time: stamp })), 'malformed', stamp);
    });
  }
  test('1970-01-01 00:00:00,000 UTC, the first moment accepted', () => {
    assert.equal(isoAt('1970-01-01 00:00:00,000'), '1970-01-01T00:00:00.000Z');
  });
  test('the same wall time can be before 1970 in a zone east of UTC', () => {
    assert.equal(isoAt('1970-01-01 00:30:00,000', 'Europe/Stockholm'), null);
    assert.equal(isoAt('1970-01-01 01:30:00,000', 'Europe/Stockholm'), '1970-01-01T00:30:00.000Z');
  });
  test('a line dated a few hours ahead (a clock a little off) is still an event', () => {
    const stamp = log4jTime(Date.now() + 3 * 3_600_000);
    assert.equal(kindOf(accessLine({ time: stamp })), 'event');
  });
});
