import { sha1Hex } from '../../core/identity.js';
import type { AddressInfo } from '../../core/addresses.js';
import { powerOfTwoAtLeast } from '../../core/numbers.js';
import type { AddressDescriber } from '../../components/enrich/address-info.js';
import type { AddedValues } from '../batch.js';
import { ByteInterner } from './byte-interner.js';

/**
 * How many distinct values each table holds before it starts over (see ByteInterner). The main
 * thread keeps an object per address id for twice this many ids: with a million users,
 * 32,768 addresses and sessions instead of 65,536 took a tenth off the peak memory, and a
 * value that comes back after its table started over is only looked up again.
 *
 * DNs: history keeps in memory every user whose DN id is in the worker's current table (its
 * floor: MainTables.oldestLiveDnId), so this is also how many people can be active at once
 * before history reads them again from the store. 4,096 (when twice the table was kept) took
 * many-users (2 M lines, each of 1 M DNs seen about twice) from 601-615 to 501-514 MB in the
 * same time, but made a replay of 50,000 people, 12,000 of them active at a time, 1.32x
 * slower and 50 MiB larger.
 */
export const TABLE_CAPACITY: TableCapacity = { dns: 16_384, ips: 32_768, sessions: 32_768, threads: 16_384 };

export interface TableCapacity {
  readonly dns: number;
  readonly ips: number;
  readonly sessions: number;
  readonly threads: number;
}

/**
 * The worker's string tables, shared by every input: DNs (with their SHA-1, OpenUnison's
 * `tremolo.io/user-dn` label), addresses (with what offline data knows: validity, network,
 * country, coordinates, ASN; looked up once per distinct address), session ids and threads.
 */
export class WorkerTables {
  readonly dns: ByteInterner;
  readonly ips: ByteInterner;
  readonly sessions: ByteInterner;
  readonly threads: ByteInterner;
  /** Validity of recent address ids (a ring over the id space in use). */
  private readonly ipValid: Uint8Array;
  private readonly ipRingMask: number;
  private pendingIps: AddressInfo[] = [];
  private pendingSha1s: string[] = [];
  private dnSeen = 0;
  private ipSeen = 0;

  /** `capacity`: smaller tables in tests, to make them start over often. */
  constructor(
    private readonly describer: AddressDescriber,
    capacity: TableCapacity = TABLE_CAPACITY,
  ) {
    this.dns = new ByteInterner(capacity.dns);
    this.ips = new ByteInterner(capacity.ips);
    this.sessions = new ByteInterner(capacity.sessions);
    this.threads = new ByteInterner(capacity.threads);
    // An id is looked up here only while it is being assigned or in its own table: twice the capacity is ample.
    const ring = powerOfTwoAtLeast(capacity.ips * 2);
    this.ipValid = new Uint8Array(ring);
    this.ipRingMask = ring - 1;
  }

  dnId(buf: Uint8Array, start: number, end: number): number {
    const id = this.dns.id(buf, start, end);
    if (id >= this.dnSeen) {
      this.dnSeen = id + 1;
      this.pendingSha1s.push(sha1Hex(buf.subarray(start, end)));
    }
    return id;
  }

  /** The address's id, or -1 when the text is not an address (the event is malformed). */
  ipId(buf: Uint8Array, start: number, end: number): number {
    const id = this.ips.id(buf, start, end);
    if (id >= this.ipSeen) {
      this.ipSeen = id + 1;
      const text = Buffer.from(buf.buffer, buf.byteOffset + start, end - start).toString('utf8');
      const info = this.describer.describe(text);
      this.pendingIps.push(info);
      this.ipValid[id & this.ipRingMask] = info.valid ? 1 : 0;
    }
    return this.ipValid[id & this.ipRingMask] === 1 ? id : -1;
  }

  /** Everything first seen since the last call (sent with the next batch). */
  takeAdded(): AddedValues {
    const added: AddedValues = {
      dns: this.dns.takeAdded(),
      dnSha1s: this.pendingSha1s,
      dnFloor: this.dns.floor,
      ips: this.ips.takeAdded(),
      ipInfos: this.pendingIps,
      sessions: this.sessions.takeAdded(),
      threads: this.threads.takeAdded(),
    };
    this.pendingSha1s = [];
    this.pendingIps = [];
    return added;
  }
}
