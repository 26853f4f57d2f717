import { rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildProduct, cliCommand } from './build.js';
import { cachedCorpus, type CorpusFile } from './corpus-cache.js';
import { CORPORA, CORPUS_NAMES, isCorpusName, type CorpusName } from './corpus.js';
import { measure, measureIntoSlowReader, median, type Measurement } from './measure.js';
import { figures, int, judge, mb, printStartupTable, printTable, printVerdicts, secs, type Row, type Target, type Verdict } from './report.js';

/**
 * `npm run bench`: generates the five corpora (benign, storm, many-users, organisation, months), replays each end to
 * end with the real CLI in a child process (parse, enrich, detect, store into a fresh SQLite
 * db, start-up included), and prints lines/s, MB/s, CPU and peak RSS beside three floors on
 * the same file: `wc -l`, `grep -c`, and a bare Node readline + regex loop. Then the replay
 * with `--json` into a slow reader (backpressure: memory must stay bounded), start-up times,
 * and a verdict per target.
 *
 *   npm run bench                                    all corpora at their default size, median of 3
 *   npm run bench -- --corpus storm --sizes 1000000,5000000
 *   npm run bench -- --sizes 100000 --runs 1         a quick look while developing
 *   npm run bench -- --timeout 600                   let slow replays finish (default 120 s)
 *   npm run bench -- --json-slow-reader 0            skip the slow-reader run
 *   npm run bench -- --source                        measure the sources through tsx, not dist/
 *
 * Corpora are kept in $TMPDIR/ouwatch-bench (about 200 MB per million lines) and reused.
 */

const REPO = fileURLToPath(new URL('..', import.meta.url));
const GREP_PATTERN = 'ExpiredRefreshTokenUsed';
const FLOOR_SCRIPT = join(REPO, 'bench', 'readline-floor.mjs');
const STARTUP_LINES = 1000;
const MAX_RSS_BYTES = 400e6;
const MAX_STARTUP_SECONDS = 0.15;
// The organisation and months corpora are benign traffic (more people at once; months of them): benign's target.
const MIN_LINES_PER_SECOND: Readonly<Record<CorpusName, number>> = { benign: 1_000_000, storm: 1_000_000, 'many-users': 300_000, organisation: 1_000_000, months: 1_000_000 };
/** Corpora whose target includes `--json` into a slow reader. */
const SLOW_READER_CORPORA: readonly CorpusName[] = ['benign', 'storm'];

const USAGE = `usage: npm run bench -- [--corpus ${CORPUS_NAMES.join(',')}] [--sizes 1000000,5000000] [--runs 3] [--timeout 120]
                       [--json-slow-reader BYTES_PER_S (0 = off)] [--startup-runs 10] [--fresh] [--seed 42] [--dir DIR] [--source]`;

const OPTIONS = {
  corpus: { type: 'string', default: CORPUS_NAMES.join(',') },
  sizes: { type: 'string' },
  runs: { type: 'string', default: process.env.BENCH_RUNS ?? '3' },
  timeout: { type: 'string', default: '120' },
  'json-slow-reader': { type: 'string', default: '2000000' },
  'startup-runs': { type: 'string', default: '10' },
  dir: { type: 'string', default: process.env.BENCH_DIR ?? join(tmpdir(), 'ouwatch-bench') },
  fresh: { type: 'boolean', default: false },
  seed: { type: 'string', default: '42' },
  source: { type: 'boolean', default: false },
  help: { type: 'boolean', default: false },
} as const;

function parseFlags() {
  try {
    return parseArgs({ options: OPTIONS }).values;
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    process.exit(2);
  }
}

const flags = parseFlags();
const num = (s: string) => Number(s.replace(/_/g, ''));
const corpora = flags.corpus.split(',').map((s) => s.trim());
const sizes = (flags.sizes ?? process.env.BENCH_SIZES)?.split(',').map(num);
const runs = num(flags.runs);
const timeoutSeconds = num(flags.timeout);
const slowReaderRate = num(flags['json-slow-reader']);
const startupRuns = num(flags['startup-runs']);
const seed = num(flags.seed);
const bad =
  !corpora.every(isCorpusName) ||
  (sizes !== undefined && sizes.some((n) => !Number.isInteger(n) || n < 1000)) ||
  ![runs, startupRuns].every((n) => Number.isInteger(n) && n >= 1) ||
  !(timeoutSeconds > 0) ||
  !(slowReaderRate >= 0) ||
  !Number.isInteger(seed);
if (flags.help || bad) {
  console.error(USAGE);
  process.exit(flags.help ? 0 : 2);
}
const CLI = cliCommand(REPO, flags.source);

