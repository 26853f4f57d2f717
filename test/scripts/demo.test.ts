import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { BIN } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

// `npm start` (scripts/demo.mjs) replays the sample into demo/sample.db and never touches
// ./ouwatch.db, every command's default database; the next steps it prints run as printed.

const DEMO = fileURLToPath(new URL('../../scripts/demo.mjs', import.meta.url));

test("npm start keeps the user's ./ouwatch.db and prints next steps that work", () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'ouwatch.db'), 'precious');
  const r = spawnSync(process.execPath, [DEMO], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(readFileSync(join(dir, 'ouwatch.db'), 'utf8'), 'precious');
  const steps = r.stdout.split('\n').filter((l) => l.startsWith('  npx ouwatch ')).map((l) => l.trim().split(/\s+#/)[0].trim());
  assert.equal(steps.length, 4);
  // Run the first three as printed (npx ouwatch -> the same bin; serve would not return).
  for (const step of steps.slice(0, 3)) {
    const args = [...step.slice('npx ouwatch '.length).matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]);
    const out = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    assert.equal(out.status, 0, `${step}\n${out.stderr}`);
    assert.ok(out.stdout.length > 0, step);
  }
});
