import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { BlockList } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import geoip from 'geoip-lite';
import { CORPORA, CORPUS_NAMES } from '../../bench/corpus.js';
import { PUBLIC_RANGES } from '../../bench/corpora/public-ranges.js';
import { STORM_PUBLIC_SHARE } from '../../bench/corpora/storm.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

// The benchmark's corpora are only worth their figures if they are what they claim: real
// OpenUnison lines the parser accepts, the same bytes for a seed, and the shape each corpus
// is named for (storm: 2 % of successes from public addresses worldwide; many-users: half as
// many distinct DNs as lines).

const dir = tempDir('ouwatch-bench-test-');

/** Private, shared, loopback, link-local, documentation, benchmarking, multicast and reserved IPv4 space (IANA special-purpose registry). */
const NOT_PUBLIC = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15],
  ['198.51.100.0', 24], ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) NOT_PUBLIC.addSubnet(net, bits, 'ipv4');
const PRIVATE = new BlockList();
PRIVATE.addSubnet('10.0.0.0', 8, 'ipv4');
PRIVATE.addSubnet('172.16.0.0', 12, 'ipv4');
PRIVATE.addSubnet('192.168.0.0', 16, 'ipv4');

/** A user's successful access event: its DN, address and session id (read from the right, as OpenUnison's message may contain ` - `). */
const SUCCESS = / - \[(?:AuSuccess|AzSuccess)\] - \S+ - https:\/\/\S+ - (.*) - (?:20 \/ oauth2k8s|oauth2k8s|oauth2bearer|k8s-cluster-administrators|) \[([^\]]+)\] - \[(f[0-9a-f]{40}|null)\]$/;

function successes(path: string): Array<{ dn: string; ip: string; session: string }> {
  const out = [];
  for (const l of readFileSync(path, 'utf8').split('\n')) {
    const m = SUCCESS.exec(l);
    if (m && !m[1].startsWith('username=system:serviceaccount:')) out.push({ dn: m[1], ip: m[2], session: m[3] });
  }
  return out;
}

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

test('each corpus is the same bytes for the same seed, other bytes for another seed, and as many lines as asked', () => {
  for (const name of CORPUS_NAMES) {
    const [a, b, c] = ['a', 'b', 'c'].map((x) => join(dir, `${name}-${x}.log`));
    const wa = CORPORA[name].write(a, { lines: 5000, seed: 1 });
    CORPORA[name].write(b, { lines: 5000, seed: 1 });
    CORPORA[name].write(c, { lines: 5000, seed: 2 });
    assert.equal(sha256(a), sha256(b), `${name}: same seed, same bytes`);
    assert.notEqual(sha256(a), sha256(c), `${name}: another seed, other bytes`);
    const text = readFileSync(a, 'utf8');
    assert.equal(Buffer.byteLength(text), wa.bytes, name);
    assert.equal(text.split('\n').length - 1, wa.lines, name);
    // A multi-line record (a stack trace) may end past the count, never by more than one record.
    assert.ok(wa.lines >= 5000 && wa.lines < 5007, `${name}: ${wa.lines} lines`);
  }
});

test('every line of every corpus is one the real parser accepts: nothing malformed, nothing skipped', async () => {
  for (const name of CORPUS_NAMES) {
    const log = join(dir, `${name}-parse.log`);
    const { lines } = CORPORA[name].write(log, { lines: 20_000, seed: 3 });
    const r = await runCli(['replay', log, '--db', join(dir, `${name}.db`)], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`replayed ${lines.toLocaleString('en-US')} lines`), name);
    assert.match(r.stderr, /skipped: {2}0 \(/, `${name}: ${r.stderr}`);
  }
});

/** The successes of a storm and the share of them from public addresses. */
function publicShareOf(log: string): { all: ReturnType<typeof successes>; publicIps: string[]; usual: Map<string, Set<string>>; share: number } {
  const all = successes(log);
  const usual = new Map<string, Set<string>>();
  const publicIps: string[] = [];
  for (const s of all) {
    if (PRIVATE.check(s.ip, 'ipv4')) {
      if (!usual.has(s.dn)) usual.set(s.dn, new Set());
      usual.get(s.dn)!.add(s.ip);
    } else {
      publicIps.push(s.ip);
    }
  }
  return { all, publicIps, usual, share: publicIps.length / all.length };
}

test('storm: users work from 1 to 3 private addresses, and 2 % of their successes come from public addresses in many countries', () => {
  const log = join(dir, 'storm.log');
  CORPORA.storm.write(log, { lines: 60_000, seed: 4 });
  const { all, publicIps, usual, share } = publicShareOf(log);
  assert.ok(all.length > 40_000, `${all.length} successes`);
  assert.ok(Math.abs(share - STORM_PUBLIC_SHARE) < 0.003, `public share ${(share * 100).toFixed(2)} %`);
  assert.ok(usual.size > 1900, `${usual.size} users`);
  for (const [dn, ips] of usual) assert.ok(ips.size >= 1 && ips.size <= 3, `${dn}: ${[...ips].join(' ')}`);
  const countries = new Set<string>();
  for (const ip of publicIps) {
    assert.equal(NOT_PUBLIC.check(ip, 'ipv4'), false, ip);
    const geo = geoip.lookup(ip);
    assert.ok(geo?.country, `${ip} is not geolocated`);
    countries.add(geo.country);
  }
  assert.ok(countries.size >= 50, `public addresses from ${countries.size} countries`);
});

