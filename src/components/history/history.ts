import { TYPE } from '../../core/events.js';
import type { HistoryWrites, LogoutWrite } from '../../core/history.js';
import type { Address, Dn, LogEvent } from '../../core/log-event.js';
import type { HistoryRepository } from '../../core/ports.js';
import { AddressTrim } from './address-trim.js';
import { HeldUsers } from './held-users.js';
import { MAX_TRACKED, type Organisation } from './organisation.js';
import { SeenUsers, type SeenCount } from './seen-users.js';
import type { User } from './user.js';
import { recordAddress } from './record-address.js';
import { taughtPlaces, type AddressState, type NetOf } from './user-state.js';
import { historyWrites } from './writes.js';

const HOUR_MS = 3_600_000;
/**
 * Users kept in memory after a commit beyond those still referenced by ids in flight (the
 * changed users a commit waits for are DEFAULT_COMMIT_AT_BACKLOG's). 10,000 instead of 20,000:
 * many-users (2 M lines, 1 M users) peaked at 397-416 against 433-456 MiB in runs alternated
 * with 20,000, in the same time (53.3-56.9 against 55.2-60.7 s); organisation (15,000 users
 * coming back) took the same time (0.98x, 5 pairs). Fewer did not help: 5,000 peaked at 409 MiB.
 */
export const DEFAULT_USERS_HELD = 10_000;

/** What history holds in memory; the defaults where a field is absent (tests set them low). */
export interface HistoryLimits {
  /** Users kept in memory after a commit (DEFAULT_USERS_HELD). */
  usersHeld?: number;
  /** Log time a held user keeps its addresses in memory for (DEFAULT_ADDRESSES_KEPT_FOR). */
  addressesKeptFor?: number;
  /** Addresses a held user keeps before it lets go of those that never succeeded (MAX_ADDRESSES_HELD). */
  maxAddressesHeld?: number;
  /** Addresses not their own all held users keep together (MAX_UNLEARNT_HELD_IN_ALL). */
  maxUnlearntHeldInAll?: number;
}

/**
 * Logout lines held for one commit at most: each only confirms end-session actions recorded
 * minutes before it, and a daemon commits several times a second; a log that logs out more
 * users than this between two commits (a replay of a busy archive, where wall-clock actions
 * are rarely that old) has its further logouts confirm nothing.
 */
export const MAX_LOGOUTS_PER_COMMIT = 1_000;
/** Characters of a logout line kept as its evidence (the DN it confirms by is kept whole). */
export const MAX_LOGOUT_LINE = 4_096;

/**
 * Per-user history: first/last seen, counts by event type, addresses (with network, country,
 * ASN, and whether each is learnt as the user's own), countries, the last geolocated success,
 * sessions and hourly activity; changes are collected for the commit. Which users are in
 * memory, loaded from the store by batch and let go after commits, is HeldUsers' concern.
 */
export class History {
  private readonly held: HeldUsers;
  private dirtyUsers: User[] = [];
  private rowsHeld = 0;
  private logouts: LogoutWrite[] = [];
  private readonly seen = new SeenUsers();

  /** Users changed since the last commit (held in memory until it). */
  get changedUsers(): number {
    return this.dirtyUsers.length;
  }

  /**
   * Sessions, their addresses and hours of activity begun since the last commit: each is a row
   * the commit adds to, held in memory until then (a replay of months of a steady population
   * holds a few per user and day: a commit is due at a bound, CommitPolicy).
   */
  get heldRows(): number {
    return this.rowsHeld;
  }

  /** Users met for the first time since the last commit (none of them is stored yet). */
  get newUsers(): number {
    return this.held.newUsers;
  }

  private readonly usersHeld: number;
  private readonly trim: AddressTrim;
  /** Alerts closed as benign since the last commit, whose release the store has not written yet. */
  private readonly released = new Set<string>();

  /**
   * `netOf` gives a loaded address its network as this run's settings define it: rows written
   * before networks were stored have none, and a changed prefix length changes them all.
   */
  constructor(
    private readonly repo: HistoryRepository,
    netOf?: NetOf,
    /** Told when a user learns a network, ASN or country new for them (the organisation's counts). */
    private readonly organisation?: Organisation,
    limits: HistoryLimits = {},
  ) {
    this.usersHeld = limits.usersHeld ?? DEFAULT_USERS_HELD;
    this.trim = new AddressTrim(limits.addressesKeptFor, limits.maxAddressesHeld, limits.maxUnlearntHeldInAll);
    this.held = new HeldUsers(repo, netOf, this.seen, this.trim.heldAfterSpray);
  }

