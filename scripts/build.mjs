// Builds dist/ from src/: `npm run build` (and `npm install`, through `prepare`).
//
// esbuild bundles each entry point (the CLI, the ingest worker's thread, and the small bundle
// that starts that thread before the CLI's is compiled) with its pure-JavaScript dependencies
// into one CommonJS file: dist/cli/main.cjs, dist/pipeline/worker/ingest-worker.cjs and
// dist/cli/early-start.cjs. Modules reached through import() stay lazy inside
// the bundle (their code is there, run on first use), and so do the packages they require.
// One file can be compiled from V8's code cache, which node 20 offers for a script, not for
// ES modules: the build ends with a sample replay that writes that cache for bin/ouwatch.js.
// A short replay is mostly start-up: 0.49 s with ES module chunks, 0.35 s this way (1,000 lines).
// Type checking is TypeScript's (`npm run typecheck`, and test/architecture/type-check.test.ts in
// npm test); esbuild only strips the types.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { parseDocument } from 'yaml';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

// Bundled: small, pure JavaScript, loaded at every start. Every other dependency stays a
// package of node_modules: native code (better-sqlite3), worker threads started from their own
// files (pino), data files found through their package (geoip-lite, the ASN table, uPlot), and
// large ones loaded only when needed (pg, nodemailer, the Kubernetes client).
// better-sqlite3's JavaScript is bundled too (about 10 ms of module loading at every start),
// its native addon loaded from the installed package (scripts/sqlite-addon.cjs).
const BUNDLED = new Set(['commander', 'yaml', 'zod', 'picomatch', 'escape-html', 'stream-json', 'csv-stringify', 'tinyglobby', 'better-sqlite3']);
const sqliteAddon = {
  name: 'sqlite-addon',
  setup(b) {
    b.onResolve({ filter: /^bindings$/ }, () => ({ path: join(root, 'scripts', 'sqlite-addon.cjs') }));
  },
};
const external = Object.keys(pkg.dependencies).filter((d) => !BUNDLED.has(d));

rmSync(join(root, 'dist'), { recursive: true, force: true });
for (const entry of ['src/cli/main.ts', 'src/cli/early-start.ts', 'src/pipeline/worker/ingest-worker.ts']) {
  await build({
    absWorkingDir: root,
    entryPoints: [entry],
    outbase: 'src',
    outdir: 'dist',
    outExtension: { '.js': '.cjs' },
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    external,
    // CommonJS has no import.meta: the sources' uses (package-files.ts, the data packages'
    // paths) get the bundle's own file URL.
    define: { 'import.meta.url': '__ouwatchImportMetaUrl' },
    // import() of a package becomes require(): a script compiled with a code cache has no
    // loader for import() unless an experimental option gives it one.
    supported: { 'dynamic-import': false },
    inject: [join(root, 'scripts', 'import-meta-url.js')],
    plugins: [sqliteAddon],
    logLevel: 'warning',
  });
}
// Each bundle in ASCII only. esbuild escapes the characters of strings and identifiers; comments
// and template literals keep theirs (an ellipsis, a middle dot). One of them made node decode
// the whole 1.6 MB CLI bundle as UTF-8 into a two-byte string at every start: 13 ms, against
// 5 for the same bytes as Latin-1 (and half the memory for the source V8 holds). A \uXXXX escape means the same
// character in a string, a template (cooked), a regular expression and a comment; only a raw
// template's text differs, and a character after a backslash: the check below refuses both.
for (const bundle of ['cli/main.cjs', 'cli/early-start.cjs', 'pipeline/worker/ingest-worker.cjs']) {
  const file = join(root, 'dist', bundle);
  const text = readFileSync(file, 'utf8');
  if (!/[^\x00-\x7f]/.test(text)) continue;
  for (const line of text.split('\n')) {
    const changed = /[^\x00-\x7f]/.test(line) && (/String\.raw|\.raw\b/.test(line) || /\\[^\x00-\x7f]/.test(line));
    if (changed) throw new Error(`dist/${bundle}: a character outside ASCII that an escape would change (in a raw template, or after a backslash): ${line.trim()}`);
  }
  // Each UTF-16 unit its own escape: a character outside the BMP becomes its surrogate pair.
  const escape = (c) => Array.from({ length: c.length }, (_, i) => '\\u' + c.charCodeAt(i).toString(16).padStart(4, '0')).join('');
  writeFileSync(file, text.replace(/[^\x00-\x7f]/gu, escape));
}
cpSync(join(root, 'src', 'app', 'console', 'assets'), join(root, 'dist', 'app', 'console', 'assets'), { recursive: true });

