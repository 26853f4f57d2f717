import { existsSync } from 'node:fs';
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

/** True when running the TypeScript sources (tests, benchmarks with --source) rather than dist/. */
export const FROM_SOURCES = HERE.endsWith('.ts');

/** A file of the running code: under src/ from the sources, under dist/ in the build. */
export function codeFile(...segments: string[]): string {
  return join(PACKAGE_ROOT, FROM_SOURCES ? 'src' : 'dist', ...segments);
}
