import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { SRC, sourceFiles } from '../helpers/source-files.js';

/**
 * Imports point inward only: cli -> app -> pipeline -> components -> core, and the store
 * adapters implement ports declared in core. A layer may import itself and what is inward of it.
 */
const MAY_IMPORT: Record<string, readonly string[]> = {
  core: ['core'],
  store: ['store', 'core'],
  components: ['components', 'core'],
  pipeline: ['pipeline', 'components', 'core'],
  app: ['app', 'pipeline', 'components', 'store', 'core'],
  cli: ['cli', 'app', 'core'],
};

/** Imports that break the rule today; this list only shrinks (the layout is being finished). */
const KNOWN: ReadonlySet<string> = new Set(readFileSync(new URL('./known-violations.txt', import.meta.url), 'utf8').split('\n').filter((l) => l.trim() !== ''));

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:from\s+|import\(\s*)'(\.{1,2}\/[^']+)'/g)) out.push(m[1]);
  return out;
}

test('every import points inward (cli -> app -> pipeline -> components -> core; store -> core)', () => {
  const found: string[] = [];
  for (const file of sourceFiles()) {
    const from = relative(SRC, file);
    const layer = from.split('/')[0];
    assert.ok(layer in MAY_IMPORT, `${from}: every source file lives in one of ${Object.keys(MAY_IMPORT).join(', ')}`);
    for (const spec of imports(file)) {
      const target = relative(SRC, resolve(dirname(file), spec));
      const to = target.split('/')[0];
      if (!MAY_IMPORT[layer].includes(to)) found.push(`${from} -> ${target}`);
    }
  }
  const fresh = found.filter((v) => !KNOWN.has(v));
  assert.deepEqual(fresh, [], 'new imports against the layering');
  const fixed = [...KNOWN].filter((v) => !found.includes(v));
  assert.deepEqual(fixed, [], 'these are fixed: remove them from test/architecture/known-violations.txt');
});

test('no folder cycles inside a layer (a component does not import one that imports it)', () => {
  const edges = new Map<string, Set<string>>();
  const folderOf = (p: string) => p.split('/').slice(0, p.startsWith('components/') || p.startsWith('store/') ? 3 : 2).filter((x) => !x.endsWith('.ts')).join('/');
  for (const file of sourceFiles()) {
    const from = folderOf(relative(SRC, file));
    for (const spec of imports(file)) {
      const to = folderOf(relative(SRC, resolve(dirname(file), spec)));
      if (to === from) continue;
      if (!edges.has(from)) edges.set(from, new Set());
      edges.get(from)!.add(to);
    }
  }
  const cycles: string[] = [];
  for (const [a, tos] of edges) for (const b of tos) if (a < b && edges.get(b)?.has(a)) cycles.push(`${a} <-> ${b}`);
  assert.deepEqual(cycles, []);
});
