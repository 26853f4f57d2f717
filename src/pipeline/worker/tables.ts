import { createHash } from 'node:crypto';
import type { AddressInfo } from '../../core/addresses.js';
import type { AddressDescriber } from '../../components/enrich/address-info.js';
import type { AddedValues } from '../batch.js';
import { ByteInterner } from './byte-interner.js';

/** How many distinct values each table holds before it starts over (see ByteInterner). */
export const TABLE_CAPACITY = { dns: 16_384, ips: 65_536, sessions: 65_536, threads: 16_384 } as const;

/**
 * The worker's string tables, shared by every input: DNs (with their SHA-1, OpenUnison's
 * `tremolo.io/user-dn` label), addresses (with what offline data knows: validity, network,
 * country, coordinates, ASN; looked up once per distinct address), session ids and threads.
 */
export class WorkerTables {
  readonly dns = new ByteInterner(TABLE_CAPACITY.dns);
  readonly ips = new ByteInterner(TABLE_CAPACITY.ips);
  readonly sessions = new ByteInterner(TABLE_CAPACITY.sessions);
  readonly threads = new ByteInterner(TABLE_CAPACITY.threads);
  /** Validity of recent address ids (a ring over the id space in use). */
  private readonly ipValid = new Uint8Array(TABLE_CAPACITY.ips * 4);
  private readonly ipRingMask = TABLE_CAPACITY.ips * 4 - 1;
  private pendingIps: AddressInfo[] = [];
  private pendingSha1s: string[] = [];
  private dnSeen = 0;
  private ipSeen = 0;

  constructor(private readonly describer: AddressDescriber) {}

  dnId(buf: Uint8Array, start: number, end: number): number {
    const id = this.dns.id(buf, start, end);
    if (id >= this.dnSeen) {
      this.dnSeen = id + 1;
      this.pendingSha1s.push(createHash('sha1').update(buf.subarray(start, end)).digest('hex'));
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