  /** Whether this DN's user is in memory now (HeldUsers: loaded for batches, let go after commits). */
  holds(dn: string): boolean {
    return this.held.get(dn) !== undefined;
  }

  /** Addresses let go from memory and read back from the store so far (AddressTrim). */
  get addressMemory(): { letGo: number; readBack: number } {
    return { letGo: this.trim.letGo, readBack: this.held.readBackCount };
  }

  /** Distinct users this run's events named (an estimate once users seen were let go from memory). */
  get usersSeen(): SeenCount {
    return this.seen.count();
  }

  /** Resolves the DNs first seen in a batch (`[id, dn]` pairs, as the worker sends them, and their SHA-1s) to users, loading the stored ones. */
  prepare(dns: ReadonlyArray<number | string>, sha1s?: readonly string[]): Promise<void> {
    return this.held.prepare(dns, sha1s);
  }

  /**
   * Reads back from the store the addresses a batch names (its events' DNs and addresses, by
   * event) that held users let go from memory: one query for the batch, none per line.
   */
  async readBack(dnIds: ArrayLike<number>, dns: ReadonlyArray<Dn | null>, ips: ReadonlyArray<Address | null>): Promise<void> {
    if (!this.trim.active && !this.held.leftOut) return;
    const back = await this.held.readBack(dnIds, dns, ips);
    // Released in memory since the last commit, not yet in the store: as if it had been held.
    if (this.released.size > 0) for (const [u, a] of back) if (a.quarantinedBy !== null && this.released.has(a.quarantinedBy)) this.release(u, a);
  }

  /** The user of an event: null for events without a person's DN; a new user on first sight. */
  userOf(e: LogEvent): User | null {
    return this.held.userOf(e);
  }

  /**
   * Adds an event of `user` (after detection looked at the history before it). A success
   * teaches the user its address, unless `quarantinedBy` names an alert the event raised:
   * then the address is learnt only once that alert is closed as benign.
   */
  record(user: User, e: LogEvent, quarantinedBy: string | null): void {
    const t = e.ts;
    if (!user.seenThisRun) {
      user.seenThisRun = true;
      this.seen.add(user.dnSha1);
    }
    if (t < user.firstSeen) user.firstSeen = t;
    if (t > user.lastSeen) user.lastSeen = t;
    const type = e.type;
    user.counts[type]++;
    if (type === TYPE.Logout && this.logouts.length < MAX_LOGOUTS_PER_COMMIT) {
      const { source, line } = e.evidence();
      this.logouts.push({ dn: user.dn, ts: t, source, line: line.length > MAX_LOGOUT_LINE ? line.slice(0, MAX_LOGOUT_LINE) + '…' : line });
    }
    const success = type === TYPE.AzSuccess || type === TYPE.AuSuccess;
    if (success) {
      user.successCount++;
      if (user.firstSuccess === null || t < user.firstSuccess) user.firstSuccess = t;
      if (user.lastSuccess === null || t > user.lastSuccess) user.lastSuccess = t;
    }
    const addr = e.address;
    if (addr !== null) recordAddress(user, e, addr, t, success, quarantinedBy, this.learnAddress, this.unlearnAddress);
    const sid = e.sessionId;
    if (sid !== null) {
      // Fast paths inside: a user's lines come from one session, and a session's from one address, for long stretches.
      const s = user.sessionOf(sid, t);
      if (s.count === 0) this.rowsHeld++;
      s.count++;
      if (t < s.first) s.first = t;
      if (t > s.last) s.last = t;
      if (addr !== null) {
        const span = s.spanOf(addr.ip, t);
        if (span.count === 0) this.rowsHeld++;
        span.count++;
        if (t < span.first) span.first = t;
        if (t > span.last) span.last = t;
      }
    }
    this.recordActivity(user, t, addr, type === TYPE.AuFail || type === TYPE.AzFail);
    if (!user.dirty) user.dirty = true;
    if (!user.queued) {
      user.queued = true;
      this.dirtyUsers.push(user);
    }
  }

