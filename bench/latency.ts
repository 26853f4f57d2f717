/**
 * Live latency and memory of `ouwatch run`: appends OpenUnison lines to a tailed file at a
 * steady rate, reports the time from each append to its result being visible outside the
 * daemon, and samples the daemon's resident memory while it runs.
 *
 *   npm run bench:latency                          20,000 lines/s for 20 s
 *   npm run bench:latency -- --long                the same for 5 minutes (RSS: first vs last minute)
 *   npm run bench:latency -- --rate 5000 --seconds 60 --rss-every 2 --poll-ms 50 --commit-ms 100
 *   npm run bench:latency -- --long --alert-every 0   no planted alerts: memory under benign load alone
 *
 * Two latencies, both from the moment appendFileSync() returned for a line's batch:
 *  - commit: until the daemon's debug log line `committed` that covers the line arrives on
 *    its stderr (the line's state, checkpoint and any alerts are then durably in SQLite and
 *    alerts have been written to stdout).
 *  - alert: until the alert raised by a planted line arrives on stdout (`--json`). Every
 *    1000th line (`--alert-every`) is a refresh token used within the grace period from an
 *    address new for its user (refresh-token-replay), a different user and address each time,
 *    so no alert is a suppressed repeat. Each such alert is state the daemon holds by design
 *    (the new address, up to 256 per user; the open alert, for its 24-hour suppression
 *    window): `--alert-every 0` measures memory under the benign load alone.
 * Memory: VmRSS of the daemon every few seconds; the mean of the first and of the last minute
 * (a third of the run when it is shorter than three minutes) must be within 10 %.
 * Targets: p99 append -> alert <= 500 ms at 20,000 lines/s; RSS flat over 5 minutes.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { stamp } from './corpora/lines.js';
import { seriesValue } from './prometheus-text.js';
import { int, judge, mb, printVerdicts } from './report.js';

const OUWATCH = fileURLToPath(new URL('../bin/ouwatch.js', import.meta.url));
const TICK_MS = 10;
const TARGET_P99_MS = 500;
const TARGET_RATE = 20_000;
const MAX_RSS_GROWTH = 0.1;

const USAGE = 'usage: npm run bench:latency -- [--rate 20000] [--seconds 20 | --long] [--alert-every 1000] [--rss-every 5] [--poll-ms 50] [--commit-ms 100]';
const OPTIONS = {
  rate: { type: 'string', default: String(TARGET_RATE) },
  seconds: { type: 'string' },
  long: { type: 'boolean', default: false },
  'alert-every': { type: 'string', default: '1000' },
  'rss-every': { type: 'string', default: '5' },
  'poll-ms': { type: 'string', default: '50' },
  'commit-ms': { type: 'string', default: '100' },
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
const rate = Number(flags.rate);
const seconds = Number(flags.seconds ?? (flags.long ? 300 : 20));
const rssEveryMs = Number(flags['rss-every']) * 1000;
const pollMs = Number(flags['poll-ms']);
const commitMs = Number(flags['commit-ms']);
/** Every how many lines one raises an alert (0: none). */
const alertEvery = Number(flags['alert-every']);
if (![rate, seconds, rssEveryMs, pollMs, commitMs].every((n) => Number.isFinite(n) && n > 0) || !(Number.isInteger(alertEvery) && alertEvery >= 0)) {
  console.error(USAGE);
  process.exit(2);
}

const USERS = Array.from({ length: 200 }, (_, i) => ({ dn: `uid=user${i},ou=shadow,o=Tremolo`, ip: `81.2.69.${(i % 250) + 1}`, sid: 'f' + i.toString(16).padStart(40, '0') }));

