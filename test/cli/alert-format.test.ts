import assert from 'node:assert/strict';
import { test } from 'node:test';
import { alertTableRow } from '../../src/cli/alert-format.js';
import { colours } from '../../src/cli/common.js';
import { makeAlert } from '../helpers/alerts.js';

// The alert table's two lines per alert: time, severity, rule, whom and id; then the reason.
// An alert about a user names the user in the table; where the event came from is part of
// the reason, and when the reason does not say it, the row adds it after the reason.

const plain = colours({ isTTY: false } as NodeJS.WriteStream);
const reasonLine = (over: Parameters<typeof makeAlert>[0]) => alertTableRow(makeAlert(over), plain, undefined).split('\n')[1];

test("a user's alert whose reason does not name the address: the address follows the reason as a sentence of its own", () => {
  const line = reasonLine({ reason: '5 expired refresh tokens used within the grace period for uid=mmosley,o=T within 6 min (rule: 5 within 10 min), the last at https://k8sou.example/token.', ip: '5.255.255.5', country: 'RU' });
  assert.equal(line, '    5 expired refresh tokens used within the grace period for uid=mmosley,o=T within 6 min (rule: 5 within 10 min), the last at https://k8sou.example/token. From 5.255.255.5 (RU).');
});

test('a reason that does not end a sentence gets the address in brackets; an address without a country is named alone', () => {
  assert.equal(reasonLine({ reason: 'many denied requests', ip: '10.1.2.3', country: null }), '    many denied requests (from 10.1.2.3)');
});

test('nothing is added when the reason names the address, or when the alert is about an address (the table names it)', () => {
  assert.equal(reasonLine({ reason: 'succeeded from 5.255.255.5 (RU), a new country.', ip: '5.255.255.5', country: 'RU' }), '    succeeded from 5.255.255.5 (RU), a new country.');
  assert.equal(reasonLine({ dn: null, reason: '10 failed logins.', ip: '175.16.199.5', country: 'CN' }), '    10 failed logins.');
});

test('repeats follow the address', () => {
  const line = reasonLine({ reason: 'a burst.', ip: '5.255.255.5', country: 'RU', count: 3, lastTime: '2026-03-03T11:50:33.000Z' });
  assert.equal(line, '    a burst. From 5.255.255.5 (RU). (x3, last 2026-03-03T11:50:33.000Z)');
});
