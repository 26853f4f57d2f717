import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AddressTrim, MAX_ADDRESSES_HELD, TRIM_ABOVE } from '../../src/components/history/address-trim.js';
import { User } from '../../src/components/history/user.js';
import { AddressState } from '../../src/components/history/user-state.js';

const DAY = 86_400_000;
const NOW = Date.parse('2026-03-30T12:00:00Z');
const KEPT_FOR = 2 * DAY;

/** A user seen at NOW whose addresses were last seen at the given times (all stored: clean). */
function userWith(lastSeen: number[], dn = 'uid=alice,ou=users,o=Tremolo'): User {
  const u = new User(dn, 'sha1', NOW - 30 * DAY, NOW);
  lastSeen.forEach((t, i) => {
    const a = new AddressState(`81.2.${i}.10`, `81.2.${i}.0/24`, 'GB', 2856, 'BT', t - DAY, t);
    a.count = 3;
    u.addresses.set(a.ip, a);
  });
  return u;
}

const none = () => false;

/** What a commit does before trimming: every change is stored. */
function stored(u: User): void {
  for (const a of u.addresses.values()) a.dirty = false;
  u.dirtyAddresses = [];
  u.dirty = false;
}

test('a user with more than a few addresses lets go of those last seen before its keep window, once stored', () => {
  const old = Array.from({ length: TRIM_ABOVE }, (_, i) => NOW - (10 + i) * DAY);
  const u = userWith([...old, NOW - DAY, NOW - 3_600_000]);
  const trim = new AddressTrim(KEPT_FOR);
  trim.committed([u], none);
  assert.equal(u.addresses.size, 2, 'the two addresses of the last two days stay');
  assert.equal(trim.letGo, TRIM_ABOVE);
  assert.equal(u.holdsAllAddresses, false);
  assert.equal(u.oldestLetGo, NOW - (10 + TRIM_ABOVE - 1) * DAY, 'the oldest last-seen time let go is kept (retention reads the user again past it)');
  assert.equal(u.hasAddressSeenBefore(NOW - 12 * DAY), true, 'an address let go still counts for retention');
  assert.equal(trim.active, true, 'batches are read back from now on');
});

test('a user with few addresses keeps them all, however old', () => {
  const u = userWith(Array.from({ length: TRIM_ABOVE }, (_, i) => NOW - (10 + i) * DAY));
  const trim = new AddressTrim(KEPT_FOR);
  trim.committed([u], none);
  assert.equal(u.addresses.size, TRIM_ABOVE);
  assert.equal(u.holdsAllAddresses, true);
  assert.equal(trim.active, false, 'nothing to read back');
});

test('a user a batch in flight names keeps every address until a commit after that batch', () => {
  const u = userWith(Array.from({ length: 12 }, (_, i) => NOW - (10 + i) * DAY));
  const trim = new AddressTrim(KEPT_FOR);
  let asked = 0;
  trim.committed([u], (dn) => {
    asked++;
    return dn === u.dn;
  });
  assert.equal(u.addresses.size, 12, 'the batch was prepared against these addresses');
  // The next commit does not name the user (the batch was processed, the user did not change): it is trimmed then.
  trim.committed([], none);
  assert.equal(u.addresses.size, 0);
  assert.equal(asked, 1);
});

test('what detection still needs stays: changed, the last geolocated success, and learnt places', () => {
  const u = userWith(Array.from({ length: 12 }, (_, i) => NOW - (10 + i) * DAY));
  const [dirty, geo, learnt] = u.addresses.values();
  dirty.dirty = true;
  u.lastGeo = { ts: geo.lastSeen, ip: geo.ip, country: 'GB', lat: 51.5, lon: -0.1, radiusKm: 50, line: { source: 'x.log:1', line: 'a line' } };
  u.learn(learnt);
  stored(u);
  dirty.dirty = true;
  const trim = new AddressTrim(KEPT_FOR);
  trim.committed([u], none);
  assert.deepEqual(
    u.addresses.values().map((a) => a.ip),
    [dirty.ip, geo.ip],
  );
  assert.equal(u.learntLetGo, 1, 'the learnt address let go still counts among the user\'s own');
  assert.equal(u.learntLetGoIn(learnt.net), true, 'its network still shows the user there');
  assert.equal(u.learntLetGoIn('81.2.99.0/24'), false);
  assert.equal(u.knowsNet(learnt.net), true, 'learnt places are the user\'s, not the memory\'s');
});

