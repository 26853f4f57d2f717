import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { BIN, SAMPLE_LOGS } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

// An analyst's commands start often and must start fast: a command that reads the store loads
// what reading needs, not detection, the ingest pipeline, the address tables or the PostgreSQL
// client (which a SQLite store never uses). Checked on the modules the process really loads.

const TRACER = fileURLToPath(new URL('../helpers/module-trace.mjs', import.meta.url));

/**
 * The modules `ouwatch ARGS` loads. The CLI is one CommonJS bundle in which esbuild wraps each
 * module reached through import() (and each bundled package) in a function named by its file,
 * run on first use: V8's coverage of the bundle says which of them ran. CommonJS requests
 * (pg, better-sqlite3, yaml: packages required at run time) are named by the trace.
 */
function modulesLoadedBy(args: string[], dir: string): { sources: Set<string>; required: Set<string>; bundled: Set<string> } {
  const stamp = `${args[0]}-${Date.now()}`;
  const trace = join(dir, `trace-${stamp}.txt`);
  const coverage = join(dir, `coverage-${stamp}`);
  const r = spawnSync(process.execPath, ['--import', TRACER, BIN, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, OUWATCH_MODULE_TRACE: trace, NODE_V8_COVERAGE: coverage },
  });
  assert.equal(r.status, 0, r.stderr);
  const sources = new Set<string>();
  const required = new Set<string>();
  const bundled = new Set<string>();
  for (const line of readFileSync(trace, 'utf8').split('\n')) if (line.startsWith('cjs ')) required.add(line.slice(4));
  let sawBundle = false;
  for (const name of readdirSync(coverage)) {
    const report = JSON.parse(readFileSync(join(coverage, name), 'utf8')) as { result: Array<{ url: string; functions: Array<{ functionName: string; ranges: Array<{ count: number }> }> }> };
    for (const script of report.result.filter((s) => s.url.endsWith('/dist/cli/main.cjs'))) {
      sawBundle = true;
      for (const f of script.functions) {
        if (f.ranges[0].count === 0) continue;
        if (f.functionName.startsWith('src/')) sources.add(f.functionName);
        const pkg = /^node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(f.functionName);
        if (pkg !== null) bundled.add(pkg[1]);
      }
    }
  }
  assert.ok(sawBundle, 'the coverage holds the bundle');
  return { sources, required, bundled };
}

test('review commands on a SQLite store load neither detection nor the pipeline, the address tables or the PostgreSQL client', () => {
  const dir = tempDir();
  const db = join(dir, 'store.db');
  // The replay that fills the store loads all of them: what the checks below look for is seen.
  const replay = modulesLoadedBy(['replay', SAMPLE_LOGS[0], '--db', db, '-q'], dir);
  for (const heavy of ['src/components/detect/engine.ts', 'src/pipeline/ingest.ts', 'src/components/history/history.ts']) assert.ok(replay.sources.has(heavy), `replay loads ${heavy}`);
  for (const args of [
    ['alerts', '--db', db],
    ['alerts', '--db', db, '--rule', 'new-source-ip'],
    ['incidents', '--db', db],
  ]) {
    const { sources, required } = modulesLoadedBy(args, dir);
    assert.ok(sources.has('src/cli/alerts.ts') || sources.has('src/cli/incidents.ts'), `the trace sees the command's own modules: ${[...sources].slice(0, 5).join(', ')}`);
    for (const heavy of ['src/components/detect/engine.ts', 'src/pipeline/ingest.ts', 'src/components/history/history.ts', 'src/components/enrich/geo-table.ts']) {
      assert.ok(!sources.has(heavy), `ouwatch ${args.join(' ')} loads ${heavy}`);
    }
    assert.ok(!required.has('pg'), `ouwatch ${args.join(' ')} loads the PostgreSQL client`);
    assert.ok(required.has('better-sqlite3') || [...required].some((r) => r.includes('better-sqlite3')), 'it opens the store with better-sqlite3');
  }
});

test("the full help loads no daemon: not the logger, the metrics, the file tailer or the daemon's own modules", () => {
  const dir = tempDir();
  const { sources, required } = modulesLoadedBy(['--help'], dir);
  assert.ok(sources.has('src/cli/run.ts') && sources.has('src/cli/serve.ts'), 'every command is registered for the help');
  for (const heavy of ['src/cli/run-daemon.ts', 'src/app/run/daemon.ts', 'src/app/logger.ts', 'src/app/http/server.ts']) {
    assert.ok(!sources.has(heavy), `ouwatch --help loads ${heavy}`);
  }
  for (const pkg of ['pino', 'prom-client', '@logdna/tail-file']) {
    assert.ok(![...required].some((r) => r === pkg || r.startsWith(`${pkg}/`)), `ouwatch --help loads ${pkg}`);
  }
});

test('a replay with the shipped rules and no configuration file loads no YAML library; one with a configuration file does', () => {
  const dir = tempDir();
  const loadsYaml = (args: string[]) => {
    const { required, bundled } = modulesLoadedBy(args, dir);
    return bundled.has('yaml') || [...required].some((r) => r === 'yaml' || r.startsWith('yaml/'));
  };
  // The shipped rules are read from the build's JSON; the library costs a start about 10-15 ms.
  assert.equal(loadsYaml(['replay', SAMPLE_LOGS[0], '--db', join(dir, 'plain.db'), '-q']), false);
  const config = join(dir, 'ouwatch.yaml');
  writeFileSync(config, `store:\n  path: ${JSON.stringify(join(dir, 'configured.db'))}\n`);
  assert.equal(loadsYaml(['replay', SAMPLE_LOGS[0], '--config', config, '-q']), true);
});

test('the bundles are ASCII (node decodes them without the slow UTF-8 path), and text outside ASCII still comes out as written', () => {
  const dist = fileURLToPath(new URL('../../dist/', import.meta.url));
  for (const bundle of ['cli/main.cjs', 'cli/early-start.cjs', 'pipeline/worker/ingest-worker.cjs']) {
    const bytes = readFileSync(join(dist, bundle));
    assert.equal(bytes.findIndex((b) => b > 0x7f), -1, `dist/${bundle} holds a byte outside ASCII`);
  }
  // The message's ellipsis is an escape in the bundle now.
  const dir = tempDir();
  const config = join(dir, 'shared.yaml');
  writeFileSync(config, `sources:\n  shared: true\n  files: [${JSON.stringify(join(dir, 'a.log'))}]\n`);
  const r = spawnSync(process.execPath, [BIN, 'run', '--config', config, '--db', join(dir, 'x.db')], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /needs a PostgreSQL store \(--db postgres:\/\/… or store\.url\)/);
});
