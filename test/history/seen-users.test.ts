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
    seen.letGo();
    for (let round = 0; round < 3; round++) for (const h of hashes) seen.add(h);
    const { users, exact } = seen.count();
    assert.equal(exact, false);
    assert.ok(Math.abs(users - distinct) <= Math.max(1, distinct * 0.01), `estimated ${users} for ${distinct}`);
  });
}

test('the estimate never exceeds the exact count (which counts a return twice)', () => {
  const seen = new SeenUsers();
  seen.letGo();
  for (let i = 0; i < 3; i++) seen.add(sha1(`uid=u${i}`));
  assert.ok(seen.count().users <= 3);
});
