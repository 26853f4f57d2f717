import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dnSha1 } from '../../src/enrich/identity.js';

test('DN SHA-1 matches the OpenUnison test vector (openunison-facts.md)', () => {
  assert.equal(dnSha1('uid=mmosley,ou=shadow,o=Tremolo'), '5204c08a79c11dbdc2fdda1e07bc866fb4f22888');
});