  private recordActivity(user: User, t: number, addr: Address | null, failure: boolean): void {
    const a = user.activityOf(t - (t % HOUR_MS), addr === null ? '' : addr.ip, addr?.country ?? null);
    if (a.events === 0) this.rowsHeld++;
    a.events++;
    if (failure) a.failures++;
  }

  /**
   * Everything changed since the last commit, for the commit transaction. `inCall`: the store
   * writes it before its commit call returns, and may read the rows from this state (historyWrites).
   */
  collect(inCall = false): HistoryWrites {
    const w = historyWrites(this.dirtyUsers, this.organisation?.collect() ?? [], inCall);
    w.logouts = this.logouts;
    return w;
  }

  /**
   * The commit of `collect()` succeeded: changes are stored; memory is trimmed. Users a batch
   * arrived and not processed yet names (`namesInFlight`, by DN) keep everything.
   */
  committed(minLiveDnId: number, namesInFlight: (dn: string) => boolean): void {
    for (const u of this.dirtyUsers) {
      u.dirty = false;
      u.queued = false;
      u.stored = true;
      for (const a of u.dirtyAddresses) a.dirty = false;
      for (const c of u.dirtyCountries) c.dirty = false;
      u.dirtyAddresses = [];
      u.dirtyCountries = [];
      // The hour in progress goes on counting from zero: its stored row is added to.
      u.written();
    }
    this.trim.committed(this.dirtyUsers, namesInFlight);
    this.dirtyUsers = [];
    this.released.clear();
    this.rowsHeld = 0;
    this.logouts = [];
    this.held.committed();
    this.organisation?.committed();
    if (this.held.size > this.usersHeld) this.held.evict(minLiveDnId);
    this.trim.withinBudget(this.held.values(), namesInFlight);
  }

  /**
   * Retention deleted the history last seen before `cutoff` (store.retention.events), right
   * after a commit: memory must neither count it nor write it back (HeldUsers.forgetBefore).
   */
  forgetBefore(cutoff: number): Promise<void> {
    return this.held.forgetBefore(cutoff);
  }

  /** The store counted the organisation's places again (retention deleted addresses, or a benign close learnt some of a user not in memory): memory takes its counts. */
  async recountOrganisation(): Promise<void> {
    if (this.organisation !== undefined) this.organisation.reseed(await this.repo.loadOrganisation(MAX_TRACKED));
  }

  /**
   * An alert was closed as benign: the addresses it kept from being learnt are learnt now, in
   * memory and (with the next commit) in the store. Those the user let go from memory are read
   * back first, so that their networks, ASNs and countries become the user's and count towards
   * the organisation's. Resolves to false when the user is not in memory: the store learns the
   * addresses, and the organisation's counts in memory miss them until they are counted again
   * from the store after that commit (recountOrganisation).
   */
  async releaseQuarantine(dn: string, alertId: string): Promise<boolean> {
    this.released.add(alertId);
    const held = this.held.get(dn);
    if (held === undefined) return false;
    if (!held.holdsAllAddresses) await this.held.readBackQuarantined(held, alertId);
    // Another commit's retention may have read the user again meanwhile.
    const u = this.held.get(dn);
    if (u === undefined) return false;
    for (const a of u.addresses.values()) if (a.quarantinedBy === alertId) this.release(u, a);
    return true;
  }

  private release(u: User, a: AddressState): void {
    if (a.successCount > 0) this.learn(u, a);
    else {
      a.quarantinedBy = null;
      u.touchAddress(a);
    }
    if (!u.queued) {
      u.queued = true;
      this.dirtyUsers.push(u);
    }
  }

  private readonly learnAddress = (user: User, a: AddressState): void => this.learn(user, a);

  /** Makes the address the user's own, counting the places it makes new for them towards the organisation's. */
  private learn(user: User, a: AddressState): void {
    if (a.learnt) return;
    user.learn(a);
    this.organisation?.learnt(...taughtPlaces(a));
  }

  private readonly unlearnAddress = (user: User, a: AddressState, alertId: string): void => {
    this.organisation?.unlearnt(...taughtPlaces(a));
    user.unlearn(a, alertId);
  };
}
