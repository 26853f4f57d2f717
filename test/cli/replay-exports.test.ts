import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { BIN, runCli, type CliResult } from '../helpers/cli.js';
import { SAMPLE_LOGS, cloudWatchEvents, esScrollDump, esSearchResponse, log4j2JsonLayout, lokiJsonl, mergedSample } from '../helpers/exports.js';
import { tempDir } from '../helpers/tmp.js';

// The sample day (two replicas) exported from log platforms and JSON layouts, replayed with the
// real CLI: an export raises exactly the alerts (same ids, times, users, addresses, reasons,
// evidence lines) the plain replica files raise, read in the same zone. Every shape, compared
// in-process with every plain and container format: test/detect/formats.test.ts.

const dir = tempDir('ouwatch-exports-');
const lines = mergedSample();

interface Alert {
  id: string;
  evidence: Array<{ source: string; line: string }>;
  [k: string]: unknown;
}

/** Alerts as printed by --json, without where the evidence was read (file and line number). */
function alertsOf(r: CliResult): Array<Record<string, unknown>> {
  assert.equal(r.code, 0, r.stderr);
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Alert)
    .map((a) => ({ ...a, evidence: a.evidence.map((e) => e.line) }))
    .sort((a, b) => a.id.localeCompare(b.id));
}

const replay = (files: string[], db: string, ...flags: string[]) => runCli(['replay', ...files, '--db', join(dir, db), '--json', ...flags], { timeoutMs: 120_000 });

/** The alerts of the plain replica files, read in UTC (replayed once, for every test here). */
let plainAlerts: Promise<CliResult> | null = null;
const plainUtc = () => (plainAlerts ??= replay(SAMPLE_LOGS, 'plain-utc.db'));

test('a Loki export, an Elasticsearch search response and a log4j2 JsonLayout file in another zone raise the alerts of the plain log, and the summary names their formats', async () => {
  const shapes = [
    { name: 'loki.jsonl', format: 'loki', text: lokiJsonl(lines), tz: 'UTC' },
    { name: 'search.json', format: 'elasticsearch', text: esSearchResponse(lines), tz: 'UTC' },
    { name: 'jsonlayout.json', format: 'log4j2-json', text: log4j2JsonLayout(lines, 'Europe/Stockholm'), tz: 'Europe/Stockholm' },
  ];
  for (const s of shapes) writeFileSync(join(dir, s.name), s.text);
  const [utc, stockholm, ...runs] = await Promise.all([
    plainUtc(),
    replay(SAMPLE_LOGS, 'plain-stockholm.db', '--tz', 'Europe/Stockholm'),
    ...shapes.map((s) => replay([join(dir, s.name)], `${s.name}.db`, '--tz', s.tz)),
  ]);
  const baseline = { UTC: alertsOf(utc), 'Europe/Stockholm': alertsOf(stockholm) };
  assert.ok(baseline.UTC.length >= 5, 'the sample raises alerts of several rules');
  assert.notDeepEqual(baseline.UTC, baseline['Europe/Stockholm'], 'the zone changes the alerts: the comparison can tell');
  shapes.forEach((s, i) => {
    const r = runs[i];
    assert.deepEqual(alertsOf(r), baseline[s.tz as keyof typeof baseline], `${s.name} (${s.format})`);
    assert.match(r.stderr, new RegExp(`input: +.*${s.name.replace('.', '\\.')} \\(${s.format}, from the start\\)`), s.name);
    assert.match(r.stderr, /skipped: +0 /, s.name);
  });
});

test('a newest-first export is refused before anything is read, saying how to export it', async () => {
  const file = join(dir, 'backward.jsonl');
  writeFileSync(file, lokiJsonl(lines, { newestFirst: true }));
  const r = await replay([file], 'backward.db');
  assert.equal(r.code, 2);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^ouwatch: .*backward\.jsonl: its records are newest first .*logcli query --forward.*\n$/);
});

test('a text export newest first (Splunk raw events, logcli --output=raw without --forward), plain or gzip, is refused too; the same lines oldest first are read', async () => {
  const text = lines.map((l) => l.text);
  writeFileSync(join(dir, 'raw-backward.log'), [...text].reverse().join('\n') + '\n');
  writeFileSync(join(dir, 'raw-backward.log.gz'), gzipSync([...text].reverse().join('\n') + '\n'));
  writeFileSync(join(dir, 'raw-forward.log'), text.join('\n') + '\n');
  const [plain, gzip, forward] = await Promise.all([replay([join(dir, 'raw-backward.log')], 'raw-backward.db'), replay([join(dir, 'raw-backward.log.gz')], 'raw-backward-gz.db'), replay([join(dir, 'raw-forward.log')], 'raw-forward.db')]);
  for (const [r, name] of [[plain, 'raw-backward\\.log'], [gzip, 'raw-backward\\.log\\.gz']] as const) {
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, new RegExp(`^ouwatch: .*${name}: its lines are newest first .*tac FILE > FILE\\.forward.*\\n$`));
  }
  assert.deepEqual(alertsOf(forward), alertsOf(await plainUtc()));
});

