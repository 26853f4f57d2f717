import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CORPORA, type CorpusName } from './corpus.js';

export interface CorpusFile {
  name: CorpusName;
  path: string;
  lines: number;
  bytes: number;
  /** Seconds it took to generate, or null when an earlier one was reused. */
  generatedIn: number | null;
}

interface Meta {
  corpus: CorpusName;
  version: number;
  seed: number;
  lines: number;
  bytes: number;
}

/**
 * The corpus `name` of `lines` lines for `seed`, generated once into `dir` and reused while
 * the file is as it was written and the generator's version is the same.
 */
export function cachedCorpus(dir: string, name: CorpusName, lines: number, seed: number, fresh: boolean): CorpusFile {
  mkdirSync(dir, { recursive: true });
  const corpus = CORPORA[name];
  const path = join(dir, `${name}-${lines}-seed${seed}.log`);
  const metaPath = path + '.json';
  if (!fresh && existsSync(path) && existsSync(metaPath)) {
    const m = JSON.parse(readFileSync(metaPath, 'utf8')) as Partial<Meta>;
    if (m.version === corpus.version && m.bytes === statSync(path).size && typeof m.lines === 'number') {
      return { name, path, lines: m.lines, bytes: m.bytes, generatedIn: null };
    }
  }
  // Written aside and renamed, so a benchmark running beside this one never reads half a file.
  const started = performance.now();
  const partial = `${path}.${process.pid}.partial`;
  const written = corpus.write(partial, { lines, seed });
  renameSync(partial, path);
  const meta: Meta = { corpus: name, version: corpus.version, seed, lines: written.lines, bytes: written.bytes };
  writeFileSync(metaPath, JSON.stringify(meta));
  return { name, path, ...written, generatedIn: (performance.now() - started) / 1000 };
}