async function series(label: string, runsWanted: number, timeoutS: number, once: () => Promise<Measurement>, okExits: readonly number[] = [0]): Promise<Row> {
  const row: Row = { label, runs: [], timeoutSeconds: timeoutS };
  for (let i = 0; i < runsWanted; i++) {
    const m = await once();
    row.runs.push(m);
    if (m.timedOut) break; // one run past the bound says enough
    if (!okExits.includes(m.exitCode ?? -1)) throw new Error(`${label} exited with ${String(m.exitCode)}:\n${m.stderr.slice(-4000)}`);
  }
  return row;
}

function scratchDb(name: string): { path: string; remove: () => void } {
  const path = join(flags.dir, `${name}-${process.pid}.db`);
  const remove = () => {
    for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
  };
  return { path, remove };
}

/** The replay's own summary on stderr: lines read, its in-process rate (no start-up), alerts raised. */
function summaryOf(m: Measurement): { lines: number; ownRate: number; alerts: number; users: number } {
  const n = (re: RegExp) => Number(re.exec(m.stderr)?.[1].replace(/,/g, '').replace('none', '0') ?? NaN);
  return {
    lines: n(/replayed ([\d,]+) lines/),
    ownRate: n(/\(([\d,]+) lines\/s/),
    alerts: n(/alerts:\s+([\d,]+|none) raised/),
    users: n(/users:\s+(?:about )?([\d,]+) seen/),
  };
}

async function benchCorpus(c: CorpusFile): Promise<{ verdicts: Verdict[]; rss: number }> {
  const timeoutMs = timeoutSeconds * 1000;
  const db = scratchDb(`bench-${c.name}`);
  const wc = await series('wc -l', runs, timeoutSeconds, () => measure(['wc', '-l', c.path]));
  const grep = await series(`grep -c ${GREP_PATTERN}`, runs, timeoutSeconds, () => measure(['grep', '-c', GREP_PATTERN, c.path]), [0, 1]); // 1: no line matched
  const floor = await series('node readline + regex (floor)', runs, timeoutSeconds, () => measure([process.execPath, FLOOR_SCRIPT, c.path]));
  const replayCmd = (json: boolean) => [...CLI, 'replay', c.path, '--db', db.path, '--from-start', ...(json ? ['--json'] : [])];
  const replay = await series('ouwatch replay (fresh db, whole process)', runs, timeoutSeconds, () => {
    db.remove();
    return measure(replayCmd(false), { timeoutMs });
  });
  const rows = [wc, grep, floor, replay];
  let slow: Row | null = null;
  let readerLines: number | null = null;
  if (slowReaderRate > 0 && SLOW_READER_CORPORA.includes(c.name)) {
    // What --json costs by itself (printing the alerts), to tell it apart from buffering.
    rows.push(
      await series('ouwatch replay --json > /dev/null', 1, timeoutSeconds, () => {
        db.remove();
        return measure(replayCmd(true), { timeoutMs, stdout: 'ignore' });
      }),
    );
    // The reader sets the pace here, so the bound is wider; one run: the figure is the memory.
    slow = await series(`ouwatch replay --json | reader at ${mb(slowReaderRate)} MB/s`, 1, 4 * timeoutSeconds, async () => {
      db.remove();
      const m = await measureIntoSlowReader(replayCmd(true), slowReaderRate, { timeoutMs: 4 * timeoutMs });
      readerLines = m.reader?.lines ?? null;
      return m;
    });
    rows.push(slow);
  }
  db.remove();
  const figs = rows.map(figures);
  printTable(rows, c.lines, c.bytes);

  const r = figs[3];
  const done = replay.runs.find((m) => !m.timedOut);
  if (done !== undefined) {
    const s = summaryOf(done);
    const counted = Number(wc.runs[0].stdout.trim().split(/\s+/)[0]);
    if (counted !== s.lines) console.log(`!! wc -l counted ${int(counted)} lines, the replay ${int(s.lines)}`);
    console.log(`ouwatch: ${int(s.users)} users seen, ${int(s.alerts)} alerts raised; ${int(median(replay.runs.filter((m) => !m.timedOut).map((m) => summaryOf(m).ownRate)))} lines/s in-process (its own summary, without start-up)`);
    console.log(`ouwatch wall time: ${(r.wallSeconds / figs[1].wallSeconds).toFixed(1)}x grep -c, ${(r.wallSeconds / figs[2].wallSeconds).toFixed(1)}x the readline floor`);
    if (slow !== null && readerLines !== null && readerLines !== s.alerts && !slow.runs[0].timedOut) {
      console.log(`!! the slow reader got ${int(readerLines)} lines, the replay raised ${int(s.alerts)} alerts`);
    }
  }
  const size = `${c.name} ${int(c.lines)}`;
  const bound = (upper: boolean) => (r.timedOut ? (upper ? 'upper' : 'lower') : 'exact');
  const verdicts = [
    judge({ what: `${size}: lines/s end to end`, op: '>=', limit: MIN_LINES_PER_SECOND[c.name], format: int }, c.lines / r.wallSeconds, bound(true)),
    judge({ what: `${size}: peak RSS`, op: '<=', limit: MAX_RSS_BYTES, format: (b) => `${mb(b)} MB` }, r.peakRssBytes, bound(false)),
  ];
  if (slow !== null) {
    const f = figures(slow);
    verdicts.push(
      judge({ what: `${size}: peak RSS, --json to a slow reader`, op: '<=', limit: MAX_RSS_BYTES, format: (b) => `${mb(b)} MB` }, f.peakRssBytes, f.timedOut ? 'lower' : 'exact'),
    );
  }
  console.log('targets:');
  printVerdicts(verdicts);
  return { verdicts, rss: r.timedOut ? NaN : r.peakRssBytes };
}

async function benchStartup(): Promise<Verdict[]> {
  const small = cachedCorpus(flags.dir, 'benign', STARTUP_LINES, seed, flags.fresh);
  const db = scratchDb('bench-startup');
  // One run first, not counted: it warms the file cache, as a user's second start would be.
  const warm = async (label: string, cmd: string[], before?: () => void) => {
    before?.();
    await measure(cmd, { timeoutMs: 30_000 });
    return series(label, startupRuns, 30, () => {
      before?.();
      return measure(cmd, { timeoutMs: 30_000 });
    });
  };
  const version = await warm('ouwatch --version', [...CLI, '--version']);
  const replay = await warm(`ouwatch replay (${int(STARTUP_LINES)} lines, fresh db)`, [...CLI, 'replay', small.path, '--db', db.path, '-q'], db.remove);
  db.remove();
  printStartupTable([version, replay]);
  const figs = [version, replay].map(figures);
  const t = (what: string): Target => ({ what, op: '<=', limit: MAX_STARTUP_SECONDS, format: (s) => `${secs(s)} s` });
  const verdicts = [
    judge(t('start-up: ouwatch --version (median wall)'), figs[0].wallSeconds, figs[0].timedOut ? 'lower' : 'exact'),
    judge(t(`start-up: replay of ${int(STARTUP_LINES)} lines (median wall)`), figs[1].wallSeconds, figs[1].timedOut ? 'lower' : 'exact'),
  ];
  console.log('targets:');
  printVerdicts(verdicts);
  return verdicts;
}

const cpu = cpus();
console.log(
  `ouwatch benchmark, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC: node ${process.version}, ${cpu.length} CPUs (${cpu[0]?.model.trim() ?? 'unknown'}), ` +
    `${(totalmem() / 2 ** 30).toFixed(0)} GiB, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}; median of ${runs} run${runs > 1 ? 's' : ''}, timeout ${timeoutSeconds} s`,
);
if (flags.source) console.log('measuring the TypeScript sources through tsx (--source): start-up includes compiling them');
else console.log(`measuring the compiled build: dist/ rebuilt (npm run build, ${buildProduct(REPO).toFixed(1)} s)`);

const all: Verdict[] = [];
const peaks = new Map<CorpusName, Array<{ lines: number; rss: number }>>();
for (const name of corpora as CorpusName[]) {
  for (const size of sizes ?? [CORPORA[name].defaultLines]) {
    const c = cachedCorpus(flags.dir, name, size, seed, flags.fresh);
    console.log(`\n== ${name}: ${int(c.lines)} lines, ${mb(c.bytes)} MB (${c.generatedIn === null ? 'reused' : `generated in ${c.generatedIn.toFixed(1)} s`}: ${c.path}) ==`);
    const { verdicts, rss } = await benchCorpus(c);
    all.push(...verdicts);
    peaks.set(name, [...(peaks.get(name) ?? []), { lines: c.lines, rss }]);
  }
}
console.log(`\n== start-up: median of ${startupRuns} runs after one warm-up ==`);
all.push(...(await benchStartup()));

for (const [name, p] of peaks) {
  if (p.length < 2) continue;
  console.log(`\n${name}: peak RSS by input size (must stay flat):`);
  for (const x of p) console.log(`  ${int(x.lines).padStart(11)} lines: ${mb(x.rss)} MB (${(((x.rss - p[0].rss) / p[0].rss) * 100).toFixed(1)}% vs ${int(p[0].lines)})`);
}
console.log(`\n== all targets: ${all.filter((v) => v.met === true).length} met, ${all.filter((v) => v.met === false).length} missed, ${all.filter((v) => v.met === null).length} unknown ==`);
console.log(`(load at the end: ${loadavg().map((l) => l.toFixed(2)).join(' ')}; live latency and RSS over time: npm run bench:latency)`);
printVerdicts(all);