test("CloudWatch Logs' whole response is read through its envelope, and one replayed while it was still being written resumes inside its events once complete", async () => {
  const file = join(dir, 'cw-response.json');
  const full = Buffer.from(cloudWatchEvents(lines, { response: true }));
  const cut = Math.floor(full.length * 0.6);
  writeFileSync(file, full.subarray(0, cut));
  const first = await replay([file], 'cw-response.db');
  assert.match(first.stderr, /cw-response\.json \(cloudwatch, from the start\)/);
  assert.match(first.stderr, /truncated 1\)/);
  writeFileSync(file, full);
  const second = await replay([file], 'cw-response.db');
  const at = Number(/resumed at byte ([\d,]+)/.exec(second.stderr)?.[1].replaceAll(',', ''));
  assert.ok(at > 0 && at < cut && full[at - 1] === 0x7d, `resumed just past an event's last byte (${at})`);
  assert.match(second.stderr, /skipped: +0 /, 'the streams searched, after the events, are passed over without a complaint');
  const both = [...alertsOf(first), ...alertsOf(second)].sort((a, b) => String(a.id).localeCompare(String(b.id)));
  assert.deepEqual(both, alertsOf(await plainUtc()), 'every alert of the plain log once, none twice');
});

test('a scroll dump replayed while it was still being written resumes inside the document once complete', async () => {
  const file = join(dir, 'growing.json');
  const full = Buffer.from(esScrollDump(lines, 1000));
  const cut = Math.floor(full.length * 0.45);
  writeFileSync(file, full.subarray(0, cut));
  const first = await replay([file], 'growing.db');
  assert.match(first.stderr, /truncated 1\)/);
  writeFileSync(file, full);
  const second = await replay([file], 'growing.db');
  const at = Number(/resumed at byte ([\d,]+)/.exec(second.stderr)?.[1].replaceAll(',', ''));
  assert.ok(at > 0 && at < cut && full[at - 1] === 0x7d, `resumed just past a hit's last byte (${at})`);
  const both = [...alertsOf(first), ...alertsOf(second)].sort((a, b) => String(a.id).localeCompare(String(b.id)));
  const whole = alertsOf(await plainUtc());
  assert.deepEqual(
    both.map((a) => a.id),
    whole.map((a) => a.id),
    'every alert once, none twice',
  );
});

/** Peak RSS (KiB) of `ouwatch replay FILE`, read from the process itself as it exits. */
async function peakRss(file: string, db: string): Promise<{ kib: number; stderr: string }> {
  const report = join(dir, `${db}.rss`);
  const preload = `data:text/javascript,import {writeFileSync} from 'node:fs';process.on('exit',()=>writeFileSync(${JSON.stringify(report)},String(process.resourceUsage().maxRSS)))`;
  const child = spawn(process.execPath, ['--import', preload, BIN, 'replay', file, '--db', join(dir, db), '--json'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearTimeout(timer);
  assert.equal(code, 0, stderr);
  return { kib: Number(readFileSync(report, 'utf8')), stderr };
}

/**
 * A `_search` response of about `mb` MB on one line: hits of the sample's lines that are not
 * events (what is measured is the decoder, not the history), over and over.
 */
function writeLargeResponse(path: string, mb: number): { bytes: number; hits: number } {
  const fd = openSync(path, 'w');
  const quiet = lines.filter((l) => !/ - \[\w+\] - /.test(l.text));
  const hits = JSON.parse(esSearchResponse(quiet)).hits.hits as Array<Record<string, unknown>>;
  const block = Buffer.from(hits.map((h) => JSON.stringify(h)).join(',') + ',');
  let count = 1;
  let n = writeSync(fd, '{"took":4096,"timed_out":false,"_shards":{"total":5,"successful":5,"skipped":0,"failed":0},"hits":{"total":{"value":10000,"relation":"gte"},"max_score":null,"hits":[');
  for (; n < mb * 1e6; count += hits.length) n += writeSync(fd, block);
  n += writeSync(fd, JSON.stringify(hits[0]) + ']}}\n');
  closeSync(fd);
  return { bytes: n, hits: count };
}

test('a 75 MB _search response is streamed: peak memory is that of a 30 MB one', async (t) => {
  // Up to some tens of MB the pipeline's buffers and heap are still growing; past that a
  // streamed document costs the same memory at any size, a document held whole its size again.
  const medium = join(dir, 'medium.json');
  const large = join(dir, 'large.json');
  const m = writeLargeResponse(medium, 30);
  const l = writeLargeResponse(large, 75);
  const a = await peakRss(medium, 'medium.db');
  const b = await peakRss(large, 'large.db');
  const records = Number(/\(elasticsearch, from the start\): ([\d,]+) lines/.exec(b.stderr)?.[1].replaceAll(',', ''));
  assert.equal(records, l.hits, 'every hit read');
  const mb = (n: number) => (n / 1e6).toFixed(0);
  t.diagnostic(`peak RSS: ${(a.kib / 1024).toFixed(0)} MiB for ${mb(m.bytes)} MB, ${(b.kib / 1024).toFixed(0)} MiB for ${mb(l.bytes)} MB`);
  const growth = (b.kib - a.kib) * 1024;
  // Held whole, 45 MB more document would cost at least 45 MB more; streamed, the peak moves
  // only with the machine's load (GC timing): half the difference separates the two cases.
  assert.ok(growth < (l.bytes - m.bytes) / 2, `peak RSS grew by ${mb(growth)} MB for ${mb(l.bytes - m.bytes)} MB more document`);
});
