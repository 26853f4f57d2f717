import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { BUNDLED_RULES_DIR } from '../../src/app/rule-dirs.js';
import { ConfigError } from '../../src/app/config.js';
import { loadRules, readRuleFile } from '../../src/components/detect/rules.js';
import { SHIPPED_RULES, scratch } from './helpers.js';

const s = scratch();
after(() => s.done());

test('the shipped rules: fifteen, with their severities and risks; only refresh-token-replay pages and may trigger a response; only new-source-ip does not quarantine', () => {
  const rules = loadRules(BUNDLED_RULES_DIR);
  assert.deepEqual(rules.map((r) => r.id).sort(), [...SHIPPED_RULES].sort());
  assert.deepEqual(Object.fromEntries(rules.map((r) => [r.id, `${r.severity} ${r.risk}`])), {
    'auth-failure-burst': 'medium 60',
    'auth-failure-distributed-spray': 'high 60',
    'auth-failure-spray': 'high 60',
    'auth-success-after-failures': 'high 60',
    'authz-failure-burst': 'medium 30',
    'authz-probing': 'medium 60',
    'impossible-travel': 'high 50',
    'invalid-client-secret': 'medium 60',
    'ip-not-allowed': 'high 40',
    'new-country': 'high 40',
    'new-source-ip': 'medium 25',
    'refresh-token-grace-burst': 'medium 30',
    'refresh-token-replay': 'critical 100',
    'session-moved': 'high 60',
    'stale-refresh-token': 'medium 20',
  });
  assert.deepEqual(rules.filter((r) => r.respond).map((r) => r.id), ['refresh-token-replay']);
  assert.deepEqual(rules.filter((r) => r.page).map((r) => r.id), ['refresh-token-replay']);
  assert.deepEqual(rules.filter((r) => r.inactive !== null).map((r) => r.id), ['ip-not-allowed']);
  // Every rule but new-source-ip keeps the addresses of its (medium or worse) alerts from being
  // learnt; a new network is common and is learnt at once.
  assert.deepEqual(rules.filter((r) => !r.quarantine).map((r) => r.id), ['new-source-ip']);
  for (const r of rules) assert.equal(r.suppressMs, 24 * 3_600_000, r.id);
});

const good = `id: my-rule
description: Too many failed logins.
detector: threshold
severity: medium
events: [AuFail]
params:
  groupBy: ip
  threshold: 10
  window: 5m
`;

let n = 0;
/** Writes `text` as `file` in a directory of its own and reads it as a rule. */
function ruleFile(text: string, file = 'my-rule.yaml'): string {
  const dir = s.path(`f${n++}`);
  mkdirSync(dir);
  writeFileSync(join(dir, file), text);
  return join(dir, file);
}

/** The ConfigError a rule file named `file` with `text` raises. */
function problemsOf(text: string, file = 'my-rule.yaml'): ConfigError {
  const path = ruleFile(text, file);
  try {
    readRuleFile(path);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    assert.equal(err.file, path);
    return err;
  }
  assert.fail('the rule was accepted');
}

test('a valid rule file parses, with defaults for what it leaves out (risk from the severity, no paging, quarantine on)', () => {
  const r = readRuleFile(ruleFile(good));
  assert.deepEqual([r.id, r.enabled, r.events, r.suppressMs, r.respond, r.risk, r.page, r.quarantine], ['my-rule', true, ['AuFail'], 86_400_000, false, 25, false, true]);
  assert.deepEqual(r.params, { groupBy: 'ip', threshold: 10, window: 300_000, distinct: null, spread: null, where: {} });
});

