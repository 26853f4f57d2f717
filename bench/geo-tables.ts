import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { formatAddress, isPublicAddress, networkOf, parseAddress, type IpAddress } from '../src/core/ip-address.js';
import { AsnTable } from '../src/components/enrich/asn-table.js';
import { GeoTable } from '../src/components/enrich/geo-table.js';

/**
 * `node --import tsx bench/geo-tables.ts`: the cost of the offline address data. Each case runs
 * in a fresh child process (so that memory is the case's own): geoip-lite as ouwatch used it
 * (require, lookup by string), the geo and ASN tables built from their packages and loaded from
 * their cache file, and the address parser. Lookups go over 200 000 distinct addresses (random
 * public IPv4 and IPv6 from allocated space), as enrich sees them: once per distinct address.
 */

const SELF = fileURLToPath(import.meta.url);
const LOOKUPS = 200_000;

interface Result {
  case: string;
  loadMs: number;
  rssMiB: number;
  heapMiB: number;
  externalMiB: number;
  lookupsPerS: number | null;
  note?: string;
}

function addresses(): string[] {
  let state = 42;
  const u32 = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  const out: string[] = [];
  while (out.length < LOOKUPS) {
    // Two thirds IPv4, one third IPv6 in 2a00::/12 and 2600::/12 (RIPE and ARIN space).
    const a: IpAddress = out.length % 3 === 2 ? [((out.length % 2 === 0 ? 0x2a00 : 0x2600) << 16) + (u32() & 0xfffff), u32(), u32(), u32()] : u32();
    if (isPublicAddress(a)) out.push(formatAddress(a));
  }
  return out;
}

const mib = (n: number) => Math.round((n / 2 ** 20) * 10) / 10;

function memory(base: NodeJS.MemoryUsage): Pick<Result, 'rssMiB' | 'heapMiB' | 'externalMiB'> {
  globalThis.gc?.();
  const m = process.memoryUsage();
  // `external` includes ArrayBuffers (typed arrays, Buffers).
  return { rssMiB: mib(m.rss - base.rss), heapMiB: mib(m.heapUsed - base.heapUsed), externalMiB: mib(m.external - base.external) };
}

function rate(n: number, fn: () => void): number {
  const t = performance.now();
  fn();
  return Math.round(n / ((performance.now() - t) / 1000));
}

function runCase(name: string, cacheDir: string): Result {
  const ips = addresses();
  globalThis.gc?.();
  const base = process.memoryUsage();
  if (name === 'geoip-lite') {
    const t = performance.now();
    const geoip = createRequire(import.meta.url)('geoip-lite') as { lookup(ip: string): unknown };
    const loadMs = performance.now() - t;
    const mem = memory(base);
    let hits = 0;
    const lookupsPerS = rate(ips.length, () => {
      for (const ip of ips) if (geoip.lookup(ip) !== null) hits++;
    });
    return { case: 'geoip-lite: require + lookup(string)', loadMs, ...mem, lookupsPerS, note: `${hits} placed` };
  }
  if (name.startsWith('geo') || name.startsWith('asn')) {
    const [kind, mode] = name.split(':');
    const table = kind === 'geo' ? new GeoTable({ cacheDir: mode === 'build' ? null : cacheDir }) : new AsnTable({ cacheDir: mode === 'build' ? null : cacheDir });
    const load = table.preload();
    const mem = memory(base);
    const parsed = ips.map((ip) => parseAddress(ip)!);
    let hits = 0;
    const lookupsPerS = rate(parsed.length, () => {
      for (const a of parsed) if (table.lookup(a) !== null) hits++;
    });
    const withParse = rate(ips.length, () => {
      for (const ip of ips) table.lookup(parseAddress(ip)!);
    });
    return { case: `${kind} table, ${load.source === 'cache' ? 'from cache file' : 'built from package'}`, loadMs: load.ms, ...mem, lookupsPerS, note: `${hits} found; ${withParse.toLocaleString('en-US')}/s with parsing; ${mib(load.bytes)} MiB of arrays` };
  }
  if (name === 'parse') {
    const v4 = ips.filter((ip) => !ip.includes(':'));
    const v6 = ips.filter((ip) => ip.includes(':'));
    const parsed = ips.map((ip) => parseAddress(ip)!);
    const ns = (n: number, fn: () => void) => Math.round(1e9 / rate(n, fn));
    const rounds = 5;
    const p4 = ns(v4.length * rounds, () => {
      for (let r = 0; r < rounds; r++) for (const ip of v4) parseAddress(ip);
    });
    const p6 = ns(v6.length * rounds, () => {
      for (let r = 0; r < rounds; r++) for (const ip of v6) parseAddress(ip);
    });
    const net = ns(parsed.length, () => {
      for (const a of parsed) networkOf(a);
    });
    return { case: 'address parser', loadMs: 0, rssMiB: 0, heapMiB: 0, externalMiB: 0, lookupsPerS: null, note: `parse ${p4} ns (IPv4), ${p6} ns (IPv6); networkOf ${net} ns` };
  }
  throw new Error(`unknown case ${name}`);
}

if (process.argv[2] === '--case') {
  process.stdout.write(JSON.stringify(runCase(process.argv[3], process.argv[4])));
} else {
  const cacheDir = mkdtempSync(join(tmpdir(), 'ouwatch-bench-tables-'));
  try {
    const cases = ['geoip-lite', 'geo:build', 'geo:cache', 'asn:build', 'asn:cache', 'parse'];
    // geo:build and asn:build run with caching off; the cache cases fill the cache on a first, unmeasured run.
    for (const warm of ['geo:cache', 'asn:cache']) execFileSync(process.execPath, ['--import', 'tsx', SELF, '--case', warm, cacheDir]);
    const rows: Result[] = cases.map((c) => JSON.parse(execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', SELF, '--case', c, cacheDir], { encoding: 'utf8' })) as Result);
    console.log('| case | load | RSS growth | heap growth | external (ArrayBuffers) | lookups/s | notes |');
    console.log('|---|---|---|---|---|---|---|');
    for (const r of rows) {
      const load = r.loadMs > 0 ? `${Math.round(r.loadMs)} ms` : '';
      const mem = (n: number) => (r.case === 'address parser' ? '' : `${n} MiB`);
      console.log(`| ${r.case} | ${load} | ${mem(r.rssMiB)} | ${mem(r.heapMiB)} | ${mem(r.externalMiB)} | ${r.lookupsPerS?.toLocaleString('en-US') ?? ''} | ${r.note ?? ''} |`);
    }
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
}
