import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { after, test } from 'node:test';
import { BUNDLED_RULES_DIR } from '../../src/app/rule-dirs.js';
import { ALICE, BOB, SE, SEC, T0, US, az, detect, scratch } from './helpers.js';

const s = scratch();
after(() => s.done());
const BIN = new URL('../../bin/ouwatch.js', import.meta.url).pathname;
/** Behind an ingress that hides clients: almost every success comes from two pod addresses. */
const behindIngress = [
  ...Array.from({ length: 290 }, (_, i) => az(T0 + i * SEC, i % 2 ? ALICE : BOB, i % 3 ? '10.42.0.7' : '10.42.1.9')),
  ...Array.from({ length: 10 }, (_, i) => az(T0 + 300 * SEC + i, ALICE, US)),
];

test('almost all successes from a handful of private addresses: a warning that the address rules are blind, with the fix', async () => {
  const { warning } = await detect(s.path('ingress.db'), BUNDLED_RULES_DIR, behindIngress);
  assert.ok(warning !== null);
  assert.match(warning, /^96% of 300 successful events came from 2 private addresses \(10\.42\.0\.7, 10\.42\.1\.9\): OpenUnison is logging its ingress/);
  assert.match(warning, /new-source-ip, new-country, impossible-travel, session-moved/);
  assert.match(warning, /Fix: make the proxy pass the client address through/);
});

test('the replay summary carries the warning (stderr), stdout stays clean with --json', () => {
  const log = s.path('ingress.log');
  writeFileSync(log, behindIngress.join('\n') + '\n');
  const r = spawnSync(process.execPath, [BIN, 'replay', log, '--db', s.path('cli.db'), '--json'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /\n {2}warning: {2}96% of 300 successful events came from 2 private addresses/);
  for (const line of r.stdout.split('\n').filter(Boolean)) assert.ok(JSON.parse(line).rule);
});

test('real client addresses, or too few events to tell, give no warning', async () => {
  const clients = Array.from({ length: 300 }, (_, i) => az(T0 + i * SEC, ALICE, i % 2 ? SE : '89.160.20.9'));
  assert.equal((await detect(s.path('clients.db'), BUNDLED_RULES_DIR, clients)).warning, null);
  const few = Array.from({ length: 150 }, (_, i) => az(T0 + i * SEC, ALICE, '10.42.0.7'));
  assert.equal((await detect(s.path('few.db'), BUNDLED_RULES_DIR, few)).warning, null);
});
