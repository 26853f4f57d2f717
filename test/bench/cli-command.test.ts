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
const run = (cmd: string[], env: NodeJS.ProcessEnv = process.env) => spawnSync(cmd[0], [...cmd.slice(1), '--version'], { cwd: REPO, encoding: 'utf8', timeout: 30_000, env });

test('the benchmark starts the compiled build as an installed package does, through bin/ouwatch.js and its code cache', () => {
  const cmd = cliCommand(REPO, false);
  assert.deepEqual(cmd.slice(1), [join(REPO, 'bin', 'ouwatch.js')]);
  assert.equal(run(cmd).stdout.trim(), version);
  // The launcher answers --version alone itself; a command runs the bundle, from the build's cache.
  const listed = spawnSync(cmd[0], [...cmd.slice(1), 'rules', 'list'], { cwd: REPO, encoding: 'utf8', timeout: 30_000, env: { ...process.env, OUWATCH_CODE_CACHE: 'report' } });
  assert.equal(listed.status, 0, listed.stderr);
  assert.match(listed.stderr, /^code cache: used$/m);
});

test('--source starts the TypeScript sources through tsx, not the build', () => {
  const cmd = cliCommand(REPO, true);
  assert.deepEqual(cmd.slice(1), ['--import', 'tsx', join(REPO, 'src', 'cli', 'main.ts')]);
  const r = run(cmd);
  assert.equal(r.stdout.trim(), version, r.stderr);
});
