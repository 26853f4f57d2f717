import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { cachedCorpus } from './corpus-cache.js';
import { CORPORA, isCorpusName, type CorpusName } from './corpus.js';
import { measure, median, type Measurement } from './measure.js';

/**
 * `npm run bench:postgres -- --postgres postgres://ouwatch@127.0.0.1:5432/scratch`: the same
 * replay of a bench corpus into a fresh SQLite file and into PostgreSQL (the database is
 * EMPTIED before each run), whole processes, and PostgreSQL's in-process lines/s as a share of
 * SQLite's (the target: at least 50 %).
 *
 *   npm run bench:postgres -- --postgres URL [--corpus benign] [--sizes 1000000] [--runs 3] [--commit-every N]
 */
const REPO = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(REPO, 'bin', 'ouwatch.js');

const { values: flags } = parseArgs({
  options: {
    postgres: { type: 'string', default: process.env.BENCH_PG_URL },
    corpus: { type: 'string', default: 'benign' },
    sizes: { type: 'string' },
    runs: { type: 'string', default: '3' },
    'commit-every': { type: 'string' },
    seed: { type: 'string', default: '42' },
    dir: { type: 'string', default: process.env.BENCH_DIR ?? join(tmpdir(), 'ouwatch-bench') },
  },
});
if (flags.postgres === undefined || !isCorpusName(flags.corpus)) {
  console.error('usage: npm run bench:postgres -- --postgres postgres://user@host:port/scratch [--corpus benign|storm|many-users|organisation] [--sizes N] [--runs 3] [--commit-every N]');
  process.exit(2);
}
const url = flags.postgres;
const corpus = CORPORA[flags.corpus as CorpusName];
const runs = Number(flags.runs);
const sizes = (flags.sizes ?? String(corpus.defaultLines)).split(',').map((s) => Number(s.replace(/_/g, '')));
const int = (n: number) => Math.round(n).toLocaleString('en-US');

/** Drops every table of the scratch database (the replay creates the schema again). */
async function emptyPostgres(): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public');
  } finally {
    await client.end();
  }
}

/** The replay's own rate (its summary line, without start-up). */
const ownRate = (m: Measurement) => Number(/\(([\d,]+) lines\/s/.exec(m.stderr)?.[1].replace(/,/g, '') ?? NaN);

async function series(db: string, path: string, before: () => Promise<void> | void): Promise<Measurement[]> {
  const out: Measurement[] = [];
  const commit = flags['commit-every'] === undefined ? [] : ['--commit-every', flags['commit-every']];
  for (let i = 0; i < runs; i++) {
    await before();
    const m = await measure([process.execPath, BIN, 'replay', path, '--db', db, '--from-start', ...commit]);
    if (m.exitCode !== 0) throw new Error(`replay into ${db} exited with ${String(m.exitCode)}:\n${m.stderr}`);
    out.push(m);
  }
  return out;
}

console.log(`replay into SQLite and PostgreSQL: node ${process.version}, ${flags.corpus}, median of ${runs}${flags['commit-every'] ? `, a commit every ${flags['commit-every']} lines` : ''}`);
for (const size of sizes) {
  const c = cachedCorpus(flags.dir, corpus.name, size, Number(flags.seed), false);
  const sqlite = join(flags.dir, `bench-postgres-${process.pid}.db`);
  const removeSqlite = () => {
    for (const suffix of ['', '-wal', '-shm']) rmSync(sqlite + suffix, { force: true });
  };
  const a = await series(sqlite, c.path, removeSqlite);
  removeSqlite();
  const b = await series(url, c.path, emptyPostgres);
  const row = (label: string, ms: Measurement[]) =>
    console.log(`${label.padEnd(12)} ${median(ms.map((m) => m.wallSeconds)).toFixed(2).padStart(7)} s wall ${int(c.lines / median(ms.map((m) => m.wallSeconds))).padStart(10)} lines/s end to end ${int(median(ms.map(ownRate))).padStart(10)} lines/s in-process`);
  console.log(`\n${int(c.lines)} lines, ${(c.bytes / 1e6).toFixed(1)} MB`);
  row('SQLite', a);
  row('PostgreSQL', b);
  const ratio = median(b.map(ownRate)) / median(a.map(ownRate));
  console.log(`PostgreSQL / SQLite, in-process lines/s: ${(ratio * 100).toFixed(0)} % (target >= 50 %): ${ratio >= 0.5 ? 'met' : 'NOT met'}`);
}
