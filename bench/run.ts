import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { writeCorpus } from './corpus.js';
import { measure, median, type Measurement } from './measure.js';

/**
 * `npm run bench`: generates a realistic OpenUnison corpus, replays it end to end with the real
 * CLI in a child process (parse + enrich + detect + store into a fresh SQLite db), and prints
 * lines/s, MB/s and peak RSS beside `wc -l` and `grep -c` on the same file, the floor to
 * compare with. Several sizes show whether memory grows with the input (it must not).
 *
 *   npm run bench                                  1,000,000 lines, median of 3 runs
 *   npm run bench -- --sizes 1000000,5000000       both sizes (peak RSS must be the same)
 *   npm run bench -- --runs 5 --fresh              5 runs each, regenerate the corpus
 *   BENCH_SIZES=5000000 BENCH_RUNS=1 npm run bench
 *   npm run bench -- --postgres postgres://ouwatch@127.0.0.1:5432/scratch
 *                                                   also into PostgreSQL (the database is EMPTIED before each run)
 *
 * Corpora are kept in $TMPDIR/ouwatch-bench (about 190 MB per million lines) and reused.
 */

const REPO = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(REPO, 'bin', 'ouwatch.js');
const GREP_PATTERN = 'ExpiredRefreshTokenUsed';
const TARGET_LINES_PER_S = 1_000_000;
const TARGET_RSS_BYTES = 400e6;

const { values: flags } = parseArgs({
  options: {
    sizes: { type: 'string', default: process.env.BENCH_SIZES ?? '1000000' },
    runs: { type: 'string', default: process.env.BENCH_RUNS ?? '3' },
    dir: { type: 'string', default: process.env.BENCH_DIR ?? join(tmpdir(), 'ouwatch-bench') },
    fresh: { type: 'boolean', default: false },
    seed: { type: 'string', default: '42' },
    postgres: { type: 'string', default: process.env.BENCH_PG_URL },
  },
});
const sizes = flags.sizes.split(',').map((s) => Number(s.replace(/_/g, '')));
const runs = Number(flags.runs);
const seed = Number(flags.seed);
if (sizes.some((n) => !Number.isInteger(n) || n < 1000) || !Number.isInteger(runs) || runs < 1) {
  console.error('usage: npm run bench -- [--sizes 1000000,5000000] [--runs 3] [--dir DIR] [--fresh] [--seed 42]');
  process.exit(2);
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const mb = (bytes: number) => (bytes >= 1e10 ? int(bytes / 1e6) : (bytes / 1e6).toFixed(1));

interface Row {
  label: string;
  runs: Measurement[];
}

/** The corpus for `lines`, generated once and reused while its size matches what was written. */
async function corpus(lines: number): Promise<{ path: string; bytes: number; lines: number }> {
  mkdirSync(flags.dir, { recursive: true });
  const path = join(flags.dir, `corpus-${lines}-seed${seed}.log`);
  const meta = path + '.json';
  if (!flags.fresh && existsSync(path) && existsSync(meta)) {
    const m = JSON.parse(readFileSync(meta, 'utf8')) as { lines: number; bytes: number };
    if (statSync(path).size === m.bytes) {
      console.log(`corpus: ${path} (reused; --fresh regenerates)`);
      return { path, ...m };
    }
  }
  // Written aside and renamed, so a benchmark running beside this one never reads half a file.
  const started = performance.now();
  const partial = `${path}.${process.pid}.partial`;
  const written = await writeCorpus(partial, { lines, seed });
  renameSync(partial, path);
  writeFileSync(meta, JSON.stringify(written));
  console.log(`corpus: ${path} (generated in ${((performance.now() - started) / 1000).toFixed(1)} s)`);
  return { path, ...written };
}

async function repeat(label: string, cmd: () => string[], before?: () => void | Promise<void>): Promise<Row> {
  const row: Row = { label, runs: [] };
  for (let i = 0; i < runs; i++) {
    await before?.();
    const m = await measure(cmd());
    if (m.exitCode !== 0) throw new Error(`${label} exited with ${String(m.exitCode)}:\n${m.stderr}`);
    row.runs.push(m);
  }
  return row;
}

function printTable(rows: Row[], lines: number, bytes: number): void {
  const head = `${'command'.padEnd(42)} ${'wall s'.padStart(8)} ${'lines/s'.padStart(12)} ${'MB/s'.padStart(9)} ${'peak RSS'.padStart(10)} ${'cpu s'.padStart(7)}`;
  console.log(head);
  console.log('-'.repeat(head.length));
  for (const r of rows) {
    const wall = median(r.runs.map((m) => m.wallSeconds));
    const rss = median(r.runs.map((m) => m.peakRssBytes));
    const cpu = median(r.runs.map((m) => m.cpuSeconds));
    console.log(
      `${r.label.padEnd(42)} ${wall.toFixed(2).padStart(8)} ${int(lines / wall).padStart(12)} ${mb(bytes / wall).padStart(9)} ${(mb(rss) + ' MB').padStart(10)} ${(Number.isNaN(cpu) ? '-' : cpu.toFixed(2)).padStart(7)}`,
    );
  }
}

/** Drops every table of a scratch database (the schema is created again by the replay). */
async function emptyPostgres(url: string): Promise<void> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public');
  } finally {
    await client.end();
  }
}

