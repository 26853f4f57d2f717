import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * Builds dist/ from src/ (what `npm install` does through `prepare`), so the benchmark
 * measures the code users run: in a checkout, bin/ouwatch.js refuses a build older than a
 * source file.
 */
export function buildProduct(repo: string): number {
  const started = performance.now();
  const r = spawnSync(process.execPath, [join(repo, 'scripts', 'build.mjs')], { cwd: repo, encoding: 'utf8' });
  if (r.status !== 0) {
    throw new Error(`npm run build failed (run the benchmark with --source to measure the sources through tsx):\n${r.stdout}${r.stderr}`);
  }
  return (performance.now() - started) / 1000;
}

/**
 * How the benchmark starts the CLI: as an installed package runs it, through bin/ouwatch.js,
 * which compiles the build from V8's code cache (in a checkout it first checks, in about 3 ms
 * of stat calls, that no source is newer; the benchmark has just built it); with `source`,
 * the TypeScript through tsx.
 */
export function cliCommand(repo: string, source: boolean): string[] {
  return source ? [process.execPath, '--import', 'tsx', join(repo, 'src', 'cli', 'main.ts')] : [process.execPath, join(repo, 'bin', 'ouwatch.js')];
}
