import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, linkSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { spawnDaemon } from '../helpers/daemon.js';
import { tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';
import { REQUEST_TIMEOUT_MS } from '../helpers/http.js';

/*
 * The npm package as it is installed (`npm install -g ouwatch-*.tgz`) and as the Dockerfile
 * lays it out in the image: the packed files (package.json "files") plus the production
 * dependencies of package-lock.json, with no TypeScript sources, no tsx, no compiler.
 *
 * The dependencies are taken from the node_modules already installed, selected with
 * `npm ls --omit=dev --parseable --all` (the set `npm ci --omit=dev` and the Dockerfile's
 * `npm prune --omit=dev` leave), and hard-linked (copied across file systems): installing
 * them again would compile better-sqlite3 (about a minute) and need the registry, since the
 * npm cache after `npm ci` lacks the package metadata an offline `npm install` resolves with.
 * The files come from a real `npm pack` of the dist/ that `npm test` has just built
 * (--ignore-scripts: its `prepare` would rebuild dist/ while other tests run it).
 */

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const prefix = tempDir('ouwatch-package-');
const installed = join(prefix, 'lib', 'node_modules', 'ouwatch');
const command = join(prefix, 'bin', 'ouwatch');
const SAMPLE = ['openunison-orchestra-0.log', 'openunison-orchestra-1.log'];
// The environment of a machine that has only the package: no loader, no path to the checkout.
const ENV = { PATH: `${dirname(process.execPath)}:/usr/bin:/bin`, HOME: prefix, NO_COLOR: '1' };

function run(cmd: string, args: string[], cwd: string) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 60_000, env: { ...process.env, NODE_OPTIONS: undefined } });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** Copies a package directory by hard links (a copy across file systems), without its own node_modules. */
function linkTree(from: string, to: string, top = true): void {
  mkdirSync(to, { recursive: true });
  for (const name of readdirSync(from)) {
    if (top && name === 'node_modules') continue; // nested packages are listed by npm ls themselves
    const src = join(from, name);
    const dst = join(to, name);
    const st = lstatSync(src);
    if (st.isSymbolicLink()) symlinkSync(readlinkSync(src), dst);
    else if (st.isDirectory()) linkTree(src, dst, false);
    else {
      try {
        linkSync(src, dst);
      } catch {
        copyFileSync(src, dst);
      }
    }
  }
}

