import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { dnSha1 } from '../../src/core/identity.js';

// OpenUnison labels a user's oidc-sessions with `tremolo.io/user-dn` = lowercase hex SHA-1 of
// the DN's UTF-8 bytes, the DN exactly as logged: no case folding, no unescaping.

test('DN SHA-1 matches the OpenUnison test vector (docs/openunison.md)', () => {
  assert.equal(dnSha1('uid=mmosley,ou=shadow,o=Tremolo'), '5204c08a79c11dbdc2fdda1e07bc866fb4f22888');
});

test('the DN is hashed exactly as logged: case, escapes and spaces change the hash', () => {
  const variants = ['uid=mmosley,ou=shadow,o=Tremolo', 'UID=mmosley,ou=shadow,o=Tremolo', 'uid=mmosley, ou=shadow, o=Tremolo', 'cn=Smith\\, John,o=Tremolo', 'cn=Smith, John,o=Tremolo'];
  assert.equal(new Set(variants.map(dnSha1)).size, variants.length);
});

test('non-ASCII DNs are hashed as UTF-8 bytes', () => {
  const dn = 'uid=jürgen.müller,ou=användare,o=Tremolo';
  assert.equal(dnSha1(dn), createHash('sha1').update(Buffer.from(dn, 'utf8')).digest('hex'));
  assert.notEqual(dnSha1(dn), createHash('sha1').update(Buffer.from(dn, 'latin1')).digest('hex'));
  assert.match(dnSha1(dn), /^[0-9a-f]{40}$/);
});
