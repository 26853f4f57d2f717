import { readdirSync, readFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { REPO } from './cli.js';

/**
 * `npm test` runs the spec files (`test/<stage>/*.test.ts`) in a dozen processes, not one each:
 * each process pays tsx's start (its loader thread) and the import of the modules under test
 * once for all of its files, and replays in one process share a warm ingest thread. Run that
 * way, test/detect's 20 files took 22 CPU-s against 50 in 20 processes. Each file still runs
 * on its own: a `describe` named after it, its top-level hooks scoped to it, and
 * `node --import tsx --test test/<stage>/<file>.test.ts` runs one alone.
 *
 * The files are dealt to the shards by weight (test/shards/weights.json: seconds a file took
 * in a full run, three at a time; `node scripts/test-weights.mjs TAP-LOG` writes them again
 * from a run's output), heaviest first, each to the lightest shard so far, so that the shards
 * end at about the same time. A file missing from the weights counts as
 * DEFAULT_WEIGHT; weights only move files between shards, every file runs in exactly one.
 */

const TEST_DIR = fileURLToPath(new URL('..', import.meta.url));
export const SHARD_DIR = join(TEST_DIR, 'shards');
export const DEFAULT_WEIGHT = 2;

/** Every spec file, as `test/<stage>/…/<name>.test.ts`, sorted. */
export function specFiles(): string[] {
  return readdirSync(TEST_DIR, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.test.ts'))
    .map((e) => relative(REPO, join(e.parentPath, e.name)))
    .sort();
}

/** The shard entry files (`NN.shard.ts`), sorted: their number is the number of shards. */
export function shardFiles(): string[] {
  return readdirSync(SHARD_DIR)
    .filter((f) => f.endsWith('.shard.ts'))
    .sort();
}

export function loadWeights(): Record<string, number> {
  return JSON.parse(readFileSync(join(SHARD_DIR, 'weights.json'), 'utf8')) as Record<string, number>;
}

/** A file's weight: its measured seconds, or DEFAULT_WEIGHT for a file not measured yet. */
export function weightOf(weights: Readonly<Record<string, number>>, file: string): number {
  return weights[file] ?? DEFAULT_WEIGHT;
}

/** Longest-processing-time-first: the heaviest file goes to the lightest shard; ties by name and shard order. */
export function dealShards(files: readonly string[], weights: Readonly<Record<string, number>>, shards: number): string[][] {
  const weight = (f: string) => weightOf(weights, f);
  const order = [...files].sort((a, b) => weight(b) - weight(a) || a.localeCompare(b));
  const out: string[][] = Array.from({ length: shards }, () => []);
  const load = new Array<number>(shards).fill(0);
  for (const f of order) {
    let lightest = 0;
    for (let i = 1; i < shards; i++) if (load[i] < load[lightest]) lightest = i;
    out[lightest].push(f);
    load[lightest] += weight(f);
  }
  return out.map((s) => s.sort());
}

/** Registers this shard's spec files, one `describe` per file, imported in turn. */
export function runShard(shardUrl: string): void {
  const shards = shardFiles();
  const index = shards.indexOf(basename(fileURLToPath(shardUrl)));
  if (index < 0) throw new Error(`${shardUrl} is not a shard entry of ${SHARD_DIR}`);
  const mine = dealShards(specFiles(), loadWeights(), shards.length)[index];
  for (const file of mine) {
    describe(file, async () => {
      try {
        await import(pathToFileURL(join(REPO, file)).href);
      } catch (err) {
        // A failed suite is not counted in the summary's `# fail`: a failing test is.
        test(`${file} loads`, () => {
          throw err;
        });
      }
    });
  }
}