/** The replay's own figure (from its summary line), which leaves out process start-up. */
function inProcess(m: Measurement): number {
  const hit = /\(([\d,]+) lines\/s/.exec(m.stderr);
  return hit ? Number(hit[1].replace(/,/g, '')) : NaN;
}

console.log(`ouwatch replay benchmark: node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model.trim() ?? 'unknown'}), median of ${runs} run${runs > 1 ? 's' : ''}`);
const peaks: Array<{ lines: number; rss: number }> = [];
for (const size of sizes) {
  console.log('');
  const c = await corpus(size);
  const db = join(flags.dir, `bench-${size}-${process.pid}.db`);
  const freshDb = () => {
    for (const suffix of ['', '-wal', '-shm']) rmSync(db + suffix, { force: true });
  };
  console.log(`${int(c.lines)} lines, ${mb(c.bytes)} MB`);
  const wc = await repeat('wc -l', () => ['wc', '-l', c.path]);
  const grep = await repeat(`grep -c ${GREP_PATTERN}`, () => ['grep', '-c', GREP_PATTERN, c.path]);
  const replay = await repeat('ouwatch replay (fresh db, whole process)', () => ['node', BIN, 'replay', c.path, '--db', db, '--from-start'], freshDb);
  const pg = flags.postgres === undefined ? null : await repeat('ouwatch replay into PostgreSQL', () => ['node', BIN, 'replay', c.path, '--db', flags.postgres!, '--from-start'], () => emptyPostgres(flags.postgres!));
  printTable(pg === null ? [wc, grep, replay] : [wc, grep, replay, pg], c.lines, c.bytes);
  if (pg !== null) {
    const ratio = median(pg.runs.map(inProcess)) / median(replay.runs.map(inProcess));
    console.log(`PostgreSQL / SQLite, in-process lines/s: ${(ratio * 100).toFixed(0)} % (target >= 50 %)`);
  }

  const counted = Number(wc.runs[0].stdout.trim().split(/\s+/)[0]);
  const replayed = Number(/replayed ([\d,]+) lines/.exec(replay.runs[0].stderr)?.[1].replace(/,/g, '') ?? NaN);
  if (counted !== replayed) console.log(`!! wc -l counted ${int(counted)} lines, the replay ${int(replayed)}`);
  const wall = median(replay.runs.map((m) => m.wallSeconds));
  const rss = median(replay.runs.map((m) => m.peakRssBytes));
  const own = median(replay.runs.map(inProcess));
  peaks.push({ lines: c.lines, rss });
  console.log(`ouwatch in-process (its summary, without start-up): ${int(own)} lines/s`);
  console.log(`ouwatch / grep -c wall time: ${(wall / median(grep.runs.map((m) => m.wallSeconds))).toFixed(1)}x`);
  console.log(
    `targets: >= ${int(TARGET_LINES_PER_S)} lines/s end to end: ${c.lines / wall >= TARGET_LINES_PER_S ? 'met' : 'not met'}; ` +
      `peak RSS <= ${mb(TARGET_RSS_BYTES)} MB: ${rss <= TARGET_RSS_BYTES ? 'met' : 'not met'}`,
  );
  freshDb();
}
if (peaks.length > 1) {
  const base = peaks[0];
  console.log('\npeak RSS by input size (must stay flat):');
  for (const p of peaks) console.log(`  ${int(p.lines).padStart(11)} lines: ${mb(p.rss)} MB (${(((p.rss - base.rss) / base.rss) * 100).toFixed(1)}% vs ${int(base.lines)})`);
}
