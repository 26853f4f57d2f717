import type { Address } from '../../core/log-event.js';
import type { User } from '../history/user.js';
import type { RuleRunner } from './rule-runner.js';
import type { Rule } from './rules.js';

/** Distinct verdict vectors kept for sharing, at most (past it, vectors are not shared). */
const MAX_SHARED_VERDICTS = 1024;
/** A verdict vector's bits fit a number's 53-bit mantissa exactly up to this many rules. */
const MAX_BITMASK_RUNNERS = 52;

/**
 * Which rules admit a user (DN patterns) or an address (exceptions), as a vector indexed by
 * runner, for one set of rules (a reload makes a new one): cached on the user itself
 * (`User.verdicts`, see user()) and here per address. Nearly all of them get the same vector,
 * so vectors are shared by content: a cache entry costs a pointer, not an array per user and
 * address. Vectors are read only: callers never write into one.
 */
export class VerdictVectors {
  /** Some rule has `ipExceptions` (none of the shipped ones): only then is an address's verdict worth working out. */
  readonly addressExceptions: boolean;
  private readonly byAddress = new WeakMap<Address, Int8Array>();
  private readonly byContent = new Map<string, Int8Array>();
  /** The same vectors by their bits (rule by rule, as a number), for users. */
  private readonly byBits = new Map<number, Int8Array>();

  constructor(
    /** The rules the runners were made for: what a user's cached vector is checked against. */
    private readonly rules: readonly Rule[],
    private readonly runners: readonly RuleRunner[],
  ) {
    this.addressExceptions = runners.some((r) => r.excludesAddresses);
  }

  /**
   * Kept on the user (with the rules it was worked out for), not in a WeakMap: a replay of a
   * million users paid a WeakMap entry and a new vector for each. The vector is looked up by
   * its bits as a number when the rules are few enough, so a user costs no allocation.
   */
  user(u: User): Int8Array {
    if (u.verdictsFor === this.rules && u.verdicts !== null) return u.verdicts;
    let v: Int8Array | undefined;
    if (this.runners.length <= MAX_BITMASK_RUNNERS) {
      let bits = 0;
      for (const r of this.runners) bits = bits * 2 + (r.admitsDn(u.dn) ? 1 : 0);
      v = this.byBits.get(bits);
      if (v === undefined) {
        v = this.dnVector(u.dn);
        if (this.byBits.size < MAX_SHARED_VERDICTS) this.byBits.set(bits, v);
      }
    } else v = this.dnVector(u.dn);
    u.verdicts = v;
    u.verdictsFor = this.rules;
    return v;
  }

  address(a: Address): Int8Array {
    let v = this.byAddress.get(a);
    if (v === undefined) {
      v = new Int8Array(this.runners.length);
      for (const r of this.runners) v[r.index] = r.admitsAddress(a.ip) ? 1 : 0;
      v = this.shared(v);
      this.byAddress.set(a, v);
    }
    return v;
  }

  /** Which rules admit `dn`, as a shared vector. */
  private dnVector(dn: string): Int8Array {
    const v = new Int8Array(this.runners.length);
    for (const r of this.runners) v[r.index] = r.admitsDn(dn) ? 1 : 0;
    return this.shared(v);
  }

  /** The shared vector equal to `v`. */
  private shared(v: Int8Array): Int8Array {
    const key = v.join('');
    const known = this.byContent.get(key);
    if (known !== undefined) return known;
    if (this.byContent.size < MAX_SHARED_VERDICTS) this.byContent.set(key, v);
    return v;
  }
}
