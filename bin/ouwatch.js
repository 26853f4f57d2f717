#!/usr/bin/env node
// Runs the compiled build (dist/, made by `npm install` through the `prepare` script) when it
// is at least as new as every source file, and otherwise the TypeScript sources through tsx:
// a fresh checkout starts fast, and an edited one never runs stale code.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'dist', 'cli', 'main.js');

function buildIsCurrent() {
  if (process.env.OUWATCH_FROM_SOURCE || !existsSync(built)) return false;
  const builtAt = statSync(built).mtimeMs;
  const src = join(root, 'src');
  for (const name of readdirSync(src, { recursive: true })) {
    if (statSync(join(src, name)).mtimeMs > builtAt) return false;
  }
  return true;
}

if (buildIsCurrent()) {
  await import(built);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