test('storm: a heavier storm takes the share of successes from public addresses as an option', () => {
  const log = join(dir, 'heavy-storm.log');
  CORPORA.storm.write(log, { lines: 20_000, seed: 4, publicShare: 0.3 });
  const { share } = publicShareOf(log);
  assert.ok(Math.abs(share - 0.3) < 0.015, `public share ${(share * 100).toFixed(2)} %`);
});

test('storm: every public range is public and geolocated, and together they cover 64 countries', () => {
  const countries = new Set<string>();
  for (const [, ...prefixes] of PUBLIC_RANGES) {
    for (const p of prefixes) {
      for (const host of ['0.1', '77.130', '255.254']) {
        const ip = `${p}.${host}`;
        assert.equal(NOT_PUBLIC.check(ip, 'ipv4'), false, ip);
        const geo = geoip.lookup(ip);
        assert.ok(geo?.country, `${ip} is not geolocated`);
        countries.add(geo.country);
      }
    }
  }
  assert.ok(countries.size >= 60, `${countries.size} countries`);
});

test('many-users: half as many distinct DNs as lines, each logging in once and named at most twice', () => {
  const log = join(dir, 'many-users.log');
  const { lines } = CORPORA['many-users'].write(log, { lines: 40_000, seed: 5 });
  const seen = new Map<string, number>();
  for (const s of successes(log)) seen.set(s.dn, (seen.get(s.dn) ?? 0) + 1);
  assert.ok(Math.abs(seen.size / (lines / 2) - 1) < 0.02, `${seen.size} distinct DNs in ${lines} lines`);
  for (const [dn, n] of seen) assert.ok(n <= 2, `${dn} appears ${n} times`);
  const twice = [...seen.values()].filter((n) => n === 2).length / seen.size;
  assert.ok(twice > 0.75 && twice < 0.85, `${(twice * 100).toFixed(1)} % of the DNs appear twice`);
});

test('organisation: benign traffic from thousands of people at work at once, who keep coming back', () => {
  const people = (log: string) => {
    const text = readFileSync(log, 'utf8').split('\n');
    const half = text.length / 2;
    const seen = new Map<string, number>();
    const [first, second] = [new Set<string>(), new Set<string>()];
    text.forEach((l, i) => {
      const m = SUCCESS.exec(l);
      if (!m || m[1].startsWith('username=system:serviceaccount:')) return;
      seen.set(m[1], (seen.get(m[1]) ?? 0) + 1);
      (i < half ? first : second).add(m[1]);
    });
    return { seen, first, second };
  };
  const org = join(dir, 'organisation.log');
  CORPORA.organisation.write(org, { lines: 40_000, seed: 6 });
  const benign = join(dir, 'organisation-benign.log');
  CORPORA.benign.write(benign, { lines: 40_000, seed: 6 });
  const o = people(org);
  const b = people(benign);
  // 10,000 at work at once out of 50,000: thousands of people in 40,000 lines, where benign's few dozen at once make hundreds.
  assert.ok(o.seen.size > 7000 && o.seen.size < 10_000, `${o.seen.size} people`);
  assert.ok(b.seen.size < 1500, `benign: ${b.seen.size} people`);
  // People return: most are seen more than once, and most of the first half's are seen again in the second.
  const again = [...o.seen.values()].filter((n) => n > 1).length;
  assert.ok(again / o.seen.size > 0.6, `${again} of ${o.seen.size} seen more than once`);
  const back = [...o.first].filter((dn) => o.second.has(dn)).length;
  assert.ok(back / o.first.size > 0.55, `${back} of the first half's ${o.first.size} seen again`);
});

test('months: people who come back every day for weeks, a new phone address a day each, all in one network, and nothing worth an alert', async () => {
  const log = join(dir, 'months.log');
  // 100 people, 12 lines a day each: 36,000 lines are 30 days.
  CORPORA.months.write(log, { lines: 36_000, users: 100, seed: 4 });
  const days = new Map<string, Set<string>>();
  const phones = new Map<string, Set<string>>();
  for (const l of readFileSync(log, 'utf8').split('\n')) {
    const m = SUCCESS.exec(l);
    if (!m) continue;
    (days.get(m[1]) ?? days.set(m[1], new Set()).get(m[1])!).add(l.slice(1, 11));
    if (l.includes(' 17:') || l.includes(' 18:')) (phones.get(m[1]) ?? phones.set(m[1], new Set()).get(m[1])!).add(m[2]);
  }
  assert.equal(days.size, 100);
  for (const [dn, seen] of days) assert.equal(seen.size, 30, `${dn} seen on ${seen.size} days`);
  for (const [dn, ips] of phones) {
    assert.ok(ips.size >= 25, `${dn}: ${ips.size} evening addresses`);
    assert.equal(new Set([...ips].map((ip) => ip.slice(0, ip.lastIndexOf('.')))).size, 1, `${dn}: one carrier network`);
  }
  const r = await runCli(['replay', log, '--db', join(dir, 'months-quiet.db')], { timeoutMs: 60_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /alerts: {3}none raised/);
});
