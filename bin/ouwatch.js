#!/usr/bin/env node
// Runs the compiled build, dist/cli/main.js: the npm package and the container image ship
// dist/ and no TypeScript. In a development checkout (src/ beside dist/), a build older than
// a source file is refused rather than run, so nobody (no test either) runs stale code:
// `npm run build` makes it again, and `npm test` and `npm install` build it first.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'dist', 'cli', 'main.js');
const src = join(root, 'src');

function refuse(why) {
  process.stderr.write(`ouwatch: ${why}: run \`npm run build\` in ${root}\n`);
  process.exit(1);
}

/**
 * The first TypeScript source edited after the build, if any. A walk of its own: Node 20's
 * `readdirSync(…, { recursive: true })` took 15 ms for src/'s 280 files, this one 3 ms, at
 * every start of a checkout's CLI (the tests and the benchmark start it hundreds of times).
 */
function newerSource(builtAt, dir = src) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    // Not path.join: normalising each of 280 paths took as long as statting them.
    const path = `${dir}/${entry.name}`;
    const found = entry.isDirectory() ? newerSource(builtAt, path) : entry.name.endsWith('.ts') && statSync(path).mtimeMs > builtAt ? path : undefined;
    if (found !== undefined) return found;
  }
  return undefined;
}

if (!existsSync(entry)) refuse('dist/cli/main.js is missing (the TypeScript has not been compiled)');
if (existsSync(src)) {
  const edited = newerSource(statSync(entry).mtimeMs);
  if (edited !== undefined) refuse(`dist/ is older than ${relative(root, edited)}`);
}
await import(pathToFileURL(entry).href);
