import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../helpers/tmp.js';

const REPORTER = fileURLToPath(new URL('./failures.mjs', import.meta.url));

/** Writes `specs` (file name → source) and runs `entries` as npm test does: TAP, then the recap, both on stdout. */
function run(specs: Record<string, string>, entries = Object.keys(specs)): { status: number | null; stdout: string } {
  const dir = tempDir();
  for (const [name, source] of Object.entries(specs)) writeFileSync(join(dir, name), source);
  const args = ['--test', '--test-concurrency=2', '--test-reporter=tap', '--test-reporter-destination=stdout', `--test-reporter=${REPORTER}`, '--test-reporter-destination=stdout', ...entries];
  // Without the variable that makes a test process report to the runner that started it.
  const { NODE_TEST_CONTEXT: _, ...env } = process.env;
  const r = spawnSync(process.execPath, args, { cwd: dir, env, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout };
}

const header = "import { describe, test } from 'node:test'; import assert from 'node:assert/strict';\n";

test('after the TAP summary, every failed test is named with its suites, its file and line, and its error (the assertion diff, not the runner frames)', () => {
  const { status, stdout } = run({
    'a.test.mjs': `${header}describe('test/x/a.test.ts', () => {
  describe('group', () => {
    test('passes', () => {});
    test('differs', () => assert.deepEqual({ alerts: [1, 2] }, { alerts: [1, 3] }, 'seed 42'));
  });
});\n`,
    'b.test.mjs': `${header}describe('test/x/b.test.ts', () => { test('fine', () => {}); test('throws', () => { throw new Error('boom'); }); });\n`,
  });
  assert.equal(status, 1);
  const summary = stdout.lastIndexOf('# fail 2');
  const recap = stdout.indexOf('# 2 failed tests:');
  assert.ok(summary > 0 && recap > summary, `the recap follows the summary:\n${stdout.slice(-1500)}`);
  const tail = stdout.slice(recap);
  assert.match(tail, /# ✖ test\/x\/a\.test\.ts › group › differs\n#   at \S*a\.test\.mjs:5\n#   AssertionError \[ERR_ASSERTION\]: seed 42\n/);
  assert.match(tail, /#   \+\s+2\n#   -\s+3\n/);
  assert.match(tail, /# ✖ test\/x\/b\.test\.ts › throws\n#   at \S*b\.test\.mjs:2\n#   Error: boom\n/);
  assert.doesNotMatch(tail, /node:internal|passes|fine/);
});

test("a spec file run by a shard (a describe named after it, declared in the shard's file): its tests are named with their own suites and placed in the spec file", () => {
  const { status, stdout } = run({
    'spec.mjs': `${header}describe('group', () => { test('inner fails', () => assert.equal(1, 2, 'seed 7')); });\ntest('top fails', () => assert.equal(1, 3));\n`,
    'one.shard.mjs': "import { describe } from 'node:test';\ndescribe('test/x/spec.test.ts', async () => { await import('./spec.mjs'); });\n",
  }, ['one.shard.mjs']);
  assert.equal(status, 1);
  const tail = stdout.slice(stdout.indexOf('# 2 failed tests:'));
  assert.match(tail, /# ✖ group › inner fails\n#   at spec\.mjs:2\n#   AssertionError \[ERR_ASSERTION\]: seed 7\n/);
  assert.match(tail, /# ✖ top fails\n#   at spec\.mjs:3\n/);
});

test('a run without failures adds nothing after the summary', () => {
  const { status, stdout } = run({ 'c.test.mjs': `${header}test('fine', () => {});\n` });
  assert.equal(status, 0);
  assert.match(stdout, /# duration_ms [\d.]+\n$/);
});
