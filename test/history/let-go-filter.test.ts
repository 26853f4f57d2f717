import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LetGoFilter } from '../../src/components/history/let-go-filter.js';
import { sha1Hex } from '../../src/core/identity.js';

const sha1 = (i: number) => sha1Hex(`uid=user${i},ou=users,o=Tremolo`);

test('a DN SHA-1 given to the filter is always said to be held; before any, none is', () => {
  const f = new LetGoFilter();
  assert.equal(f.mightHold(sha1(1)), false, 'an empty filter holds nobody (and has made no bits yet)');
  for (let i = 0; i < 50_000; i++) f.add(sha1(i));
  for (let i = 0; i < 50_000; i++) assert.equal(f.mightHold(sha1(i)), true, `user ${i} was let go`);
});

test('with 1,000,000 users let go, fewer than 1 % of the others are taken for them', () => {
  const f = new LetGoFilter();
  for (let i = 0; i < 1_000_000; i++) f.add(sha1(i));
  let wrong = 0;
  const others = 100_000;
  for (let i = 1_000_000; i < 1_000_000 + others; i++) if (f.mightHold(sha1(i))) wrong++;
  assert.ok(wrong < others / 100, `${wrong} of ${others} users never let go were said to be held`);
});

test('upper-case hexadecimal reads as lower-case; a string that is not a SHA-1 is still answered', () => {
  const f = new LetGoFilter();
  const s = sha1(7);
  f.add(s.toUpperCase());
  assert.equal(f.mightHold(s), true);
  f.add('not a sha1');
  assert.equal(f.mightHold('not a sha1'), true);
});
