import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { PREBUILT_RULES_FILE } from '../../src/components/detect/rule-documents.js';
import { parseRuleYaml } from '../../src/components/detect/rules.js';
import { PACKAGE_ROOT } from '../../src/core/package-files.js';

// The build parses the shipped rules once (dist/rule-documents.json) so that a start skips the
// YAML parser for them. What it stored must be what parsing the file gives, for every file.

test('the build stored every shipped rule, its text as it is and its value as the loader parses it', () => {
  const stored = new Map(JSON.parse(readFileSync(join(PACKAGE_ROOT, 'dist', PREBUILT_RULES_FILE), 'utf8')) as Array<[string, string]>);
  const files = readdirSync(join(PACKAGE_ROOT, 'rules')).filter((n) => n.endsWith('.yaml'));
  assert.ok(files.length >= 10);
  assert.equal(stored.size, files.length, 'one entry per shipped rule');
  for (const name of files) {
    const text = readFileSync(join(PACKAGE_ROOT, 'rules', name), 'utf8');
    const json = stored.get(text);
    assert.ok(json !== undefined, `${name}: stored with its current text (npm run build after editing a rule)`);
    assert.deepEqual(JSON.parse(json), parseRuleYaml(name, text), name);
  }
});
