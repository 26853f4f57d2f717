import type { AddressInfo } from '../core/addresses.js';
import type { Address, Dn } from '../core/log-event.js';
import type { AddedValues } from './batch.js';
import { IdRing } from './id-ring.js';
import { TABLE_CAPACITY } from './worker/tables.js';

/**
 * The main thread's copy of the worker's string tables, by id. Additions are applied as
 * batches arrive (in the worker's order), before any of them is consumed: a batch consumed
 * early by the merge may refer to strings another input's earlier batch introduced.
 */
export class MainTables {
  readonly dns = new IdRing<Dn>(TABLE_CAPACITY.dns * 4);
  readonly ips = new IdRing<Address>(TABLE_CAPACITY.ips * 4);
  readonly sessions = new IdRing<string>(TABLE_CAPACITY.sessions * 4);
  readonly threads = new IdRing<string>(TABLE_CAPACITY.threads * 4);

  private maxDnId = -1;

  /** DN ids below this are referenced by no batch still to come (history may let their users go). */
  get oldestLiveDnId(): number {
    return Math.max(0, this.maxDnId + 1 - 2 * TABLE_CAPACITY.dns);
  }

  apply(a: AddedValues): void {
    if (a.dns.length > 0) this.maxDnId = a.dns[a.dns.length - 2] as number;
    for (let k = 0, j = 0; k < a.dns.length; k += 2, j++) this.dns.set(a.dns[k] as number, { dn: a.dns[k + 1] as string, sha1: a.dnSha1s[j] });
    for (let k = 0, j = 0; k < a.ips.length; k += 2, j++) this.ips.set(a.ips[k] as number, addressOf(a.ips[k + 1] as string, a.ipInfos[j]));
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
function addressOf(ip: string, i: AddressInfo): Address {
  return { ip, valid: i.valid, public: i.public, net: i.net, country: i.country, lat: i.lat, lon: i.lon, asn: i.asn, asOrg: i.asOrg };
}
