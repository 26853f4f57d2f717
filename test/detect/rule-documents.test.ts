import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { PREBUILT_RULES_FILE, rememberValidated } from '../../src/components/detect/rule-documents.js';
import { parseRule, parseRuleYaml, prevalidate } from '../../src/components/detect/rules.js';
import { PACKAGE_ROOT } from '../../src/core/package-files.js';

// The build parses and validates the shipped rules once (dist/rule-documents.json) so that a
// start runs neither the YAML parser nor a schema for them. What it stored must be what
// parsing and validating the file give, for every file, and a rule built from the stored
// validation must be the rule the schemas make.

const RULES = join(PACKAGE_ROOT, 'rules');

function shipped(): Array<{ name: string; text: string }> {
  return readdirSync(RULES)
    .filter((n) => n.endsWith('.yaml'))
    .map((name) => ({ name, text: readFileSync(join(RULES, name), 'utf8') }));
}

test('the build stored every shipped rule: its text as it is, its value as the loader parses it, and its validation', () => {
  const stored = new Map((JSON.parse(readFileSync(join(PACKAGE_ROOT, 'dist', PREBUILT_RULES_FILE), 'utf8')) as Array<[string, string, string | null]>).map(([text, value, validated]) => [text, { value, validated }]));
  const files = shipped();
  assert.ok(files.length >= 10);
  assert.equal(stored.size, files.length, 'one entry per shipped rule');
  for (const { name, text } of files) {
    const entry = stored.get(text);
    assert.ok(entry !== undefined, `${name}: stored with its current text (npm run build after editing a rule)`);
    const value = parseRuleYaml(name, text) as Record<string, unknown>;
    assert.deepEqual(JSON.parse(entry.value), value, name);
    assert.notEqual(entry.validated, null, `${name}: validated by the build (a start builds no schema for it)`);
    assert.equal(entry.validated, prevalidate(value), `${name}: as the schemas validate it now`);
  }
});

test('a shipped rule built from its stored validation is the rule the schemas make', () => {
  for (const { name, text } of shipped()) {
    const file = join(RULES, name);
    const value = parseRuleYaml(name, text) as Record<string, unknown>;
    const validated = prevalidate(value);
    assert.ok(validated !== null, name);
    const fromStore = structuredClone(value);
    rememberValidated(fromStore, validated);
    assert.deepEqual(parseRule(file, fromStore), parseRule(file, structuredClone(value)), name);
  }
});

test('a rule whose stored validation would be wrong is caught by the schemas only when it is not stored: an edited document is validated', () => {
  const { name, text } = shipped()[0];
  const file = join(RULES, name);
  const value = parseRuleYaml(name, text) as Record<string, unknown>;
  const validated = prevalidate(value)!;
  const stored = structuredClone(value);
  rememberValidated(stored, validated);
  // An overlay's patch makes a new document: the stored validation is not its own.
  const patched = { ...stored, severity: 'not-a-severity' };
  assert.throws(() => parseRule(file, patched), /severity/);
  // Parameters given for a fixture are validated with the document.
  assert.throws(() => parseRule(file, stored, { threshold: -1 }), /threshold/);
});
