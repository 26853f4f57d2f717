import { isUserDn } from '../../core/events.js';
import type { UserRecord } from '../../core/history.js';
import type { Address, Dn, LogEvent } from '../../core/log-event.js';
import type { HistoryRepository } from '../../core/ports.js';
import { LetGoFilter } from './let-go-filter.js';
import type { SeenUsers } from './seen-users.js';
import { User } from './user.js';
import { AddressState, type NetOf } from './user-state.js';

/**
 * The users history holds in memory, by DN and by the DN ids the ingest worker interns. Users
 * of a batch are loaded from the store before it is processed (one query per few hundred new
 * DNs, never one per line); after a commit, users no id in flight refers to any more are let
 * go, and loaded again if they come back.
 */
export class HeldUsers {
  private readonly users = new Map<string, User>();
  /** User by interned DN id (null: a DN that is not a person, such as `cn=none`). */
  private readonly byId = new Map<number, User | null>();
  /** False while the store is known to hold none of the users not in memory (a first run). */
  private storeMayHold = true;
  private checkedStore = false;
  /** In a run that began with no user stored: the users let go since (null in any other run). */
  private letGo: LetGoFilter | null = null;
  /**
   * DN ids still in flight of users a retention pass made memory forget: a pass stopped part
   * way may have left them stored, so one met again is looked up when written, not inserted.
   */
  private readonly forgotten = new Set<number>();
  /** Users met for the first time (the store holds none of them) since the last commit. */
  private created = 0;
  /** Addresses read back from the store (readBack). */
  readBackCount = 0;
  /** A user was loaded without some of its stored addresses: batches are read back from now on. */
  leftOut = false;

  constructor(
    private readonly repo: HistoryRepository,
    private readonly netOf: NetOf | undefined,
    /** Told when a user seen in this run is let go: if they come back, they are not known as seen. */
    private readonly seen: SeenUsers,
    /** Addresses not learnt (never succeeded, or kept from being learnt by an alert) a user is loaded with, the most recently seen (the rest stay in the store). */
    private readonly recentOthers: number,
  ) {}

  private userFrom(r: UserRecord): User {
    if (r.oldestLeftOut !== undefined) this.leftOut = true;
    return User.from(r, this.netOf);
  }

  get size(): number {
    return this.users.size;
  }

  /** Users met for the first time since the last commit (`committed()`). */
  get newUsers(): number {
    return this.created;
  }

  /** The changes so far are stored: users met from now on are counted anew. */
  committed(): void {
    this.created = 0;
  }

  /** Every user held. */
  values(): IterableIterator<User> {
    return this.users.values();
  }

  /** The user of this DN, if held. */
  get(dn: string): User | undefined {
    return this.users.get(dn);
  }

  /**
   * Resolves the DNs first seen in a batch (`[id, dn]` pairs, as the worker sends them, and
   * their SHA-1s when it sends them) to users, loading the stored ones.
   */
  async prepare(dns: ReadonlyArray<number | string>, sha1s?: readonly string[]): Promise<void> {
    if (dns.length === 0) return;
    if (!this.checkedStore) {
      this.checkedStore = true;
      this.storeMayHold = await this.repo.hasUsers();
      if (!this.storeMayHold) this.letGo = new LetGoFilter();
    }
    const missing: string[] = [];
    const letGo = sha1s === undefined ? null : this.letGo;
    for (let k = 0; k < dns.length; k += 2) {
      const dn = dns[k + 1] as string;
      if (!isUserDn(dn) || this.users.has(dn)) continue;
      // Neither in memory nor let go by this run, which began with nobody stored: not stored.
      if (letGo !== null && !letGo.mightHold(sha1s![k >> 1])) continue;
      missing.push(dn);
    }
    if (missing.length > 0 && this.storeMayHold) {
      for (const r of await this.repo.loadUsers(missing, this.recentOthers)) this.users.set(r.dn, this.userFrom(r));
    }
    for (let k = 0; k < dns.length; k += 2) {
      const id = dns[k] as number;
      const dn = dns[k + 1] as string;
      if (!isUserDn(dn)) {
        this.byId.set(id, null);
        continue;
      }
      // A DN not stored yet becomes a user at its first event (userOf).
      const user = this.users.get(dn);
      if (user === undefined) continue;
      user.lastDnId = id;
      this.byId.set(id, user);
    }
  }

