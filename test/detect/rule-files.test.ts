import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { after, test } from 'node:test';
import { BUNDLED_RULES_DIR } from '../../src/app/runtime.js';
import { ConfigError } from '../../src/app/config.js';
import { loadRules, parseRule } from '../../src/components/detect/rules.js';
import { scratch } from './helpers.js';

const s = scratch();
after(() => s.done());

test('the shipped rules are the nine of DESIGN.md with their severities; only refresh-token-replay may trigger a response', () => {
  const rules = loadRules(BUNDLED_RULES_DIR);
  assert.deepEqual(
    Object.fromEntries(rules.map((r) => [r.id, r.severity])),
    {
      'auth-failure-burst': 'medium',
      'authz-failure-burst': 'medium',
      'impossible-travel': 'high',
      'ip-not-allowed': 'high',
      'new-country': 'high',
      'new-source-ip': 'medium',
      'refresh-token-grace-burst': 'medium',
      'refresh-token-replay': 'critical',
      'stale-refresh-token': 'medium',
    },
  );
  assert.deepEqual(rules.filter((r) => r.respond).map((r) => r.id), ['refresh-token-replay']);
  assert.deepEqual(rules.filter((r) => r.inactive !== null).map((r) => r.id), ['ip-not-allowed']);
  for (const r of rules) assert.equal(r.suppressMs, 24 * 3_600_000, r.id);
});

const good = `id: my-rule
description: Too many failed logins.
detector: auth-failure-burst
severity: medium
params:
  threshold: 10
  window: 5m
`;

/** The ConfigError a rule file named `file` with `text` raises. */
function problemsOf(text: string, file = 'my-rule.yaml'): ConfigError {
  try {
    parseRule(`/rules/${file}`, text);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    assert.equal(err.file, `/rules/${file}`);
    return err;
  }
  assert.fail('the rule was accepted');
}

test('a valid rule file parses, with defaults for what it leaves out', () => {
  const r = parseRule('/rules/my-rule.yaml', good);
  assert.deepEqual([r.id, r.enabled, r.events, r.suppressMs, r.respond, r.params], ['my-rule', true, ['AuFail'], 86_400_000, false, { threshold: 10, window: 300_000 }]);
});

const bad: Array<[string, string, RegExp, string?]> = [
  ['an unknown field', good + 'sevrity: high\n', /\(top level\): unknown field 'sevrity'/],
  ['a severity outside the four', good.replace('severity: medium', 'severity: urgent'), /severity: Invalid option: expected one of "low"\|"medium"\|"high"\|"critical"/],
  ['an unknown detector', good.replace('detector: auth-failure-burst', 'detector: brute-force'), /detector: unknown detector 'brute-force'; expected one of refresh-token-replay, .*ip-not-allowed/],
  ['an id that is not the file name', good, /id: expected 'other' \(the file name without \.yaml\), got 'my-rule'/, 'other.yaml'],
  ['a malformed duration', good.replace('window: 5m', 'window: five minutes'), /params\.window: expected a duration such as 90s, 10m, 24h or 7d/],
  ['a parameter of the wrong type', good.replace('threshold: 10', 'threshold: ten'), /params\.threshold: Invalid input: expected number, received string/],
  ['an unknown parameter', good.replace('threshold: 10', 'threshold: 10\n  treshold: 3'), /params: unknown field 'treshold'/],
  ['a bad CIDR exception', good + 'ipExceptions: [10.0.0.0/33]\n', /ipExceptions\[0\]: expected an IP address or a CIDR block/],
  ['an event the detector cannot use', good + 'events: [AuFail, AzFail]\n', /events: AzFail is not an event auth-failure-burst can use; expected some of AuFail/],
  ['a required event left out', good.replace('detector: auth-failure-burst', 'detector: stale-refresh-token').replace(/params:[\s\S]*/, '') + 'events: [AzFail]\n', /events: stale-refresh-token needs IdpWarning/],
  ['a YAML syntax error', good + 'dns: [unclosed\n', /YAML syntax: /],
  ['a DN list that is not a list', good + 'dns:\n  exclude: uid=bob\n', /dns\.exclude: Invalid input: expected array, received string/],
];
for (const [what, text, message, file] of bad) {
  test(`a rule file with ${what} is refused with the file, the field and the expectation`, () => {
    const err = problemsOf(text, file);
    assert.match(err.message, message);
  });
}

test('every problem of one file is reported together', () => {
  const err = problemsOf(good.replace('threshold: 10', 'threshold: 1').replace('window: 5m', 'window: soon') + 'events: [AzFail]\n');
  assert.deepEqual(err.problems.map((p) => p.split(':')[0]), ['events', 'events', 'params.threshold', 'params.window']);
});

test('a rules directory that is missing, empty, or holds two rules with one id is refused', () => {
  assert.throws(() => loadRules(s.path('nowhere')), (e: unknown) => e instanceof ConfigError && /cannot read the rules directory/.test(e.message));
  mkdirSync(s.path('empty'));
  assert.throws(() => loadRules(s.path('empty')), /no rule files \(\*\.yaml\) in this directory/);
  mkdirSync(s.path('dup'));
  writeFileSync(s.path('dup/my-rule.yaml'), good);
  writeFileSync(s.path('dup/my-rule.yml'), good);
  assert.throws(() => loadRules(s.path('dup')), /id: 'my-rule' is already the id of .*my-rule\.yaml; expected a unique id/);
});