/**
 * Runs `use` on the exports of `source` (TypeScript importing from src/), bundled on their own
 * for a moment: what the build computes with the product's own code rather than at every start.
 */
async function withProbe(name, source, use) {
  const file = join(root, 'dist', `.${name}-probe.mjs`);
  const bundled = await build({
    absWorkingDir: root,
    stdin: { contents: source, resolveDir: root, loader: 'ts', sourcefile: `${name}-probe.ts` },
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // Native, data-carrying and large packages stay in node_modules, as in the bundles.
    external: [...external, 'better-sqlite3'],
    // Bundled CommonJS packages call require() for node's modules.
    banner: { js: "import { createRequire as __ouwatchRequire } from 'node:module'; const require = __ouwatchRequire(import.meta.url);" },
    write: false,
    logLevel: 'warning',
  });
  writeFileSync(file, bundled.outputFiles[0].text);
  try {
    return await use(await import(pathToFileURL(file).href));
  } finally {
    rmSync(file, { force: true });
  }
}

// The shipped rules parsed and validated now rather than at every start
// (components/detect/rule-documents.ts): [text, value as JSON, validated value as JSON] per
// file, the value as the loader's own parse gives it (same options), the validated value as
// its schemas give it (null where it would not come back the same from JSON). A start finds an
// unchanged file's text here and runs neither the YAML parser nor a schema; a shipped rule
// that does not parse fails the build.
await withProbe('rule-documents', "export { prevalidate } from './src/components/detect/rules.ts';", ({ prevalidate }) => {
  const documents = [];
  for (const name of readdirSync(join(root, 'rules')).filter((n) => n.endsWith('.yaml')).sort()) {
    const text = readFileSync(join(root, 'rules', name), 'utf8');
    const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
    if (doc.errors.length > 0) throw new Error(`rules/${name}: ${doc.errors[0].message}`);
    const value = doc.toJS();
    documents.push([text, JSON.stringify(value), prevalidate(value)]);
  }
  writeFileSync(join(root, 'dist', 'rule-documents.json'), JSON.stringify(documents));
});

// The configuration's defaults computed now rather than at every start (app/config-defaults.ts):
// what the schema gives an empty file, from the same sources.
await withProbe('config-defaults', "export { configSchema, PARSE_ONCE } from './src/app/config.ts';", ({ configSchema, PARSE_ONCE }) => {
  writeFileSync(join(root, 'dist', 'config-defaults.json'), JSON.stringify(configSchema.parse({}, PARSE_ONCE)));
});

// The image of a new store, migrated now rather than at every replay into a new file
// (store/sqlite/new-store-file.ts): the migrations' SQL run on an empty database, compacted.
await withProbe('store-snapshot', "export { migratedSnapshot } from './src/store/sqlite/database.ts';", ({ migratedSnapshot }) => {
  writeFileSync(join(root, 'dist', 'store-schema.sqlite'), migratedSnapshot());
});

// V8's code cache of the CLI's bundle (bin/ouwatch.js): the functions a replay of the bundled
// sample compiles, written at its exit. The last step: the cache must be newer than the bundle.
const work = mkdtempSync(join(tmpdir(), 'ouwatch-build-'));
try {
  const sample = [0, 1].map((r) => join(root, 'fixtures', 'sample', `openunison-orchestra-${r}.log`));
  const warm = spawnSync(process.execPath, [join(root, 'bin', 'ouwatch.js'), 'replay', ...sample, '--db', join(work, 'sample.db'), '-q'], {
    cwd: work,
    env: { ...process.env, OUWATCH_CODE_CACHE: 'write' },
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (warm.status !== 0) throw new Error(`the sample replay that writes the code cache failed:\n${warm.stderr}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
