import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { dnSha1, sha1Hex, shortHash } from '../../src/core/identity.js';
import { alertId } from '../../src/components/detect/tracker.js';

// Ids are derived, never counted: a store written by an earlier version keeps matching them.

test('alert and incident ids are the first 16 hex digits of SHA-256, as they always were', () => {
  for (const text of ['', 'incident\0dn:uid=a,o=Tremolo\0abc', 'ü\u0000☃'.repeat(100)]) {
    assert.equal(shortHash(text), createHash('sha256').update(text).digest('hex').slice(0, 16));
  }
  // Pinned: the id an alert of this line had before (digest('hex').slice(0, 16)).
  assert.equal(alertId('new-source-ip', 'uid=a,o=T', '10.0.0.1', 1_700_000_000_000, 'line'), 'bac2c690526e0522');
  assert.match(alertId('r', null, null, 0, 'x'), /^[0-9a-f]{16}$/);
});

test("a DN's label is the lowercase hex SHA-1 of its UTF-8 bytes, exactly as logged", () => {
  assert.equal(dnSha1('uid=mmosley,ou=shadow,o=Tremolo'), createHash('sha1').update(Buffer.from('uid=mmosley,ou=shadow,o=Tremolo', 'utf8')).digest('hex'));
  assert.notEqual(dnSha1('UID=mmosley,ou=shadow,o=Tremolo'), dnSha1('uid=mmosley,ou=shadow,o=Tremolo'));
});

test('SHA-1 of bytes (a DN as read, a checkpoint tail) is the lowercase hex of their digest, a view of a larger buffer included', () => {
  const bytes = Buffer.from('xxuid=é,o=Tremoloyy', 'utf8');
  const view = bytes.subarray(2, bytes.length - 2);
  assert.equal(sha1Hex(view), createHash('sha1').update(view).digest('hex'));
  assert.equal(sha1Hex(view), dnSha1('uid=é,o=Tremolo'));
});
