import assert from 'node:assert/strict';
import { test } from 'node:test';
import { listDeleted, totalDeleted } from '../../src/core/retention.js';

test('rows deleted are listed by table, tables without any left out unless every table is asked for', () => {
  const deleted = { users: 1200, sessions: 0, user_ips: 3 };
  assert.equal(listDeleted(deleted), 'users 1200, user_ips 3');
  assert.equal(listDeleted(deleted, { zeros: true }), 'users 1200, sessions 0, user_ips 3');
  assert.equal(listDeleted(deleted, { format: (n) => n.toLocaleString('en-US') }), 'users 1,200, user_ips 3');
  assert.equal(listDeleted({}), '');
  assert.equal(totalDeleted({ deleted }), 1203);
});