// The checkout's bin refuses a dist/ older than src/: what is packed is the current build.
run(process.execPath, [join(REPO, 'bin', 'ouwatch.js'), '--version'], REPO);
const packed = JSON.parse(run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', prefix], REPO)) as Array<{ filename: string; files: Array<{ path: string }> }>;
const files = packed[0].files.map((f) => f.path);
mkdirSync(installed, { recursive: true });
run('tar', ['-xzf', join(prefix, packed[0].filename), '-C', installed, '--strip-components=1'], prefix);
const production = run('npm', ['ls', '--omit=dev', '--parseable', '--all'], REPO).trim().split('\n').slice(1);
for (const dir of production) linkTree(dir, join(installed, relative(REPO, dir)));
mkdirSync(join(prefix, 'bin'));
symlinkSync('../lib/node_modules/ouwatch/bin/ouwatch.js', command);

test('the package ships the compiled build, the rules, the sample and the rule fixtures; no sources, tests or benchmarks', () => {
  for (const f of ['package.json', 'README.md', 'LICENSE', 'bin/ouwatch.js', 'bin/package.json', 'dist/cli/main.cjs', 'dist/cli/early-start.cjs', 'dist/cli/main.cjs.v8cache', 'dist/pipeline/worker/ingest-worker.cjs', 'dist/pipeline/worker/ingest-worker.cjs.v8cache', 'dist/rule-documents.json', 'dist/config-defaults.json', 'dist/store-schema.sqlite', 'rules/refresh-token-replay.yaml', 'fixtures/rules/refresh-token-replay', 'fixtures/sample/expected-alerts.yaml', ...SAMPLE.map((s) => `fixtures/sample/${s}`)]) {
    assert.ok(files.some((p) => p === f || p.startsWith(f + '/')), `${f} is in the package`);
  }
  // Three bundles, each whole: none requires a file of the build by a relative path (the
  // console's scripts are the browser's).
  const built = files.filter((p) => p.startsWith('dist/') && !p.startsWith('dist/app/console/assets/') && /\.(c?js|mjs)$/.test(p));
  assert.deepEqual(built.sort(), ['dist/cli/early-start.cjs', 'dist/cli/main.cjs', 'dist/pipeline/worker/ingest-worker.cjs']);
  for (const file of built) {
    const code = readFileSync(join(installed, file), 'utf8');
    assert.equal(code.match(/(?:require|import)\s*\(\s*["']\.{1,2}\//)?.[0], undefined, `${file} loads no file of the build`);
  }
  const stray = files.filter((p) => /^(src|test|bench|deploy|docs|node_modules)\//.test(p) || /\.(ts|mts|map|db)$/.test(p));
  assert.deepEqual(stray, []);
});

test('installed, it holds production dependencies only: no tsx, no TypeScript', () => {
  const pkg = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as { bin: Record<string, string>; dependencies: Record<string, string> };
  assert.deepEqual(pkg.bin, { ouwatch: 'bin/ouwatch.js' });
  for (const dev of ['tsx', 'typescript', 'esbuild', 'smtp-server']) {
    assert.equal(pkg.dependencies[dev], undefined, `${dev} is not a dependency`);
    assert.equal(existsSync(join(installed, 'node_modules', dev)), false, `${dev} is not installed`);
  }
  assert.equal(existsSync(join(installed, 'src')), false);
  assert.ok(existsSync(join(installed, 'node_modules', 'better-sqlite3')));
});

test('ouwatch runs the compiled build through the bin link, without a loader, compiled from the code cache the build wrote', () => {
  const r = spawnSync(command, ['--version'], { encoding: 'utf8', timeout: 30_000, env: ENV });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version);
  const help = spawnSync(command, ['rules', 'list'], { encoding: 'utf8', timeout: 30_000, env: { ...ENV, OUWATCH_CODE_CACHE: 'report' } });
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stderr, /^code cache: used$/m);
  // A replay's ingest thread starts its own bundle from the code cache the build wrote too.
  const replay = spawnSync(command, ['replay', join(installed, 'fixtures', 'sample', SAMPLE[0]), '--db', join(tempDir(), 'cache.db'), '-q'], { encoding: 'utf8', timeout: 60_000, env: { ...ENV, OUWATCH_CODE_CACHE: 'report' } });
  assert.equal(replay.status, 0, replay.stderr);
  assert.match(replay.stderr, /^code cache: used$/m);
  assert.match(replay.stderr, /^ingest code cache: used$/m);
});

test('without a configuration file, a command takes the defaults the build computed; a damaged file of them falls back to the schema', () => {
  const defaults = join(installed, 'dist', 'config-defaults.json');
  const original = readFileSync(defaults, 'utf8');
  const listIn = (cwd: string) => spawnSync(command, ['alerts', 'list'], { cwd, encoding: 'utf8', timeout: 30_000, env: ENV });
  try {
    // The installed copy's defaults name another database: alerts list looks for that one.
    const marked = JSON.parse(original) as { store: { path: string } };
    marked.store.path = './from-the-build.db';
    writeFileSync(defaults, JSON.stringify(marked));
    const r = listIn(tempDir());
    assert.equal(r.stderr, "ouwatch: no database at ./from-the-build.db (run 'ouwatch replay' or 'ouwatch run' first, or pass --db)\n");
    // Damaged: the schema's own defaults.
    writeFileSync(defaults, '{"store":');
    const again = listIn(tempDir());
    assert.equal(again.stderr, "ouwatch: no database at ./ouwatch.db (run 'ouwatch replay' or 'ouwatch run' first, or pass --db)\n");
  } finally {
    writeFileSync(defaults, original);
  }
});

test('replay of the bundled sample, through the parse worker compiled in dist/, raises the expected alerts', () => {
  const work = tempDir();
  const logs = SAMPLE.map((s) => join(installed, 'fixtures', 'sample', s));
  const r = spawnSync(process.execPath, [command, 'replay', ...logs, '--db', join(work, 'ouwatch.db'), '--json'], { cwd: work, encoding: 'utf8', timeout: 60_000, env: ENV });
  assert.equal(r.status, 0, r.stderr);
  const raised = r.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { rule: string }).rule).sort();
  const expected = (parse(readFileSync(join(installed, 'fixtures', 'sample', 'expected-alerts.yaml'), 'utf8')) as { alerts: Array<{ rule: string }> }).alerts.map((a) => a.rule).sort();
  assert.deepEqual(raised, expected);
  assert.match(r.stderr, /replayed 15,887 lines from 2 inputs/);
});

test('ouwatch run follows the sample and answers /healthz and /readyz, then stops cleanly on SIGTERM', async () => {
  const work = tempDir();
  const daemon = spawnDaemon(['--file', join(installed, 'fixtures', 'sample', '*.log'), '--db', join(work, 'ouwatch.db'), '--listen', '127.0.0.1:0'], { bin: command, cwd: work, env: { ...ENV, NODE_OPTIONS: undefined } });
  try {
    const url = await daemon.url();
    const health = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    assert.equal(health.status, 200);
    await waitFor('/readyz to answer 200', async () => (await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) })).status === 200, 20_000);
  } finally {
    daemon.child.kill('SIGTERM');
  }
  assert.deepEqual(await daemon.exited, { code: 0, signal: null });
  assert.deepEqual(daemon.rawErrors, [], 'nothing but JSON log lines on stderr');
});
