import type { AddressInfo } from '../core/addresses.js';
import type { Address, Dn } from '../core/log-event.js';
import { MAX_BATCH_BYTES, NO_ID, type AddedValues, type EventBatch, type PinnedValues } from './batch.js';
import { IdRing } from './id-ring.js';
import { TABLE_CAPACITY, type TableCapacity } from './worker/tables.js';

/** New ids one batch can bring in a table: a line of at least 40 bytes per id. */
export const MAX_IDS_PER_BATCH = Math.ceil(MAX_BATCH_BYTES / 40);

/**
 * The main thread's copy of the worker's string tables, by id. Additions are applied as
 * batches arrive (in the worker's order), before any of them is consumed: a batch consumed
 * early by the merge may refer to strings another input's earlier batch introduced.
 *
 * How many ids each ring must hold: a batch is pinned as it arrives, so only the ids of one
 * batch must be held at once. The worker looks a value up only in its current table, so a
 * batch refers to ids at most a table's capacity older than the first id it assigns, plus
 * the ids it assigns itself, at most one per line of its MAX_BATCH_BYTES. A line that names
 * an address or a session is an access line of at least about 85 bytes: at most about 12,300
 * per batch, under two fifths of their tables' 32,768, so twice the capacity holds them (these
 * two rings are most of what the tables keep on the heap when addresses are many: a quarter
 * of a million address objects at four times 65,536). A thread name comes with any line, 40 bytes
 * will do (26,000 per batch, more than the thread table's 16,384): threads keep four times
 * their capacity. DNs keep their capacity plus MAX_IDS_PER_BATCH, which holds any batch
 * whatever the table's size: a small one (tests use 4,096) gets nearly three times its size
 * in new DNs from one batch of the densest access lines.
 */
export class MainTables {
  readonly dns: IdRing<Dn>;
  readonly ips: IdRing<Address>;
  readonly sessions: IdRing<string>;
  readonly threads: IdRing<string>;

  /** The worker's DN floor as of the latest batch arrived (AddedValues.dnFloor). */
  private dnFloor = 0;
  private readonly names = new SharedNames(16_384);

  /** `capacity`: the worker's (smaller in tests). */
  constructor(capacity: TableCapacity = TABLE_CAPACITY) {
    this.dns = new IdRing<Dn>(capacity.dns + MAX_IDS_PER_BATCH);
    this.ips = new IdRing<Address>(capacity.ips * 2);
    this.sessions = new IdRing<string>(capacity.sessions * 2);
    this.threads = new IdRing<string>(capacity.threads * 4);
  }

  /**
   * DN ids below this are referenced by no batch still to come: a batch made after the latest
   * one arrived looks DNs up in the worker's current table, whose ids start at its floor.
   * Batches that arrived and are not consumed yet are the caller's to count
   * (Ingest.oldestWaitingDnId). The floor is exact: a bound from the newest id (less twice the
   * table, to cover the batches between) kept a table's worth more users in memory.
   */
  get oldestLiveDnId(): number {
    return this.dnFloor;
  }

  /**
   * The values `batch`'s ids stand for, taken once (on arrival, after its additions were
   * applied, while every id it refers to is still held): events read them from there however
   * long the batch waits in the merge.
   */
  pin(batch: EventBatch): PinnedValues {
    if (batch.pinned !== undefined) return batch.pinned;
    const n = batch.count;
    const p: PinnedValues = { dns: new Array(n), ips: new Array(n), sessions: new Array(n), threads: new Array(n), minDnId: Infinity };
    for (let i = 0; i < n; i++) {
      const dn = batch.dns[i];
      if (dn === NO_ID) p.dns[i] = null;
      else {
        p.dns[i] = this.dns.get(dn);
        if (dn < p.minDnId) p.minDnId = dn;
      }
      const ip = batch.ips[i];
      p.ips[i] = ip === NO_ID ? null : this.ips.get(ip);
      const session = batch.sessions[i];
      p.sessions[i] = session === NO_ID ? null : this.sessions.get(session);
      const thread = batch.threads[i];
      p.threads[i] = thread === NO_ID ? '' : this.threads.get(thread);
    }
    batch.pinned = p;
    return p;
  }

  apply(a: AddedValues): void {
    if (a.dnFloor > this.dnFloor) this.dnFloor = a.dnFloor;
    for (let k = 0, j = 0; k < a.dns.length; k += 2, j++) this.dns.set(a.dns[k] as number, { dn: a.dns[k + 1] as string, sha1: a.dnSha1s[j] });
    for (let k = 0, j = 0; k < a.ips.length; k += 2, j++) this.ips.set(a.ips[k] as number, addressOf(a.ips[k + 1] as string, a.ipInfos[j], this.names));
    for (let k = 0; k < a.sessions.length; k += 2) this.sessions.set(a.sessions[k] as number, a.sessions[k + 1] as string);
    for (let k = 0; k < a.threads.length; k += 2) this.threads.set(a.threads[k] as number, a.threads[k + 1] as string);
  }
}

/**
 * Every field written out in one literal: the objects arrive from the worker as structured
 * clones (properties added one by one), and a copy by spread would keep that layout, with an
 * out-of-object property store per address (88 bytes each, a quarter of a million held in the
 * ring with many users) and slower reads on the hot path.
 */
function addressOf(ip: string, i: AddressInfo, names: SharedNames): Address {
  return { ip, valid: i.valid, public: i.public, net: i.net, country: names.of(i.country), lat: i.lat, lon: i.lon, radiusKm: i.radiusKm, asn: i.asn, asOrg: names.of(i.asOrg) };
}

/**
 * One string per country and AS name: each arrives anew with every address the worker
 * describes, and a user's history keeps its addresses' (an alert storm's random public
 * addresses held 60,000 copies of a few hundred names at 4 M lines). Bounded: once full,
 * it starts again.
 */
class SharedNames {
  private readonly names = new Map<string, string>();

  constructor(private readonly max: number) {}

  of(name: string | null): string | null {
    if (name === null) return null;
    const known = this.names.get(name);
    if (known !== undefined) return known;
    if (this.names.size >= this.max) this.names.clear();
    this.names.set(name, name);
    return name;
  }
}