test('addresses an open alert keeps from being learnt go once past the window like any other: a thief succeeding from a new address every hour does not grow the user', () => {
  // Thirty days of a thief's successes from 720 addresses, all quarantined by one alert nobody has closed yet.
  const u = userWith(Array.from({ length: 720 }, (_, i) => NOW - i * 3_600_000));
  for (const a of u.addresses.values()) {
    a.successCount = 1;
    a.firstSuccess = a.lastSuccess = a.lastSeen;
    a.quarantinedBy = 'alert-1';
  }
  const trim = new AddressTrim(KEPT_FOR, Number.POSITIVE_INFINITY);
  trim.committed([u], none);
  assert.equal(u.addresses.size, 2 * 24 + 1, 'those of the last two days stay (a detector may look back at them)');
  assert.ok(u.addresses.values().every((a) => a.lastSeen >= NOW - KEPT_FOR));
  assert.equal(trim.letGo, 720 - 49);
  assert.equal(u.learntLetGo, 0, 'none of them is the user\'s own');
});

test('an address read back is held again and no longer counted as let go', () => {
  const u = userWith(Array.from({ length: 12 }, (_, i) => NOW - (10 + i) * DAY));
  const first = u.addresses.values()[0];
  u.learn(first);
  stored(u);
  new AddressTrim(KEPT_FOR).committed([u], none);
  assert.equal(u.learntLetGo, 1);
  u.readBack(AddressState.from(first));
  assert.equal(u.addresses.get(first.ip)?.learnt, true);
  assert.equal(u.learntLetGo, 0);
});

test('a user changed after its commit is not trimmed by a later one that finds it waiting', () => {
  const u = userWith(Array.from({ length: 12 }, (_, i) => NOW - (10 + i) * DAY));
  const trim = new AddressTrim(KEPT_FOR);
  trim.committed([u], (dn) => dn === u.dn);
  u.dirty = true; // an event of the user was processed since
  trim.committed([], none);
  assert.equal(u.addresses.size, 12);
});

test('a user over its cap of addresses (a spray) lets go of those that never succeeded, least recently seen first, down to half the cap, however recent', () => {
  // 40 addresses of the last hour: the 5 oldest succeeded (learnt), the other 35 were only denied (one quarantined by the spray's alert).
  const u = userWith(Array.from({ length: 40 }, (_, i) => NOW - 3_600_000 + i * 60_000));
  const all = u.addresses.values();
  all.slice(0, 5).forEach((a) => {
    a.successCount = 1;
    a.firstSuccess = a.lastSuccess = a.lastSeen;
    a.learnt = true;
  });
  all[6].quarantinedBy = 'alert-1';
  const trim = new AddressTrim(KEPT_FOR, 16);
  trim.committed([u], none);
  assert.equal(trim.letGo, 32);
  assert.deepEqual(
    u.addresses.values().map((a) => a.ip).sort(),
    [...all.slice(0, 5), ...all.slice(37)].map((a) => a.ip).sort(),
    'those that succeeded stay, however old, and the three most recent denials',
  );
  assert.equal(u.holdsAllAddresses, false);
  assert.equal(u.learntLetGo, 0);

  const few = userWith(Array.from({ length: 16 }, (_, i) => NOW - i * 60_000));
  trim.committed([few], none);
  assert.equal(few.addresses.size, 16, 'at the cap nothing goes');
});

test('over its cap, a user lets go of the addresses an open alert keeps from being learnt once those that never succeeded are gone; its own, never', () => {
  // The last hour's 40 addresses: 5 learnt, then 10 a thief succeeded from (quarantined), then 25 only denied, the most recent.
  const u = userWith(Array.from({ length: 40 }, (_, i) => NOW - 3_600_000 + i * 60_000));
  const all = u.addresses.values();
  all.slice(0, 15).forEach((a, i) => {
    a.successCount = 1;
    a.firstSuccess = a.lastSuccess = a.lastSeen;
    if (i < 5) a.learnt = true;
    else a.quarantinedBy = 'alert-1';
  });
  const trim = new AddressTrim(KEPT_FOR, 16);
  trim.committed([u], none);
  assert.equal(trim.letGo, 32, 'down to half the cap');
  assert.deepEqual(
    u.addresses.values().map((a) => a.ip).sort(),
    [...all.slice(0, 5), ...all.slice(12, 15)].map((a) => a.ip).sort(),
    'the learnt five stay, and the three most recent of the thief\'s; every denial went first, however recent',
  );
  assert.equal(u.learntLetGo, 0);
});

