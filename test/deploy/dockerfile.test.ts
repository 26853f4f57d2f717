import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

/*
 * No image can be built here (no Docker engine, no registry for base images): these check the
 * Dockerfile's promises statically; package.test.ts runs the layout it produces.
 */

const read = (f: string) => readFileSync(new URL(`../../${f}`, import.meta.url), 'utf8');
const dockerfile = read('Dockerfile');
const pkg = JSON.parse(read('package.json')) as { version: string; files: string[]; scripts: Record<string, string> };
const stages = dockerfile.split(/^(?=FROM )/m).slice(1);
const runtime = stages.at(-1)!;
const instructions = (stage: string, word: string) => stage.split('\n').filter((l) => l.startsWith(word + ' ')).map((l) => l.slice(word.length + 1).trim());

test('two stages from a slim Node 20 image: a builder, then the runtime', () => {
  assert.equal(stages.length, 2);
  assert.match(dockerfile, /^ARG NODE_IMAGE=node:20-[a-z]+-slim$/m);
  assert.deepEqual(stages.map((s) => s.split('\n')[0]), ['FROM ${NODE_IMAGE} AS build', 'FROM ${NODE_IMAGE}']);
});

test('the builder compiles the addon and the TypeScript, packs the package and keeps production dependencies only', () => {
  const build = stages[0];
  assert.match(build, /npm ci --ignore-scripts/);
  assert.match(build, /npm rebuild better-sqlite3/);
  assert.match(build, /npm run build/);
  assert.match(build, /npm pack --ignore-scripts/);
  assert.match(build, /npm prune --omit=dev/);
  // Everything the package's file list names must be in the build context.
  const copied = instructions(build, 'COPY').flatMap((c) => c.split(/\s+/).slice(0, -1));
  for (const entry of pkg.files.filter((f) => !f.startsWith('dist/'))) {
    const top = entry.split('/')[0];
    assert.ok(copied.includes(top), `the builder copies ${top} (package.json files: ${entry})`);
  }
  // What `npm run build` runs, and what it reads: the sources, the file the bundles are given
  // for import.meta, and the launcher and sample its last step replays (the code cache).
  const buildScript = /^node (\S+)$/.exec(pkg.scripts.build)?.[1];
  assert.ok(buildScript, `npm run build is one script: ${pkg.scripts.build}`);
  for (const f of ['package.json', 'package-lock.json', buildScript, 'src', 'bin', 'fixtures', 'README.md', 'LICENSE']) assert.ok(copied.includes(f), `copies ${f}`);
  // Every file of scripts/ the build script names (the import.meta file, the native addon's loader).
  const named = [...read(buildScript!).matchAll(/join\(root, 'scripts', '([^']+)'\)/g)].map((m) => `scripts/${m[1]}`);
  assert.ok(named.includes('scripts/import-meta-url.js') && named.includes('scripts/sqlite-addon.cjs'), named.join(', '));
  for (const f of named) assert.ok(copied.includes(f), `copies ${f}, which ${buildScript} reads`);
});

test('the runtime: only the built package, a numeric non-root user, ouwatch as the entrypoint, labels with the version', () => {
  assert.deepEqual(instructions(runtime, 'COPY'), ['--from=build /app /opt/ouwatch']);
  assert.deepEqual(instructions(runtime, 'USER'), ['65532:65532']);
  assert.deepEqual(instructions(runtime, 'ENTRYPOINT'), ['["ouwatch"]']);
  assert.deepEqual(instructions(runtime, 'WORKDIR'), ['/var/lib/ouwatch'], 'the database volume is the working directory');
  assert.deepEqual(instructions(runtime, 'ARG').filter((a) => a.startsWith('VERSION=')), [`VERSION=${pkg.version}`]);
  for (const label of ['title', 'description', 'version', 'licenses']) assert.match(runtime, new RegExp(`org\\.opencontainers\\.image\\.${label}=`));
  assert.doesNotMatch(runtime, /apt-get|npm (ci|install)/, 'nothing is installed in the runtime stage');
});

test('.dockerignore keeps host builds and data out of the build context', () => {
  const ignored = read('.dockerignore').split('\n').filter((l) => l && !l.startsWith('#'));
  for (const p of ['node_modules', 'dist', '.git', '*.db', 'test', 'bench']) assert.ok(ignored.includes(p), p);
});
