// Builds dist/ from src/: `npm run build` (and `npm install`, through `prepare`).
//
// esbuild bundles the two entry points (the CLI and the ingest worker's thread) with their
// pure-JavaScript dependencies into a few ES modules, split where a command is loaded on
// demand. A start then reads a handful of files instead of some 300 modules (130 of ours,
// 95 of zod's, 70 of yaml's): a short replay is mostly start-up. Type checking stays with
// `tsc --noEmit` (npm test runs it); esbuild only strips the types.
import { cpSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
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
  // Bundled CommonJS packages call require() for node's modules.
  banner: { js: "import { createRequire as __ouwatchRequire } from 'node:module'; const require = __ouwatchRequire(import.meta.url);" },
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
