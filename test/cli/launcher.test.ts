import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../helpers/tmp.js';

// bin/ouwatch.js runs dist/cli/main.js; in a checkout (src/ beside dist/) it refuses a build
// older than any TypeScript source, wherever that source lies, so nobody runs stale code.
// Laid out here with a stand-in build that only says it ran.

const LAUNCHER = fileURLToPath(new URL('../../bin/ouwatch.js', import.meta.url));
const BUILT_AT = new Date('2026-01-01T00:00:00Z');

function checkout(): string {
  const root = tempDir('ouwatch-launcher-');
  mkdirSync(join(root, 'bin'));
  copyFileSync(LAUNCHER, join(root, 'bin', 'ouwatch.js'));
  writeFileSync(join(root, 'package.json'), '{"type":"module"}');
  mkdirSync(join(root, 'dist', 'cli'), { recursive: true });
  writeFileSync(join(root, 'dist', 'cli', 'main.js'), "process.stdout.write('ran ' + process.argv.slice(2).join(' '));\n");
  utimesSync(join(root, 'dist', 'cli', 'main.js'), BUILT_AT, BUILT_AT);
  for (const file of ['src/cli/main.ts', 'src/components/detect/detectors/threshold.ts', 'src/core/README.md']) {
    mkdirSync(join(root, file, '..'), { recursive: true });
    writeFileSync(join(root, file), '');
    const before = new Date(BUILT_AT.getTime() - 60_000);
    utimesSync(join(root, file), before, before);
  }
  return root;
}

const launch = (root: string) => spawnSync(process.execPath, [join(root, 'bin', 'ouwatch.js'), '--version'], { encoding: 'utf8', timeout: 30_000 });

test('a build newer than every source runs, with the arguments passed on', () => {
  const r = launch(checkout());
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'ran --version');
});

test('a source edited after the build, three folders down, is named and the build is refused', () => {
  const root = checkout();
  const edited = new Date(BUILT_AT.getTime() + 1_000);
  utimesSync(join(root, 'src/components/detect/detectors/threshold.ts'), edited, edited);
  const r = launch(root);
  assert.equal(r.status, 1);
  assert.equal(r.stdout, '', 'the stale build did not run');
  assert.match(r.stderr, /dist\/ is older than src\/components\/detect\/detectors\/threshold\.ts: run `npm run build`/);
});

test('only TypeScript counts: a newer README in src/ does not refuse the build', () => {
  const root = checkout();
  const edited = new Date(BUILT_AT.getTime() + 1_000);
  utimesSync(join(root, 'src/core/README.md'), edited, edited);
  assert.equal(launch(root).status, 0);
});

test('an installed package (no src/) runs without the check; no build at all is refused with the reason', () => {
  const root = checkout();
  rmSync(join(root, 'src'), { recursive: true });
  assert.equal(launch(root).stdout, 'ran --version');
  rmSync(join(root, 'dist'), { recursive: true });
  const r = launch(root);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /dist\/cli\/main\.js is missing/);
});
