import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../helpers/tmp.js';

// bin/ouwatch.js runs dist/cli/main.cjs, compiled from V8's code cache when the build wrote
// one; in a checkout (src/ beside dist/) it refuses a build older than any TypeScript source,
// wherever that source lies, so nobody runs stale code. Laid out here with a stand-in build
// that only says it ran.

const LAUNCHER = fileURLToPath(new URL('../../bin/ouwatch.js', import.meta.url));
const BUILT_AT = new Date('2026-01-01T00:00:00Z');

function checkout(): string {
  const root = tempDir('ouwatch-launcher-');
  mkdirSync(join(root, 'bin'));
  copyFileSync(LAUNCHER, join(root, 'bin', 'ouwatch.js'));
  // The launcher is CommonJS in a package of ES modules: bin/package.json says so.
  copyFileSync(join(LAUNCHER, '..', 'package.json'), join(root, 'bin', 'package.json'));
  writeFileSync(join(root, 'package.json'), '{"type":"module","version":"9.8.7"}');
  mkdirSync(join(root, 'dist', 'cli'), { recursive: true });
  // CommonJS, as the build's bundle: module, require and __filename are the bundle's own.
  writeFileSync(join(root, 'dist', 'cli', 'main.cjs'), "process.stdout.write('ran ' + process.argv.slice(2).join(' ') + ' in ' + require('node:path').basename(__filename) + ' ' + typeof module.exports);\n");
  utimesSync(join(root, 'dist', 'cli', 'main.cjs'), BUILT_AT, BUILT_AT);
  // The early bundle (cli/early-start.ts) says when it is given the arguments, if asked to.
  writeFileSync(join(root, 'dist', 'cli', 'early-start.cjs'), "exports.startEarly = (args) => { if (process.env.EARLY_PROBE) process.stdout.write('early ' + args.join(',') + '; '); };\n");
  utimesSync(join(root, 'dist', 'cli', 'early-start.cjs'), BUILT_AT, BUILT_AT);
  for (const file of ['src/cli/main.ts', 'src/components/detect/detectors/threshold.ts', 'src/core/README.md']) {
    mkdirSync(join(root, file, '..'), { recursive: true });
    writeFileSync(join(root, file), '');
    const before = new Date(BUILT_AT.getTime() - 60_000);
    utimesSync(join(root, file), before, before);
  }
  return root;
}

const launch = (root: string, args = ['alerts', 'list'], env: NodeJS.ProcessEnv = process.env) =>
  spawnSync(process.execPath, [join(root, 'bin', 'ouwatch.js'), ...args], { encoding: 'utf8', timeout: 30_000, env });
/** `alerts list` with OUWATCH_CODE_CACHE set to `mode`. */
const launchWithCache = (root: string, mode: 'report' | 'write') => launch(root, undefined, { ...process.env, OUWATCH_CODE_CACHE: mode });

test('a build newer than every source runs, with the arguments passed on', () => {
  const r = launch(checkout());
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'ran alerts list in main.cjs object');
});

test('--version alone is the package version, answered without running the build', () => {
  const root = checkout();
  for (const flag of ['--version', '-V']) assert.equal(launch(root, [flag]).stdout, '9.8.7\n');
  assert.equal(launch(root, ['alerts', '--version']).stdout, 'ran alerts --version in main.cjs object', 'with a command, the CLI answers');
});

test('the build runs from the code cache it wrote; a cache older than the build, or damaged, is passed over and the build still runs', () => {
  const root = checkout();
  const cache = join(root, 'dist', 'cli', 'main.cjs.v8cache');
  const report = (r: ReturnType<typeof launch>) => (assert.equal(r.stdout, 'ran alerts list in main.cjs object', r.stderr), r.stderr.trim());
  assert.equal(report(launchWithCache(root, 'report')), 'code cache: none');
  assert.equal(report(launchWithCache(root, 'write')), '');
  assert.ok(existsSync(cache), 'the cache was written at exit');
  assert.equal(report(launchWithCache(root, 'report')), 'code cache: used');
  // Rebuilt after its cache was written: the cache is not offered to V8.
  utimesSync(cache, new Date(BUILT_AT.getTime() - 1_000), new Date(BUILT_AT.getTime() - 1_000));
  assert.equal(report(launchWithCache(root, 'report')), 'code cache: none');
  writeFileSync(cache, 'not a code cache');
  assert.equal(report(launchWithCache(root, 'report')), 'code cache: rejected');
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

test('a code cache that cannot be written fails the run that was to write it (the build), naming why', () => {
  const root = checkout();
  mkdirSync(join(root, 'dist', 'cli', 'main.cjs.v8cache'));
  const r = launchWithCache(root, 'write');
  assert.equal(r.stdout, 'ran alerts list in main.cjs object');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^ouwatch: the code cache was not written: EISDIR/);
});

test('an installed package (no src/) runs without the check; no build at all is refused with the reason', () => {
  const root = checkout();
  rmSync(join(root, 'src'), { recursive: true });
  assert.equal(launch(root).stdout, 'ran alerts list in main.cjs object');
  rmSync(join(root, 'dist', 'cli', 'early-start.cjs'));
  const partial = launch(root);
  assert.equal(partial.status, 1);
  assert.match(partial.stderr, /dist\/cli\/early-start\.cjs is missing/);
  rmSync(join(root, 'dist'), { recursive: true });
  const r = launch(root);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /dist\/cli\/main\.cjs is missing/);
});

test('the early bundle gets the arguments before the build runs (it starts the ingest thread of a command that reads logs)', () => {
  const root = checkout();
  const r = launch(root, ['replay', 'a.log'], { ...process.env, EARLY_PROBE: '1' });
  assert.equal(r.stdout, 'early replay,a.log; ran replay a.log in main.cjs object', r.stderr);
  assert.equal(launch(root, ['--version'], { ...process.env, EARLY_PROBE: '1' }).stdout, '9.8.7\n', '--version alone runs neither');
});
