import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { isPublicAddress, type IpAddress } from '../../core/ip-address.js';
import { readAsnCsv } from './asn-csv.js';
import { Ipv4RangeBuilder, WideRangeBuilder } from './range-builder.js';
import { Ipv4RangeIndex, NO_VALUE, WideRangeIndex } from './range-index.js';
import type { Residency } from './residency.js';
import { CachedTable, defaultCacheDir, sourceFilesKey, type Sections, type TableLoad } from './table-cache.js';

/**
 * The autonomous system (number and organisation) announcing a public address, from
 * @ip-location-db/asn's CSV files (RouteViews, the five RIRs and DB-IP, CC BY 4.0). Ranges
 * become sorted starts in typed arrays; each refers to a distinct (AS number, organisation)
 * pair, and organisation names are one UTF-8 block decoded on first use.
 *
 * Building from the 33 MB of CSV takes 0.3 to 0.9 s here (515 k lines, most of it turning
 * text into numbers and interning names), well above the ~150 ms a start-up may spend, so
 * the built table is cached like the geo table (table-cache.ts) and read in as lookups reach it.
 */

export interface AsnInfo {
  readonly asn: number;
  /** As registered: attacker-influenced text, escape it wherever it is shown. */
  readonly org: string;
}

export interface AsnTableOptions {
  /** A directory with asn-ipv4-num.csv and asn-ipv6-num.csv; default: the installed @ip-location-db/asn. */
  readonly dataDir?: string;
  /** Where the built table is cached; null turns caching off. Default: a private directory under the system's temp directory. */
  readonly cacheDir?: string | null;
}

const CSV4 = 'asn-ipv4-num.csv';
const CSV6 = 'asn-ipv6-num.csv';

interface Loaded {
  readonly v4: Ipv4RangeIndex;
  readonly v6: WideRangeIndex;
  readonly pairAsn: Uint32Array;
  readonly pairOrg: Uint32Array;
  readonly orgOffsets: Uint32Array;
  readonly orgText: Buffer;
  readonly residency: Residency;
  readonly infos: (AsnInfo | undefined)[];
}

export class AsnTable {
  private readonly table: CachedTable<Loaded>;

  /** Does nothing until the first preload() or lookup(). */
  constructor(options: AsnTableOptions = {}) {
    this.table = new CachedTable(() => {
      const dataDir = options.dataDir ?? ipLocationDbAsnDir();
      return {
        name: 'asn',
        key: { table: 'asn', ...sourceFilesKey(dataDir, join(dataDir, 'package.json'), [CSV4, CSV6]) },
        cacheDir: options.cacheDir === undefined ? defaultCacheDir() : options.cacheDir,
        build: () => buildSections(dataDir),
        open: openSections,
      };
    });
  }

  /** Loads the table now (from the cache, or by building it); later calls return the latest load. */
  preload(): TableLoad {
    return this.table.preload();
  }

  /** The AS announcing the address, or null when it is not public or no range covers it. */
  lookup(address: IpAddress): AsnInfo | null {
    if (!isPublicAddress(address)) return null;
    return this.table.read((t) => announcer(t, address));
  }

  get size(): { v4Ranges: number; v6Ranges: number; pairs: number; orgs: number } | null {
    const t = this.table.current;
    return t === null ? null : { v4Ranges: t.v4.ranges, v6Ranges: t.v6.ranges, pairs: t.pairAsn.length, orgs: t.orgOffsets.length - 1 };
  }
}

function announcer(t: Loaded, address: IpAddress): AsnInfo | null {
  const pair = typeof address === 'number' ? t.v4.find(address) : t.v6.find(address[0], address[1], address[2], address[3]);
  if (pair === NO_VALUE) return null;
  const known = t.infos[pair];
  if (known !== undefined) return known;
  const r = t.residency;
  r.ensure(t.pairAsn, pair, pair + 1);
  r.ensure(t.pairOrg, pair, pair + 1);
  const org = t.pairOrg[pair];
  r.ensure(t.orgOffsets, org, org + 2);
  const from = t.orgOffsets[org];
  const to = t.orgOffsets[org + 1];
  r.ensure(t.orgText, from, to);
  return (t.infos[pair] = Object.freeze({ asn: t.pairAsn[pair], org: t.orgText.toString('utf8', from, to) }));
}

function ipLocationDbAsnDir(): string {
  return dirname(createRequire(import.meta.url).resolve('@ip-location-db/asn/package.json'));
}

