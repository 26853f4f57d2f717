import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * Builds dist/ from src/ (what `npm install` does through `prepare`), so the benchmark
 * measures the code users run: bin/ouwatch.js runs dist/ when it is at least as new as every
 * source file, and otherwise compiles the sources on the fly at every start (tsx).
 */
export function buildProduct(repo: string): number {
  const started = performance.now();
  const r = spawnSync(process.execPath, [join(repo, 'scripts', 'build.mjs')], { cwd: repo, encoding: 'utf8' });
  if (r.status !== 0) {
    throw new Error(`npm run build failed (run the benchmark with --source to measure the sources through tsx):\n${r.stdout}${r.stderr}`);
  }
  return (performance.now() - started) / 1000;
}
