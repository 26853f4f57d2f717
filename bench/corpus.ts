import { BENIGN_VERSION, writeBenign } from './corpora/benign.js';
import { MANY_USERS_VERSION, writeManyUsers } from './corpora/many-users.js';
import { MONTHS_VERSION, writeMonths } from './corpora/months.js';
import { ORGANISATION_VERSION, writeOrganisation } from './corpora/organisation.js';
import { STORM_VERSION, writeStorm } from './corpora/storm.js';
import type { CorpusOptions, Written } from './corpora/types.js';

export type { CorpusOptions, Written } from './corpora/types.js';

/**
 * The benchmark's corpora, realistic OpenUnison logs generated deterministically from a seed
 * (the same bytes every time), one generator per file under corpora/:
 *  - benign: everyday traffic of a few thousand users; a few thousand alerts per million lines.
 *  - storm: 2,000 users on private addresses, 2 % of successes from random public addresses
 *    in 64 countries; about 37,000 alerts per million lines.
 *  - many-users: half as many distinct DNs as lines (1 M in 2 M), each seen about twice.
 *  - organisation: benign's traffic from 50,000 people, 10,000 of them at work at once.
 *  - months: 2,000 people who come back every day for 90 days, a new phone address a day each.
 */
export interface Corpus {
  name: CorpusName;
  /** Lines the benchmark uses when no size is given. */
  defaultLines: number;
  /** Changes whenever the generator writes different bytes for a seed. */
  version: number;
  write(path: string, opts: CorpusOptions): Written;
}

export const CORPUS_NAMES = ['benign', 'storm', 'many-users', 'organisation', 'months'] as const;
export type CorpusName = (typeof CORPUS_NAMES)[number];

export const CORPORA: Readonly<Record<CorpusName, Corpus>> = {
  benign: { name: 'benign', defaultLines: 1_000_000, version: BENIGN_VERSION, write: writeBenign },
  storm: { name: 'storm', defaultLines: 1_000_000, version: STORM_VERSION, write: writeStorm },
  'many-users': { name: 'many-users', defaultLines: 2_000_000, version: MANY_USERS_VERSION, write: writeManyUsers },
  organisation: { name: 'organisation', defaultLines: 1_000_000, version: ORGANISATION_VERSION, write: writeOrganisation },
  months: { name: 'months', defaultLines: 2_160_000, version: MONTHS_VERSION, write: writeMonths },
};

export function isCorpusName(s: string): s is CorpusName {
  return (CORPUS_NAMES as readonly string[]).includes(s);
}

/** The benign corpus (what the tests that need a big realistic log use). */
export async function writeCorpus(path: string, opts: CorpusOptions): Promise<Written> {
  return writeBenign(path, opts);
}

// node --import tsx bench/corpus.ts [benign|storm|many-users|organisation|months] FILE [LINES] [SEED] [--public-share X]
if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  let publicShare: number | undefined;
  const flag = args.indexOf('--public-share');
  if (flag >= 0) {
    publicShare = Number(args[flag + 1]);
    args.splice(flag, 2);
    if (!(publicShare >= 0 && publicShare <= 1)) {
      console.error('--public-share: expected a share between 0 and 1 (storm only)');
      process.exit(2);
    }
  }
  const name = args[0] !== undefined && isCorpusName(args[0]) ? args.shift()! : 'benign';
  const [path, n, seed] = args;
  if (path === undefined) {
    console.error(`usage: node --import tsx bench/corpus.ts [${CORPUS_NAMES.join('|')}] FILE [LINES] [SEED] [--public-share X]`);
    process.exit(2);
  }
  const corpus = CORPORA[name as CorpusName];
  const started = performance.now();
  const r = corpus.write(path, { lines: Number(n ?? corpus.defaultLines), seed: seed === undefined ? undefined : Number(seed), publicShare });
  console.error(`wrote ${name}: ${r.lines} lines, ${r.bytes} bytes to ${path} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
