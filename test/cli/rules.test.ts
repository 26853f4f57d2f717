import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { BUNDLED_RULES_DIR } from '../../src/app/rule-dirs.js';
import { auFail, scratch, T0 } from '../detect/helpers.js';
import { lines, ok, ouwatch, REPO } from '../helpers/cli.js';

const s = scratch();
after(() => s.done());
const RULE_IDS = [
  'auth-failure-burst',
  'auth-failure-distributed-spray',
  'auth-failure-spray',
  'auth-success-after-failures',
  'authz-failure-burst',
  'authz-probing',
  'impossible-travel',
  'invalid-client-secret',
  'ip-not-allowed',
  'new-country',
  'new-source-ip',
  'refresh-token-grace-burst',
  'refresh-token-replay',
  'session-moved',
  'stale-refresh-token',
];

test('rules test: every shipped rule passes its fixtures, with at least one firing and one quiet case each', () => {
  const r = ok(['rules', 'test']);
  const results = lines(r.stdout).map((l) => /^(PASS|FAIL) {2}([a-z-]+)\/([a-z0-9-]+): .* \((\d+) alerts?\)$/.exec(l));
  assert.ok(results.every((m) => m !== null), r.stdout);
  assert.ok(results.every((m) => m![1] === 'PASS'), r.stdout);
  assert.deepEqual([...new Set(results.map((m) => m![2]))], RULE_IDS);
  for (const id of RULE_IDS) {
    const counts = results.filter((m) => m![2] === id).map((m) => Number(m![4]));
    assert.ok(counts.some((n) => n > 0) && counts.some((n) => n === 0), `${id} needs a firing and a quiet case`);
  }
  // Every fixture ran: one result per expectation file.
  const fixtures = readdirSync(join(REPO, 'fixtures', 'rules'), { recursive: true }).filter((f) => String(f).endsWith('.expect.yaml')).length;
  assert.equal(results.length, fixtures);
  assert.match(r.stderr, new RegExp(`^${fixtures} passed, 0 failed\n$`));
});

test('rules test: a wrong expectation or a missing quiet case fails, exit 1, saying what differs', () => {
  const rules = s.path('rules');
  mkdirSync(rules);
  cpSync(`${BUNDLED_RULES_DIR}/auth-failure-burst.yaml`, `${rules}/auth-failure-burst.yaml`);
  const fx = s.path('fixtures/rules/auth-failure-burst');
  mkdirSync(fx, { recursive: true });
  writeFileSync(`${fx}/spray.log`, Array.from({ length: 10 }, (_, i) => auFail(T0 + i * 1000, '175.16.199.5')).join('\n') + '\n');
  writeFileSync(`${fx}/spray.expect.yaml`, 'description: ten failures\nalerts:\n  - dn: null\n    ip: 175.16.199.6\n');
  const r = ouwatch(['rules', 'test', rules]);
  assert.equal(r.status, 1);
  assert.match(r.stdout, /^FAIL {2}auth-failure-burst\/spray: ten failures \(1 alert\)\n {8}missing alert for dn=null ip="175\.16\.199\.6"\n {8}unexpected alert for dn=null ip="175\.16\.199\.5" at 2026-03-02T08:00:09\.000Z: 10 failed logins/);
  assert.match(r.stdout, /\nFAIL {2}auth-failure-burst: no fixture that must stay quiet \(alerts: \[\]\)\n/);
  assert.match(r.stderr, /^0 passed, 2 failed\n$/);
});

test('rules check lists the valid rules and every invalid file (field and expectation), exit 2', () => {
  const good = ok(['rules', 'check']);
  assert.deepEqual(lines(good.stdout).map((l) => l.split(/ +/)[1]), RULE_IDS);
  assert.match(good.stdout, /\nok {5}refresh-token-replay +critical .*; may trigger a response\n/);
  assert.match(good.stdout, /\nok {5}ip-not-allowed +high .*\(off: params\.allow is empty/);

  const dir = s.path('check');
  mkdirSync(dir);
  cpSync(`${BUNDLED_RULES_DIR}/new-country.yaml`, `${dir}/new-country.yaml`);
  writeFileSync(`${dir}/auth-failure-burst.yaml`, 'id: auth-failure-burst\ndescription: x\ndetector: threshold\nseverity: medium\nevents: [AuFail]\nparams:\n  groupBy: ip\n  threshold: 10\n  window: 5 minutes\n');
  writeFileSync(`${dir}/typo.yaml`, 'id: typo\ndescription: x\ndetector: new-country\nseverity: high\nrespnd: true\n');
  const r = ouwatch(['rules', 'check', dir]);
  assert.equal(r.status, 2);
  assert.deepEqual(lines(r.stdout).map((l) => l.replace(dir, 'DIR')), [
    lines(r.stdout)[0],
    'error  DIR/auth-failure-burst.yaml: params.window: expected a duration such as 90s, 10m, 24h or 7d (units ms, s, m, h, d)',
    "error  DIR/typo.yaml: (top level): unknown field 'respnd'",
  ]);
  assert.match(lines(r.stdout)[0], /^ok {5}new-country /);
  assert.match(r.stderr, /^1 valid, 2 invalid rule files in /);
});
