import type { User } from './user.js';
import type { AddressState } from './user-state.js';

const DAY_MS = 86_400_000;

/**
 * How long (in log time, before the user's latest event) a held user keeps an address in
 * memory. Older ones are let go once stored: detection looks further back than this only for
 * learnt addresses (the user's own, whose networks the user keeps: User.learntLetGoIn), and an
 * address a batch names is read back before it (History.readBack). So a detector window that
 * reaches into unlearnt history must stay shorter (refresh-token-replay's `activeWithin`: at
 * most MAX_LOOKBACK_MS).
 */
export const DEFAULT_ADDRESSES_KEPT_FOR = 8 * DAY_MS;
/** The longest a detector may look back at an unlearnt address's successes. */
export const MAX_LOOKBACK_MS = 7 * DAY_MS;
/** Users with at most this many addresses keep them all: reading back costs more than they hold. */
export const TRIM_ABOVE = 8;
/**
 * A user holding more addresses than this after a commit lets go of addresses that are not
 * their own (never succeeded, or kept from being learnt by an open alert), least recently seen
 * first, down to half as many: denials from a botnet at one account otherwise held one address
 * each for the window (1,000,000 denials at five accounts from as many addresses peaked at
 * 547 MB), and so did a thief's successes from a proxy network.
 */
export const MAX_ADDRESSES_HELD = 256;
/**
 * Addresses not their own (never succeeded, or kept from being learnt by an open alert) that
 * all held users may keep together. The cap per user bounds a spray at one account, not one
 * at every account: an alert storm (2,000 users, 2 % of successes from random public
 * addresses) held 72,000 of them after 4 M lines, and they grew with the log (about 30 MiB of
 * heap at 5 M lines). Over the budget, the users holding most of them let go of them first,
 * down to half the budget.
 */
export const MAX_UNLEARNT_HELD_IN_ALL = 16_384;

/**
 * Keeps a held user's addresses to those of their last `keptFor` of log time. A user busy for
 * months (a phone's carrier addresses, a laptop's hotels) otherwise holds every address of
 * the retention window, 90 days by default: the daemon's memory grew with the days it ran.
 *
 * Only stored, unchanged addresses go, and never one an arrived batch may still name: its
 * events are judged against the history as it was prepared for them. Kept too: the address of
 * the user's last geolocated success (impossible travel measures from it). An address an open
 * alert keeps from being learnt goes like any other (a thief succeeding from a new address
 * every hour while the alert waits for an analyst would otherwise grow the user without
 * bound): closing the alert as benign reads it back first (History.releaseQuarantine).
 */
export class AddressTrim {
  /** Users committed with old addresses, waiting until no arrived batch names them. */
  private readonly waiting = new Set<User>();
  /** Addresses let go so far (each may be read back and let go again). */
  letGo = 0;

  /** What a user over maxHeld is brought down to (and how many not learnt a user is loaded with). */
  readonly heldAfterSpray: number;

  constructor(
    private readonly keptFor = DEFAULT_ADDRESSES_KEPT_FOR,
    private readonly maxHeld = MAX_ADDRESSES_HELD,
    private readonly maxUnlearntInAll = MAX_UNLEARNT_HELD_IN_ALL,
  ) {
    this.heldAfterSpray = Math.floor(maxHeld / 2);
  }

  /** Whether any address was let go: until then batches need no reading back. */
  get active(): boolean {
    return this.letGo > 0;
  }

  /**
   * After a commit: trims the committed users (and those still waiting) that no arrived batch
   * names. `namesInFlight` tells whether a batch arrived and not fully processed names a DN.
   */
  committed(users: readonly User[], namesInFlight: (dn: string) => boolean): void {
    for (const u of users) if (u.addresses.size > this.maxHeld || (u.addresses.size > TRIM_ABOVE && this.hasOld(u))) this.waiting.add(u);
    for (const u of this.waiting) {
      if (namesInFlight(u.dn)) continue;
      this.waiting.delete(u);
      if (u.dirty) continue; // changed since: its next commit brings it back
      this.trim(u);
    }
  }

