import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { cliCommand } from '../../bench/build.js';
import { REPO } from '../helpers/cli.js';

// `npm run bench` measures the CLI as an installed package runs it (the compiled build), or
// with --source the TypeScript through tsx; both are the real CLI.

const version = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;
const run = (cmd: string[]) => spawnSync(cmd[0], [...cmd.slice(1), '--version'], { cwd: REPO, encoding: 'utf8', timeout: 30_000 });

test('the benchmark starts the compiled build, without the checkout-only check of bin/ouwatch.js', () => {
  const cmd = cliCommand(REPO, false);
  assert.deepEqual(cmd.slice(1), [join(REPO, 'dist', 'cli', 'main.js')]);
  assert.equal(run(cmd).stdout.trim(), version);
});

test('--source starts the TypeScript sources through tsx, not the build', () => {
  const cmd = cliCommand(REPO, true);
  assert.deepEqual(cmd.slice(1), ['--import', 'tsx', join(REPO, 'src', 'cli', 'main.ts')]);
  const r = run(cmd);
  assert.equal(r.stdout.trim(), version, r.stderr);
});