/** Line `n` (1-based line number in the file): kubectl traffic, and every `alertEvery`th a replayed refresh token. */
function line(n: number, now: number): string {
  const t = stamp(now);
  if (alertEvery > 0 && n % alertEvery === 0) {
    const k = n / alertEvery;
    const u = USERS[k % USERS.length];
    const ip = `89.160.${(k >> 8) & 255}.${k & 255}`;
    return `[${t}][XNIO-1 task-${n % 32}] INFO  OpenIDConnectIdP - [ExpiredRefreshTokenUsed] - https://k8sou.example.com/auth/idp/k8sIdp/token - ${u.dn} - Expired token used within grace period [${ip}] - [${u.sid}]`;
  }
  const u = USERS[n % USERS.length];
  return `[${t}][XNIO-1 task-${n % 32}] INFO  AccessLog - [AzSuccess] - k8s-api - https://k8sou.example.com/api/v1/namespaces/default/pods - ${u.dn} - NONE [${u.ip}] - [${u.sid}]`;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function summary(name: string, values: number[]): string {
  if (values.length === 0) return `${name}: no samples`;
  const s = [...values].sort((a, b) => a - b);
  const f = (x: number) => x.toFixed(1).padStart(7);
  return `${name}: p50 ${f(percentile(s, 50))} ms  p90 ${f(percentile(s, 90))} ms  p99 ${f(percentile(s, 99))} ms  max ${f(s[s.length - 1])} ms  (${s.length} lines)`;
}

/**
 * The daemon's resident memory from /proc/PID/status: the total and its three parts. Anonymous
 * memory is the heaps, SQLite's page cache and malloc's arenas; file-backed is the code and
 * the files mapped in (node's binary, the geo and ASN tables read as pages, SQLite's WAL
 * index, the db's -shm file); shared memory is tmpfs and shmem. Only anonymous growth is the
 * daemon holding more.
 */
interface RssSample {
  at: number;
  bytes: number;
  anon: number;
  file: number;
  shmem: number;
}

function rssOf(pid: number, at: number): RssSample {
  let text = '';
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    // the process is gone: NaN samples are left out of the means
  }
  const kb = (field: string) => {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
    return m ? Number(m[1]) * 1024 : NaN;
  };
  return { at, bytes: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile'), shmem: kb('RssShmem') };
}

/** The V8 heaps and the main thread's external memory, from the daemon's own /metrics. */
interface HeapSample {
  at: number;
  used: number;
  committed: number;
  external: number;
  /** The ingest worker thread's heap, used and committed (as of its last report). */
  workerUsed: number;
  workerCommitted: number;
}

async function heapOf(url: string, at: number): Promise<HeapSample | null> {
  try {
    const text = await (await fetch(url, { signal: AbortSignal.timeout(2000) })).text();
    const gauge = (name: string) => seriesValue(text, `ouwatch_nodejs_${name}`) ?? NaN;
    const worker = (state: string) => seriesValue(text, `ouwatch_ingest_worker_heap_bytes{state="${state}"}`) ?? NaN;
    return {
      at,
      used: gauge('heap_size_used_bytes'),
      committed: gauge('heap_size_total_bytes'),
      external: gauge('external_memory_bytes'),
      workerUsed: worker('used'),
      workerCommitted: worker('total'),
    };
  } catch {
    return null;
  }
}

/**
 * What of the RSS is the main thread's heap (used: live and not yet collected; committed: what
 * V8 holds), its external memory and the ingest thread's heap, in the first and the last
 * window: growth in RSS that these do not show lies elsewhere (SQLite's page cache, malloc's
 * arenas).
 */
function printHeaps(samples: HeapSample[], inFirst: (at: number) => boolean, inLast: (at: number) => boolean): void {
  if (samples.length === 0) return;
  const row = (label: string, pick: (h: HeapSample) => number) =>
    `${label} ${mb(mean(samples.filter((h) => inFirst(h.at)).map(pick)))} -> ${mb(mean(samples.filter((h) => inLast(h.at)).map(pick)))}`;
  console.log(`  main thread (first -> last window means, MB): ${row('heap used', (h) => h.used)}, ${row('heap committed', (h) => h.committed)}, ${row('external', (h) => h.external)}`);
  console.log(`  ingest thread (first -> last window means, MB): ${row('heap used', (h) => h.workerUsed)}, ${row('heap committed', (h) => h.workerCommitted)}`);
}

function fileBytes(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** `pick` of the samples taken within a window; a non-finite value (the process gone) is left out. */
function inWindow<T extends { at: number }>(samples: readonly T[], within: (at: number) => boolean, pick: (s: T) => number): number[] {
  const out: number[] = [];
  for (const s of samples) {
    const v = pick(s);
    if (within(s.at) && Number.isFinite(v)) out.push(v);
  }
  return out;
}

/** Least-squares slope of RSS over time: a steady creep that a first/last comparison may hide. */
function slopeMbPerMinute(samples: Array<{ at: number; bytes: number }>): string {
  const ok = samples.filter((r) => Number.isFinite(r.bytes));
  if (ok.length < 3) return '-';
  const mt = mean(ok.map((r) => r.at));
  const mbytes = mean(ok.map((r) => r.bytes));
  let num = 0;
  let den = 0;
  for (const r of ok) {
    num += (r.at - mt) * (r.bytes - mbytes);
    den += (r.at - mt) ** 2;
  }
  const perMinute = ((num / den) * 60) / 1e6;
  return (perMinute >= 0 ? '+' : '') + perMinute.toFixed(1);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ouwatch-latency-'));
  const file = join(dir, 'openunison.log');
  const appendedAt: number[] = []; // by line number
  let written = 0;
  const write = (count: number, logTime = Date.now()) => {
    let text = '';
    for (let k = 0; k < count; k++) text += line(written + k + 1, logTime) + '\n';
    appendFileSync(file, text);
    const at = performance.now();
    for (let k = 0; k < count; k++) appendedAt[written + k + 1] = at;
    written += count;
  };
  // Warm-up, logged two minutes back: every user has a history older than the replay rule's
  // one minute, so the planted lines raise alerts from the first second.
  writeFileSync(file, '');
  write(USERS.length * 2, Date.now() - 120_000);

  const daemon = spawn(
    process.execPath,
    [OUWATCH, 'run', '--file', file, '--db', join(dir, 'ouwatch.db'), '--listen', '127.0.0.1:0', '--json', '--log-level', 'debug', '--poll-ms', String(pollMs), '--commit-ms', String(commitMs)],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const commitLatency: number[] = [];
  const alertLatency: number[] = [];
  let measureFrom = Infinity;
  let committedUpTo = 0;
  let ready = false;
  let metricsAt: string | null = null;
  createInterface({ input: daemon.stderr! }).on('line', (text) => {
    const now = performance.now();
    let rec: { msg?: string; upTo?: Record<string, number>; address?: string };
    try {
      rec = JSON.parse(text) as typeof rec;
    } catch {
      process.stderr.write(text + '\n');
      return;
    }
    if (rec.msg === 'listening' && rec.address !== undefined) metricsAt = `${rec.address}/metrics`;
    if (rec.msg === 'tailing file') ready = true;
    if (rec.msg !== 'committed' || rec.upTo === undefined) return;
    const upTo = rec.upTo[file] ?? 0;
    for (let n = committedUpTo + 1; n <= upTo; n++) if (n >= measureFrom) commitLatency.push(now - appendedAt[n]);
    committedUpTo = Math.max(committedUpTo, upTo);
  });
  createInterface({ input: daemon.stdout! }).on('line', (text) => {
    const now = performance.now();
    try {
      const alert = JSON.parse(text) as { evidence: Array<{ source: string }> };
      const src = alert.evidence[alert.evidence.length - 1]?.source ?? '';
      const n = Number(src.slice(src.lastIndexOf(':') + 1));
      if (n >= measureFrom && appendedAt[n] !== undefined) alertLatency.push(now - appendedAt[n]);
    } catch {
      // not an alert line
    }
  });

  const deadline = Date.now() + 30_000;
  while (!(ready && committedUpTo >= written)) {
    if (Date.now() > deadline) throw new Error('the daemon did not start');
    await sleep(20);
  }

  measureFrom = written + 1;
  const perTick = (rate * TICK_MS) / 1000;
  const started = performance.now();
  const ticks = Math.round((seconds * 1000) / TICK_MS);
  const rss: RssSample[] = [];
  const heaps: Array<Promise<HeapSample | null>> = [];
  let nextRss = started;
  let owed = 0;
  for (let k = 0; k < ticks; k++) {
    owed += perTick;
    const count = Math.floor(owed);
    owed -= count;
    write(count);
    if (performance.now() >= nextRss) {
      const at = (performance.now() - started) / 1000;
      rss.push(rssOf(daemon.pid!, at));
      if (metricsAt !== null) heaps.push(heapOf(metricsAt, at));
      nextRss += rssEveryMs;
    }
    const next = started + (k + 1) * TICK_MS;
    const wait = next - performance.now();
    if (wait > 0) await sleep(wait);
  }
  const elapsed = (performance.now() - started) / 1000;
  rss.push(rssOf(daemon.pid!, elapsed));
  const measured = written - measureFrom + 1;
  // Read while the daemon still answers: a scrape in flight when it stops would be lost.
  const heapSamples = (await Promise.all(heaps)).filter((h): h is HeapSample => h !== null);
  const settle = Date.now() + 5000;
  while (committedUpTo < written && Date.now() < settle) await sleep(20);
  daemon.kill('SIGTERM');
  await new Promise((resolve) => daemon.on('exit', resolve));
  const dbBytes = fileBytes(join(dir, 'ouwatch.db')) + fileBytes(join(dir, 'ouwatch.db-wal'));
  rmSync(dir, { recursive: true, force: true });

  const achieved = measured / elapsed;
  console.log(`ouwatch run latency: ${int(measured)} lines appended in ${elapsed.toFixed(1)} s (${int(achieved)} lines/s, asked ${int(rate)}), batches every ${TICK_MS} ms, --poll-ms ${pollMs} --commit-ms ${commitMs}`);
  if (achieved < rate * 0.95) console.log(`  warning: the appender fell behind the asked rate (${int(achieved)} of ${int(rate)} lines/s): the machine is too busy for this rate`);
  console.log('  ' + summary('append -> committed (stderr log) ', commitLatency));
  if (alertEvery > 0) console.log('  ' + summary('append -> alert on stdout        ', alertLatency) + `, one alert every ${int(alertEvery)} lines, each a new address of one of ${USERS.length} users`);
  else console.log('  no planted alerts (--alert-every 0): the benign load alone');
  if (commitLatency.length < measured) console.log(`  warning: ${int(measured - commitLatency.length)} lines were not seen committed within 5 s of the last append`);

  // Memory: the first and the last window of the run (a minute each, a third of a short run).
  const windowS = Math.min(60, elapsed / 3);
  const inFirst = (at: number) => at <= windowS;
  const inLast = (at: number) => at >= elapsed - windowS;
  const first = inWindow(rss, inFirst, (r) => r.bytes);
  const last = inWindow(rss, inLast, (r) => r.bytes);
  console.log(`  daemon RSS every ${rssEveryMs / 1000} s: ${rss.map((r) => mb(r.bytes)).join(' ')} MB`);
  const growth = first.length && last.length ? mean(last) / mean(first) - 1 : NaN;
  const part = (label: string, pick: (r: RssSample) => number) => {
    const a = mean(inWindow(rss, inFirst, pick));
    const b = mean(inWindow(rss, inLast, pick));
    return `${label} ${mb(a)} -> ${mb(b)} (${b >= a ? '+' : ''}${mb(b - a)})`;
  };
  console.log(`  RSS by kind (first -> last window means, MB): ${part('anonymous', (r) => r.anon)}, ${part('file-backed', (r) => r.file)}, ${part('shared memory', (r) => r.shmem)}`);
  printHeaps(heapSamples, inFirst, inLast);
  // SQLite's page cache (16 MiB per connection) fills as the database grows and is not in any heap.
  console.log(`  database at the end (file and WAL): ${mb(dbBytes)} MB`);
  console.log(
    `  RSS: first ${windowS.toFixed(0)} s mean ${mb(mean(first))} MB, last ${windowS.toFixed(0)} s mean ${mb(mean(last))} MB (${(growth * 100).toFixed(1)}%); ` +
      `trend over the second half: ${slopeMbPerMinute(rss.filter((r) => r.at >= elapsed / 2))} MB/min`,
  );
  // The first sample is taken as the load starts (the daemon has read only the warm-up lines):
  // shown apart, so that growth under load is not mistaken for the start of the load. The
  // verdict below keeps the whole first window.
  const underLoad = inWindow(rss.slice(1), inFirst, (r) => r.bytes);
  if (underLoad.length > 0 && Number.isFinite(rss[0]?.bytes) && underLoad.length < first.length) {
    console.log(`  RSS: first sample (the load starting) ${mb(first[0])} MB; the first window without it ${mb(mean(underLoad))} MB mean (${((mean(last) / mean(underLoad) - 1) * 100).toFixed(1)}% to the last)`);
  }

  // Without planted alerts the latency judged is the commit's (an alert is written to stdout at its commit).
  const judged = alertEvery > 0 ? { what: 'alert', values: alertLatency } : { what: 'committed', values: commitLatency };
  const s = [...judged.values].sort((a, b) => a - b);
  const atRate = `at ${int(achieved)} lines/s`;
  if (rate < TARGET_RATE) console.log(`  (asked ${int(rate)} lines/s: the latency target is at ${int(TARGET_RATE)} lines/s)`);
  console.log('targets:');
  printVerdicts([
    judge({ what: `live: p99 append -> ${judged.what} ${atRate}`, op: '<=', limit: TARGET_P99_MS, format: (ms) => `${ms.toFixed(0)} ms` }, s.length ? percentile(s, 99) : NaN),
    ...(rate >= TARGET_RATE
      ? // The appender paces itself to the asked rate; its elapsed time includes the last tick and
        // the stop, so 6,000,000 lines in 300.02 s must not read as "missed" (1 % slack).
        [judge({ what: 'live: lines/s appended and kept up with (1 % slack for the appender)', op: '>=', limit: TARGET_RATE * 0.99, format: int }, commitLatency.length >= measured ? achieved : NaN)]
      : []),
    judge(
      { what: `live: RSS growth, last vs first ${windowS.toFixed(0)} s of ${elapsed.toFixed(0)} s${seconds < 300 ? ' (the target is over 5 minutes: --long)' : ''}`, op: '<=', limit: MAX_RSS_GROWTH * 100, format: (p) => `${p.toFixed(1)}%`, missedBy: (v, l) => `${(v - l).toFixed(1)} points` },
      growth * 100,
    ),
  ]);
}

await main();
