// Builds dist/ from src/: `npm run build` (and `npm install`, through `prepare`).
//
// esbuild bundles the two entry points (the CLI and the ingest worker's thread) with their
// pure-JavaScript dependencies into a few ES modules, split where a command is loaded on
// demand. A start then reads a handful of files instead of some 300 modules (130 of ours,
// 95 of zod's, 70 of yaml's): a short replay is mostly start-up. Type checking stays with
// `tsc --noEmit` (npm test runs it); esbuild only strips the types.
import { cpSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
const BUNDLED = new Set(['commander', 'yaml', 'zod', 'picomatch', 'escape-html', 'stream-json', 'csv-stringify', 'tinyglobby']);
const external = Object.keys(pkg.dependencies).filter((d) => !BUNDLED.has(d));
// Bundled CommonJS packages call require() for node's modules.
const REQUIRE_BANNER = "import { createRequire as __ouwatchRequire } from 'node:module'; const require = __ouwatchRequire(import.meta.url);";

rmSync(join(root, 'dist'), { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: ['src/cli/main.ts', 'src/pipeline/worker/ingest-worker.ts'],
  outbase: 'src',
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external,
  banner: { js: REQUIRE_BANNER },
  chunkNames: 'chunks/[name]-[hash]',
  logLevel: 'warning',
});
cpSync(join(root, 'src', 'app', 'console', 'assets'), join(root, 'dist', 'app', 'console', 'assets'), { recursive: true });

// The shipped rules parsed now rather than at every start (components/detect/rule-documents.ts):
// [text, value as JSON] per file, the value as the loader's own parse gives it (same options).
// A start finds an unchanged file's text here and skips the YAML parser; a shipped rule that
// does not parse fails the build.
const documents = [];
for (const name of readdirSync(join(root, 'rules')).filter((n) => n.endsWith('.yaml')).sort()) {
  const text = readFileSync(join(root, 'rules', name), 'utf8');
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) throw new Error(`rules/${name}: ${doc.errors[0].message}`);
  documents.push([text, JSON.stringify(doc.toJS())]);
}
writeFileSync(join(root, 'dist', 'rule-documents.json'), JSON.stringify(documents));

// The configuration's defaults computed now rather than at every start (app/config-defaults.ts):
// what the schema gives an empty file, from the same sources, bundled on their own for a moment.
const probe = join(root, 'dist', '.config-defaults-probe.mjs');
const bundled = await build({
  absWorkingDir: root,
  stdin: { contents: "export { configSchema, PARSE_ONCE } from './src/app/config.ts';", resolveDir: root, loader: 'ts', sourcefile: 'config-defaults-probe.ts' },
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  banner: { js: REQUIRE_BANNER },
  write: false,
  logLevel: 'warning',
});
writeFileSync(probe, bundled.outputFiles[0].text);
try {
  const { configSchema, PARSE_ONCE } = await import(pathToFileURL(probe).href);
  writeFileSync(join(root, 'dist', 'config-defaults.json'), JSON.stringify(configSchema.parse({}, PARSE_ONCE)));
} finally {
  rmSync(probe, { force: true });
}