/** `n` addresses of the last hour, one a minute, the oldest first; the first `learnt` of them the user's own. */
function userOfTheHour(dn: string, n: number, learnt = 0): User {
  const u = userWith(Array.from({ length: n }, (_, i) => NOW - 3_600_000 + i * 60_000), dn);
  u.addresses.values().slice(0, learnt).forEach((a) => {
    a.successCount = 1;
    a.firstSuccess = a.lastSuccess = a.lastSeen;
    a.learnt = true;
  });
  return u;
}

test('over the budget of addresses not their own, the users holding most of them let go first, down to half the budget; each keeps its own and a few', () => {
  // A storm at every account: each under its own cap, together over a budget of 100 (105 not their own).
  const heavy = userOfTheHour('uid=heavy,o=Tremolo', 62, 2); // 60 not its own
  const medium = userOfTheHour('uid=medium,o=Tremolo', 20); // 20 not its own: the 10 oldest a thief succeeded from
  medium.addresses.values().slice(0, 10).forEach((a) => {
    a.successCount = 1;
    a.quarantinedBy = 'alert-1';
  });
  const light = userOfTheHour('uid=light,o=Tremolo', TRIM_ABOVE); // few: keeps them all
  const busy = userOfTheHour('uid=busy,o=Tremolo', 25); // named by a batch in flight
  const [heavyAll, mediumAll] = [heavy.addresses.values(), medium.addresses.values()];
  const trim = new AddressTrim(KEPT_FOR, MAX_ADDRESSES_HELD, 100);
  trim.withinBudget([light, busy, medium, heavy], (dn) => dn === busy.dn);

  assert.deepEqual(
    heavy.addresses.values().map((a) => a.ip).sort(),
    [...heavyAll.slice(0, 2), ...heavyAll.slice(56)].map((a) => a.ip).sort(),
    'the heaviest holder went first: its two own stay, and the six most recent others (a user keeps a few, TRIM_ABOVE)',
  );
  assert.deepEqual(
    medium.addresses.values().map((a) => a.ip).sort(),
    mediumAll.filter((_, i) => i !== 10).map((a) => a.ip).sort(),
    'then the next, until half the budget: its least recent denial, before any of the thief\'s successes',
  );
  assert.equal(light.addresses.size, TRIM_ABOVE);
  assert.equal(busy.addresses.size, 25, 'a user an arrived batch names keeps what the batch was prepared against');
  assert.equal(trim.letGo, 54 + 1);
  assert.equal(heavy.holdsAllAddresses, false, 'what went is read back when named');
  assert.equal(heavy.learntLetGo, 0);
});

test('under the budget of addresses not their own, nothing goes, however many addresses are the users\' own', () => {
  const own = Array.from({ length: 10 }, (_, i) => userOfTheHour(`uid=own${i},o=Tremolo`, 20, 20)); // 200 learnt
  const others = Array.from({ length: 3 }, (_, i) => userOfTheHour(`uid=other${i},o=Tremolo`, 13)); // 39 not their own
  const trim = new AddressTrim(KEPT_FOR, MAX_ADDRESSES_HELD, 40);
  trim.withinBudget([...own, ...others], none);
  assert.equal(trim.letGo, 0);
  const fourth = userOfTheHour('uid=fourth,o=Tremolo', 12);
  trim.withinBudget([...own, ...others, fourth], none);
  assert.equal(trim.letGo, 5 + 5 + 5 + 4, 'eleven over: the heaviest first, each down to a few (TRIM_ABOVE), towards half the budget');
  assert.deepEqual([...others, fourth].map((u) => u.addresses.size), [TRIM_ABOVE, TRIM_ABOVE, TRIM_ABOVE, TRIM_ABOVE]);
  assert.ok(own.every((u) => u.addresses.size === 20), 'the users\' own stay');
});
