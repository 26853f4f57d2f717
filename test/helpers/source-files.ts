import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The product's sources (`src/`), as a directory path ending in a separator. */
export const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

/** Every TypeScript and .mjs file under `dir`, as full paths. */
export function sourceFiles(dir: string = SRC): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.(ts|mjs)$/.test(e.name))
    .map((e) => join(e.parentPath, e.name));
}
