import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Files of the installation itself. The same module runs from the sources (src/, through tsx),
 * from the build (dist/, bundled into chunks at another depth) and from an installed package,
 * so paths are taken from the package's root, never from a module's own place.
 */
function packageRoot(from: string): string {
  for (let dir = dirname(from); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

const HERE = fileURLToPath(import.meta.url);

/** Where package.json is. */
export const PACKAGE_ROOT = packageRoot(HERE);

/** The package's version, as package.json gives it (`ouwatch --version`). */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

/** True when running the TypeScript sources (tests, benchmarks with --source) rather than dist/. */
export const FROM_SOURCES = HERE.endsWith('.ts');

/** A file of the running code: under src/ from the sources, under dist/ in the build. */
export function codeFile(...segments: string[]): string {
  return join(PACKAGE_ROOT, FROM_SOURCES ? 'src' : 'dist', ...segments);
}

/**
 * A JSON file the build computed under dist/ (what a start would otherwise work out itself),
 * parsed; null from the sources, or when the build has no such file or a damaged one: the
 * caller then works it out.
 */
export function readBuiltJson(name: string): unknown {
  const bytes = readBuiltFile(name);
  if (bytes === null) return null;
  try {
    return JSON.parse(bytes.toString('utf8')) as unknown;
  } catch {
    return null;
  }
}

/** A file the build computed under dist/, as bytes; null from the sources or when the build has none. */
export function readBuiltFile(name: string): Buffer | null {
  if (FROM_SOURCES) return null;
  try {
    return readFileSync(codeFile(name));
  } catch {
    return null;
  }
}

/**
 * The compiled build of `segments` (a path under dist/) when the running sources were built
 * after their last change, else null. From the sources, a thread started through tsx costs
 * about a third of a second of loading (tsx's hooks in the new thread, every module resolved
 * through them); a build at least as new as every source file runs the same code. The rule is
 * bin/ouwatch.js's, which refuses a stale build; `npm test` builds first.
 */
export function currentBuildOf(...segments: string[]): string | null {
  const file = join(PACKAGE_ROOT, 'dist', ...segments);
  return builtAfterSources(PACKAGE_ROOT, file) ? file : null;
}

/** True when `built` exists and no TypeScript or module file under `root`/src changed after it. */
export function builtAfterSources(root: string, built: string): boolean {
  if (!existsSync(built)) return false;
  return !codeChangedAfter(join(root, 'src'), statSync(built).mtimeMs);
}

/**
 * A walk of its own, as bin/ouwatch.js's: Node 20's `readdirSync(…, { recursive: true })` took
 * two to three times as long over src/'s 280 files (under tsx, on a loaded machine: 37-60
 * against 16-22 ms), at every worker started from the sources.
 */
function codeChangedAfter(dir: string, builtAt: number): boolean {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() ? codeChangedAfter(path, builtAt) : (entry.name.endsWith('.ts') || entry.name.endsWith('.mjs')) && statSync(path).mtimeMs > builtAt) return true;
  }
  return false;
}