const bad: Array<[string, string, RegExp, string?]> = [
  ['an unknown field', good + 'sevrity: high\n', /\(top level\): unknown field 'sevrity'/],
  ['a severity outside the four', good.replace('severity: medium', 'severity: urgent'), /severity: Invalid option: expected one of "low"\|"medium"\|"high"\|"critical"/],
  ['an unknown detector', good.replace('detector: threshold', 'detector: brute-force'), /detector: unknown detector 'brute-force'; expected one of .*threshold.*new-value/],
  ['an id that is not the file name', good, /id: expected 'other' \(the file name without \.yaml\), got 'my-rule'/, 'other.yaml'],
  ['a malformed duration', good.replace('window: 5m', 'window: five minutes'), /params\.window: expected a duration such as 90s, 10m, 24h or 7d/],
  ['a parameter of the wrong type', good.replace('threshold: 10', 'threshold: ten'), /params\.threshold: Invalid input: expected number, received string/],
  ['an unknown parameter', good.replace('threshold: 10', 'threshold: 10\n  treshold: 3'), /params: unknown field 'treshold'/],
  ['a group the threshold detector does not know', good.replace('groupBy: ip', 'groupBy: country'), /params\.groupBy: Invalid option: expected one of "ip"\|"net"\|"dn"\|"session"/],
  ['a risk out of range', good + 'risk: -1\n', /risk: Too small: expected number to be >=0/],
  ['a bad CIDR exception', good + 'ipExceptions: [10.0.0.0/33]\n', /ipExceptions\[0\]: expected an IP address or a CIDR block/],
  ['a threshold rule that names no events', good.replace('events: [AuFail]\n', ''), /events: expected the event types the threshold detector should count/],
  ['an event the detector cannot use', good.replace('detector: threshold', 'detector: new-value').replace(/params:[\s\S]*/, 'params:\n  field: net\n'), /events: AuFail is not an event new-value can use; expected some of AuSuccess, AzSuccess/],
  ['a required event left out', good.replace('detector: threshold', 'detector: refresh-failure').replace('events: [AuFail]', 'events: [AzFail]').replace(/params:[\s\S]*/, ''), /events: refresh-failure needs IdpWarning/],
  [
    'a look-back longer than history keeps addresses in memory',
    good.replace('detector: threshold', 'detector: refresh-token-replay').replace('events: [AuFail]', 'events: [AzSuccess, ExpiredRefreshTokenUsed]').replace(/params:[\s\S]*/, 'params:\n  activeWithin: 8d\n'),
    /params\.activeWithin: at most 7d/,
  ],
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
  const err = problemsOf(good.replace('threshold: 10', 'threshold: 1').replace('window: 5m', 'window: soon').replace('groupBy: ip', 'groupBy: country'), 'other.yaml');
  assert.deepEqual(err.problems.map((p) => p.split(':')[0]), ['id', 'params.groupBy', 'params.threshold', 'params.window']);
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

test('rules.d overlays patch a shipped rule field by field, replace one whole, or add one', () => {
  const overlay = s.path('rules.d');
  mkdirSync(overlay);
  // A patch: only the fields it gives (params merged key by key).
  writeFileSync(join(overlay, 'auth-failure-burst.yaml'), 'params:\n  threshold: 20\nipExceptions: [192.0.2.0/24]\n');
  // A replacement: the whole rule, from scratch.
  writeFileSync(join(overlay, 'new-source-ip.yaml'), good.replace('id: my-rule', 'id: new-source-ip').replace('severity: medium', 'severity: low') + 'replace: true\n');
  // A rule of one's own.
  writeFileSync(join(overlay, 'my-rule.yaml'), good);
  const rules = new Map(loadRules(BUNDLED_RULES_DIR, overlay).map((r) => [r.id, r]));
  assert.equal(rules.size, SHIPPED_RULES.length + 1);
  const burst = rules.get('auth-failure-burst')!;
  assert.deepEqual(burst.params, { groupBy: 'ip', threshold: 20, window: 300_000, distinct: null, spread: null, where: {}, what: 'failed logins (AuFail)' });
  assert.deepEqual([burst.severity, burst.risk, burst.ipExceptions], ['medium', 60, ['192.0.2.0/24']]);
  assert.match(burst.file, /auth-failure-burst\.yaml \(patched by .*rules\.d\/auth-failure-burst\.yaml\)$/);
  const replaced = rules.get('new-source-ip')!;
  assert.deepEqual([replaced.detector.name, replaced.severity, replaced.risk, replaced.file], ['threshold', 'low', 5, join(overlay, 'new-source-ip.yaml')]);
  assert.equal(rules.get('my-rule')!.detector.name, 'threshold');
});

test('a bad overlay is refused naming the overlay file', () => {
  const overlay = s.path('bad.d');
  mkdirSync(overlay);
  writeFileSync(join(overlay, 'auth-failure-burst.yaml'), 'params:\n  threshold: ten\n');
  assert.throws(
    () => loadRules(BUNDLED_RULES_DIR, overlay),
    (e: unknown) => e instanceof ConfigError && /patched by .*bad\.d\/auth-failure-burst\.yaml/.test(e.file) && /params\.threshold: Invalid input: expected number/.test(e.message),
  );
});
