import { SmallMap } from './small-map.js';
import type { AddressState } from './user-state.js';

/** Addresses a user holds above which its book indexes them by network: below it a scan costs less than the index. */
export const NET_INDEX_ABOVE = 32;

/**
 * A user's addresses held in memory, by text, and (once there are more than NET_INDEX_ABOVE)
 * by network: refresh-token-replay asks of every grace-period use whether another address of
 * the user in that network vouches for it, and a user under attack holds hundreds or
 * thousands (a scan of them at each of 40,000 replays from new addresses took 4.6 s of 23).
 */
export class AddressBook {
  private readonly all = new SmallMap<AddressState>();
  /** By network, in the order added (null: not made yet, or the book is small). */
  private byNet: Map<string, AddressState[]> | null = null;

  get(ip: string): AddressState | undefined {
    return this.all.get(ip);
  }

  get size(): number {
    return this.all.size;
  }

  /** Adds or replaces the address `ip` (`a.ip`). */
  set(ip: string, a: AddressState): void {
    const old = this.all.get(ip);
    if (old === a) return;
    this.all.set(ip, a);
    if (this.byNet === null) {
      if (this.all.size > NET_INDEX_ABOVE) this.makeIndex();
    } else if (old !== undefined && old.net === a.net) {
      // In its place, as the map keeps a replaced key's.
      if (a.net !== null) {
        const list = this.byNet.get(a.net)!;
        list[list.indexOf(old)] = a;
      }
    } else {
      if (old !== undefined) this.unindex(old);
      this.index(a);
    }
  }

  delete(ip: string): void {
    const old = this.all.get(ip);
    if (old === undefined) return;
    this.all.delete(ip);
    this.unindex(old);
  }

  /** In the order added (a copy: adding while looping over it is safe). */
  values(): AddressState[] {
    return this.all.values();
  }

  /** Every address, in the order added, without a copy (for `for … of`; no adding or deleting meanwhile). */
  iterate(): Iterable<AddressState> {
    return this.all.iterate();
  }

  /** The first address of network `net`, in the order added, that `pred` accepts. */
  findInNet(net: string, pred: (a: AddressState) => boolean): AddressState | undefined {
    if (this.byNet === null) return this.all.find((a) => a.net === net && pred(a));
    const list = this.byNet.get(net);
    if (list === undefined) return undefined;
    for (const a of list) if (pred(a)) return a;
    return undefined;
  }

  private makeIndex(): void {
    this.byNet = new Map();
    for (const a of this.all.iterate()) this.index(a);
  }

  private index(a: AddressState): void {
    if (a.net === null) return;
    const list = this.byNet!.get(a.net);
    if (list === undefined) this.byNet!.set(a.net, [a]);
    else list.push(a);
  }

  private unindex(a: AddressState): void {
    if (this.byNet === null || a.net === null) return;
    const list = this.byNet.get(a.net);
    if (list === undefined) return;
    const k = list.indexOf(a);
    if (k >= 0) list.splice(k, 1);
    if (list.length === 0) this.byNet.delete(a.net);
  }
}
