import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { BIN, ok, SAMPLE_LOGS } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

// An analyst's commands start often and must start fast: a command that reads the store loads
// what reading needs, not detection, the ingest pipeline, the address tables or the PostgreSQL
// client (which a SQLite store never uses). Checked on the modules the process really loads.

const TRACER = fileURLToPath(new URL('../helpers/module-trace.mjs', import.meta.url));

/** The modules `ouwatch ARGS` loads: ESM files by the source files bundled in them, CommonJS requests as named. */
function modulesLoadedBy(args: string[], dir: string): { sources: Set<string>; required: Set<string>; bundled: Set<string> } {
  const trace = join(dir, `trace-${args[0]}-${Date.now()}.txt`);
  const r = spawnSync(process.execPath, ['--import', TRACER, BIN, ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, OUWATCH_MODULE_TRACE: trace } });
  assert.equal(r.status, 0, r.stderr);
  const sources = new Set<string>();
  const required = new Set<string>();
  const bundled = new Set<string>();
  for (const line of readFileSync(trace, 'utf8').split('\n')) {
    if (line.startsWith('cjs ')) required.add(line.slice(4));
    else if (line.startsWith('esm file:') && line.includes('/dist/')) {
      // esbuild marks where each source file (and each bundled package's file) begins inside a bundle.
      const text = readFileSync(fileURLToPath(line.slice(4)), 'utf8');
      for (const m of text.matchAll(/^\/\/ (src\/\S+)$/gm)) sources.add(m[1]);
      for (const m of text.matchAll(/^\/\/ node_modules\/((?:@[^/\s]+\/)?[^/\s]+)\//gm)) bundled.add(m[1]);
    }
  }
  return { sources, required, bundled };
}

test('review commands on a SQLite store load neither detection nor the pipeline, the address tables or the PostgreSQL client', () => {
  const dir = tempDir();
  const db = join(dir, 'store.db');
  ok(['replay', SAMPLE_LOGS[0], '--db', db, '-q']);
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
