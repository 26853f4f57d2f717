import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { SeenUsers } from '../../src/components/history/seen-users.js';

const sha1 = (dn: string) => createHash('sha1').update(dn, 'utf8').digest('hex');

test('while every user seen is held, the count is exact', () => {
  const seen = new SeenUsers();
  for (let i = 0; i < 12; i++) seen.add(sha1(`uid=u${i},ou=users,o=Tremolo`));
  assert.deepEqual(seen.count(), { users: 12, exact: true });
});

for (const distinct of [1, 40, 5_000, 250_000]) {
  test(`once users were let go, each returning one is counted once: ${distinct.toLocaleString('en')} user${distinct === 1 ? '' : 's'}, each added three times, estimated within 1 %`, () => {
    const seen = new SeenUsers();
    const hashes = Array.from({ length: distinct }, (_, i) => sha1(`uid=user${i},ou=people,o=Tremolo`));
    for (let round = 0; round < 3; round++) {
      for (const h of hashes) seen.add(h);
      // Let go after each round: every add of the next round is a return.
      for (const h of hashes) seen.letGo(h);
    }
    const { users, exact } = seen.count();
    assert.equal(exact, false);
    assert.ok(Math.abs(users - distinct) <= Math.max(1, distinct * 0.01), `estimated ${users} for ${distinct}`);
  });
}

test('the estimate never exceeds the exact count (which counts a return twice)', () => {
  const seen = new SeenUsers();
  const hashes = [0, 1, 2].map((i) => sha1(`uid=u${i}`));
  for (const h of hashes) seen.add(h);
  for (const h of hashes) seen.letGo(h);
  for (const h of hashes) seen.add(h);
  assert.equal(seen.count().exact, false);
  assert.ok(seen.count().users <= 6);
});

test('users let go who do not come back leave the count exact; the first who does makes it an estimate', () => {
  const seen = new SeenUsers();
  const first = Array.from({ length: 1_000 }, (_, i) => sha1(`uid=first${i},ou=people,o=Tremolo`));
  for (const h of first) seen.add(h);
  for (const h of first.slice(0, 500)) seen.letGo(h);
  for (let i = 0; i < 1_000; i++) seen.add(sha1(`uid=later${i},ou=people,o=Tremolo`));
  assert.deepEqual(seen.count(), { users: 2_000, exact: true });
  seen.add(first[7]);
  const after = seen.count();
  assert.equal(after.exact, false);
  assert.ok(Math.abs(after.users - 2_000) <= 20, `estimated ${after.users} for 2,000`);
});
