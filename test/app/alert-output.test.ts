import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatAlerts } from '../../src/app/run/alert-output.js';
import { INVISIBLE } from '../../src/core/terminal-text.js';
import { HOSTILE_DNS, makeAlert } from '../helpers/alerts.js';

// `ouwatch run` without --json prints one line per alert: no DN may drive or reorder the terminal.

test('the daemon prints every hostile DN and reason with visible escapes, one line per alert', () => {
  const alerts = HOSTILE_DNS.map((dn) => makeAlert({ dn, reason: `new address for ${dn}` }));
  const text = formatAlerts(alerts, false);
  assert.equal(text.split('\n').length, HOSTILE_DNS.length + 1);
  assert.doesNotMatch(text.replace(/\n/g, ''), new RegExp(INVISIBLE.source));
  assert.match(text, /rtl\\u202egnp\.exe\\u2028line/);
  const json = formatAlerts(alerts, true).trim().split('\n').map((l) => JSON.parse(l) as { dn: string });
  assert.deepEqual(json.map((a) => a.dn), HOSTILE_DNS);
});