  /**
   * After a commit's per-user trim: when the addresses all held users keep pass the budget of
   * those not their own, the users holding most of those let go of them (as over their own cap:
   * those that never succeeded first, least recently seen first), down to half the budget.
   * Users that an arrived batch names, or that changed since, keep theirs; so does a user with
   * only a few addresses (reading back costs more than they hold).
   */
  withinBudget(held: Iterable<User>, namesInFlight: (dn: string) => boolean): void {
    let total = 0;
    const candidates: User[] = [];
    for (const u of held) {
      total += u.addresses.size;
      if (u.addresses.size > TRIM_ABOVE) candidates.push(u);
    }
    // The count of those not learnt takes a look at every address: only when it could pass.
    if (total <= this.maxUnlearntInAll) return;
    const unlearnt = new Map<User, AddressState[]>();
    let inAll = 0;
    for (const u of candidates) {
      const mine = this.unlearnt(u);
      inAll += mine.length;
      if (mine.length > 0 && !u.dirty) unlearnt.set(u, mine);
    }
    if (inAll <= this.maxUnlearntInAll) return;
    const target = Math.floor(this.maxUnlearntInAll / 2);
    const most = [...unlearnt.keys()].sort((a, b) => unlearnt.get(b)!.length - unlearnt.get(a)!.length);
    for (const u of most) {
      if (inAll <= target) break;
      if (namesInFlight(u.dn)) continue;
      for (const a of unlearnt.get(u)!) {
        if (inAll <= target || u.addresses.size <= TRIM_ABOVE) break;
        u.letGo(a);
        this.letGo++;
        inAll--;
      }
    }
  }

  /**
   * The addresses of `u` not its own that it may let go (not learnt, not changed since the
   * last commit, not its last geolocated success), in the order it lets go of them.
   */
  private unlearnt(u: User): AddressState[] {
    const geo = u.lastGeo?.ip ?? null;
    const out = u.addresses.values().filter((a) => !a.learnt && !a.dirty && a.ip !== geo);
    return out.sort(lettingGoFirst);
  }

  private hasOld(u: User): boolean {
    const cutoff = u.lastSeen - this.keptFor;
    for (const a of u.addresses.values()) if (a.lastSeen < cutoff) return true;
    return false;
  }

  private trim(u: User): void {
    const cutoff = u.lastSeen - this.keptFor;
    const geo = u.lastGeo?.ip ?? null;
    for (const a of u.addresses.values()) {
      if (a.lastSeen >= cutoff || a.dirty || a.ip === geo) continue;
      u.letGo(a);
      this.letGo++;
    }
    if (u.addresses.size > this.maxHeld) this.trimSpray(u);
  }

  /**
   * Lets go of addresses that are not the user's own, least recently seen first, down to half
   * of maxHeld, however recent: first those that never succeeded, then, if that is not enough,
   * those an open alert keeps from being learnt (a thief succeeding from a proxy network's
   * addresses by the hundred thousand: 1,000,000 lines from as many addresses held 687 MB).
   * Only successes make an address count for anything but itself (learnt, vouching for its
   * network, impossible travel's last place), and an address a batch names is read back
   * first: detection sees the same history, with one exception. refresh-token-replay lets an
   * address that succeeded lately vouch for another of its network; one of the second kind let
   * go no longer does, so a refresh from that network alerts rather than being taken for the
   * user's. Such a user has hundreds of addresses under open alerts: they are a thief's, not a
   * place the user is at. One an alert quarantined may be let go either way
   * (History.releaseQuarantine reads it back, and History.readBack releases a copy read back
   * before the release is written).
   */
  private trimSpray(u: User): void {
    for (const a of this.unlearnt(u)) {
      if (u.addresses.size <= this.heldAfterSpray) break;
      u.letGo(a);
      this.letGo++;
    }
  }
}

/** The order addresses not a user's own are let go in: those that never succeeded first, each kind least recently seen first. */
function lettingGoFirst(a: AddressState, b: AddressState): number {
  return Number(a.successCount > 0) - Number(b.successCount > 0) || a.lastSeen - b.lastSeen;
}