  /**
   * Reads back the addresses of held users that a batch names (by event: the interned DN ids,
   * and the DNs they stand for, and the addresses) and that they let go (History.readBack).
   */
  async readBack(dnIds: ArrayLike<number>, dns: ReadonlyArray<Dn | null>, ips: ReadonlyArray<Address | null>): Promise<Array<[User, AddressState]>> {
    const back: Array<[User, AddressState]> = [];
    const wanted = new Map<string, { dn: string; ip: string }>();
    let lastId = -1;
    let user: User | null | undefined;
    for (let i = 0; i < dnIds.length; i++) {
      const id = dnIds[i];
      const a = ips[i];
      if (id < 0 || a === null) continue;
      // By id, not by DN text: the batch's events come from many users in turn.
      if (id !== lastId) {
        lastId = id;
        const known = this.byId.get(id);
        user = known !== undefined ? known : this.users.get(dns[i]!.dn);
      }
      if (user == null || user.holdsAllAddresses || user.addresses.get(a.ip) !== undefined) continue;
      wanted.set(`${user.dn}\n${a.ip}`, { dn: user.dn, ip: a.ip });
    }
    if (wanted.size === 0) return back;
    for (const r of await this.repo.loadAddresses([...wanted.values()])) {
      const u = this.users.get(r.dn);
      if (u === undefined || u.addresses.get(r.ip) !== undefined) continue;
      const a = AddressState.from(r, this.netOf);
      u.readBack(a);
      back.push([u, a]);
      this.readBackCount++;
    }
    return back;
  }

  /** Reads back the addresses of `u` that the alert `alertId` keeps from being learnt and that `u` let go (History.releaseQuarantine). */
  async readBackQuarantined(u: User, alertId: string): Promise<void> {
    for (const r of await this.repo.loadQuarantined(u.dn, alertId)) {
      if (u.addresses.get(r.ip) !== undefined) continue;
      u.readBack(AddressState.from(r, this.netOf));
      this.readBackCount++;
    }
  }

  /** The user of an event: null for events without a person's DN; a new user on first sight. */
  userOf(e: LogEvent): User | null {
    const id = e.dnId;
    if (id < 0) return null;
    const known = this.byId.get(id);
    if (known !== undefined) return known;
    const dn = e.dn!;
    let user = this.users.get(dn.dn);
    if (user === undefined) {
      // prepare() asked the store for this batch's new DNs (unless it holds no user of those
      // not in memory): a DN it did not give back is nobody's there yet. One retention made
      // memory forget was not asked for again.
      user = new User(dn.dn, dn.sha1, e.ts, e.ts);
      if (!this.forgotten.has(id)) user.stored = false;
      this.users.set(dn.dn, user);
      this.created++;
    }
    user.lastDnId = id;
    this.byId.set(id, user);
    return user;
  }

  /** Lets go of users no id in flight refers to any more (clean ones only). */
  evict(minLiveDnId: number): void {
    for (const id of this.forgotten) if (id < minLiveDnId) this.forgotten.delete(id);
    for (const [id, u] of this.byId) {
      if (id >= minLiveDnId) break;
      this.byId.delete(id);
      if (u !== null && u.lastDnId < minLiveDnId && !u.dirty) {
        this.users.delete(u.dn);
        this.storeMayHold = true;
        this.letGo?.add(u.dnSha1);
        if (u.seenThisRun) this.seen.letGo(u.dnSha1);
      }
    }
  }

  /**
   * Retention deleted the history last seen before `cutoff`, right after a commit: a user
   * held who was last seen before it is let go (their next event makes them new, as the store
   * now says), one with an address last seen before it is read again from the store. The DN
   * ids then point at the user as stored: emptying the maps instead would make every user
   * whose id is still in flight a new one, their stored history overwritten at the next commit.
   */
  async forgetBefore(cutoff: number): Promise<void> {
    const replaced = new Map<User, User | null>();
    for (const u of this.users.values()) {
      // A change not committed yet is never dropped (none is expected right after a commit).
      if (u.dirty) continue;
      if (u.lastSeen < cutoff || u.hasAddressSeenBefore(cutoff)) replaced.set(u, null);
    }
    if (replaced.size === 0) return;
    const reread = [...replaced.keys()].filter((u) => u.lastSeen >= cutoff);
    const stored = new Map((await this.repo.loadUsers(reread.map((u) => u.dn), this.recentOthers)).map((r) => [r.dn, r]));
    for (const old of reread) {
      const r = stored.get(old.dn);
      if (r === undefined) continue;
      const u = this.userFrom(r);
      u.lastDnId = old.lastDnId;
      u.seenThisRun = old.seenThisRun;
      replaced.set(old, u);
    }
    for (const [old, u] of replaced) {
      if (u === null) {
        this.users.delete(old.dn);
        // A pass stopped part way may have left the user stored: a "maybe" for the DN.
        this.letGo?.add(old.dnSha1);
        if (old.seenThisRun) this.seen.letGo(old.dnSha1);
      } else this.users.set(u.dn, u);
    }
    for (const [id, old] of this.byId) {
      if (old === null || !replaced.has(old)) continue;
      const u = replaced.get(old)!;
      if (u === null) {
        this.byId.delete(id);
        this.forgotten.add(id);
      } else this.byId.set(id, u);
    }
    this.storeMayHold = true;
  }
}