/** Distinct organisation names and (AS number, organisation) pairs. */
class Interner {
  readonly orgs: string[] = [];
  readonly pairAsn: number[] = [];
  readonly pairOrg: number[] = [];
  private readonly orgIndex = new Map<string, number>();
  /** The first pair made for each organisation: nearly all organisations have one AS number. */
  private readonly firstPair: number[] = [];
  private readonly otherPairs = new Map<number, number>();

  pair(asn: number, orgName: string): number {
    let org = this.orgIndex.get(orgName);
    if (org === undefined) {
      org = this.orgs.length;
      this.orgs.push(orgName);
      this.orgIndex.set(orgName, org);
      this.firstPair.push(this.add(asn, org));
    }
    const first = this.firstPair[org];
    if (this.pairAsn[first] === asn) return first;
    // Exact in a double: 32 bits of AS number, 21 of organisation index.
    if (org >= 0x200000) throw new Error('more than 2 M organisation names');
    const key = asn * 0x200000 + org;
    let pair = this.otherPairs.get(key);
    if (pair === undefined) {
      pair = this.add(asn, org);
      this.otherPairs.set(key, pair);
    }
    return pair;
  }

  private add(asn: number, org: number): number {
    this.pairAsn.push(asn);
    this.pairOrg.push(org);
    return this.pairAsn.length - 1;
  }
}

function buildSections(dataDir: string): Sections {
  const interner = new Interner();
  const v4 = new Ipv4RangeBuilder();
  readAsnCsv(join(dataDir, CSV4), 4, (row) => {
    let pair = NO_VALUE;
    if (row.asn !== 0) pair = interner.pair(row.asn, row.org); // AS 0: announced by nobody
    v4.add(row.start[0], row.end[0], pair);
  });
  const v6 = new WideRangeBuilder(4);
  readAsnCsv(join(dataDir, CSV6), 6, (row) => {
    let pair = NO_VALUE;
    if (row.asn !== 0) pair = interner.pair(row.asn, row.org);
    v6.add(row.start, row.end, pair);
  });
  const index4 = v4.finish();
  const index6 = v6.finish();
  const encoded = interner.orgs.map((o) => Buffer.from(o, 'utf8'));
  const orgOffsets = new Uint32Array(encoded.length + 1);
  for (let i = 0; i < encoded.length; i++) orgOffsets[i + 1] = orgOffsets[i] + encoded[i].length;
  const orgBytes = new Uint8Array(orgOffsets[encoded.length]);
  for (let i = 0; i < encoded.length; i++) orgBytes.set(encoded[i], orgOffsets[i]);
  return {
    v4Buckets: index4.buckets,
    v4Lows: index4.lows,
    v4Values: index4.values,
    v6Keys: index6.keys,
    v6Values: index6.values,
    pairAsn: Uint32Array.from(interner.pairAsn),
    pairOrg: Uint32Array.from(interner.pairOrg),
    orgOffsets,
    orgBytes,
  };
}

function openSections(s: Sections, trusted: boolean, residency: Residency): Loaded {
  const { v4Buckets, v4Lows, v4Values, v6Keys, v6Values, pairAsn, pairOrg, orgOffsets, orgBytes } = s;
  if (
    !(v4Buckets instanceof Uint32Array && v4Lows instanceof Uint16Array && v4Values instanceof Uint32Array) ||
    !(v6Keys instanceof Uint32Array && v6Values instanceof Uint32Array) ||
    !(pairAsn instanceof Uint32Array && pairOrg instanceof Uint32Array && pairOrg.length === pairAsn.length) ||
    !(orgOffsets instanceof Uint32Array && orgOffsets.length > 0 && orgBytes instanceof Uint8Array)
  ) {
    throw new Error('ASN table: missing or mistyped sections');
  }
  const v4 = new Ipv4RangeIndex(v4Buckets, v4Lows, v4Values, residency);
  const v6 = new WideRangeIndex(4, v6Keys, v6Values, residency);
  if (!trusted) {
    Ipv4RangeIndex.validate(v4, pairAsn.length);
    WideRangeIndex.validate(v6, pairAsn.length);
    const orgs = orgOffsets.length - 1;
    for (const o of pairOrg) if (o >= orgs) throw new Error('ASN table: organisation out of range');
    if (orgOffsets[0] !== 0 || orgOffsets[orgs] !== orgBytes.length) throw new Error('ASN table: organisation offsets');
    for (let i = 1; i <= orgs; i++) if (orgOffsets[i] < orgOffsets[i - 1]) throw new Error('ASN table: organisation offsets');
  }
  const orgText = Buffer.from(orgBytes.buffer, orgBytes.byteOffset, orgBytes.byteLength);
  return { v4, v6, pairAsn, pairOrg, orgOffsets, orgText, residency, infos: new Array<AsnInfo | undefined>(pairAsn.length) };
}
